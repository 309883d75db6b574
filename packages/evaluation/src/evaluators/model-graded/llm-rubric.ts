import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from '../define-evaluator.js';
import { providerReference, thresholdOption } from '../schemas.js';
import { formatNumber, quote } from '../text.js';
import { createJudge, findJsonObject, questionOf } from './judge.js';

/** A judge's verdict, as parsed from its answer. */
export interface RubricVerdict {
  pass?: boolean;
  /** 0–1. */
  score?: number;
  reason?: string;
}

const truthy = (value: unknown): boolean | undefined => {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (['pass', 'passed', 'true', 'yes', 'correct'].includes(word)) return true;
  if (['fail', 'failed', 'false', 'no', 'incorrect'].includes(word)) return false;
  return undefined;
};

/** A 0–1 score from 0.8, "0.8", "80%" or "8/10". */
const unitScore = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value >= 0 && value <= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (percent) return Number(percent[1]) / 100;
  const fraction = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  if (fraction && Number(fraction[2]) > 0) return Math.min(1, Number(fraction[1]) / Number(fraction[2]));
  return unitScore(Number(value.trim()));
};

/**
 * Parses a grading answer robustly: a JSON object (possibly inside a ```json block or prose)
 * with `pass`/`passed`/`verdict` and/or `score` and `reason`; else "pass: true", "verdict: FAIL",
 * "score: 0.7" in text; else a first word PASS/FAIL/YES/NO. Undefined when nothing is found.
 */
export function parseRubricVerdict(text: string): RubricVerdict | undefined {
  const json = findJsonObject(text);
  if (json) {
    const pass = truthy(json.pass) ?? truthy(json.passed) ?? truthy(json.verdict) ?? truthy(json.result);
    const score = unitScore(json.score);
    const reason = typeof json.reason === 'string' ? json.reason : typeof json.explanation === 'string' ? json.explanation : undefined;
    if (pass !== undefined || score !== undefined) return { ...(pass !== undefined ? { pass } : {}), ...(score !== undefined ? { score } : {}), ...(reason ? { reason } : {}) };
  }
  const passMatch = /\b(?:pass(?:ed)?|verdict|result)\s*["']?\s*[:=]\s*["']?(true|false|pass|fail|yes|no)\b/i.exec(text);
  const scoreMatch = /\bscore\s*["']?\s*[:=]\s*["']?(\d+(?:\.\d+)?\s*(?:%|\/\s*\d+)?)/i.exec(text);
  const firstWord = /^\W*(pass|fail|yes|no)\b/i.exec(text);
  const pass = truthy(passMatch?.[1]) ?? truthy(firstWord?.[1]);
  const score = unitScore(scoreMatch?.[1]);
  if (pass === undefined && score === undefined) return undefined;
  return { ...(pass !== undefined ? { pass } : {}), ...(score !== undefined ? { score } : {}) };
}

const SYSTEM = [
  "You are a strict grader. You are given a rubric and an AI model's output (and the input it answered, when known).",
  'Decide whether the output satisfies the rubric.',
  'Answer with only a JSON object, no other text: {"reason": "<one or two sentences>", "pass": true or false, "score": <a number from 0 to 1>}',
].join('\n');

/** `llm-rubric`: a judge model grades the output against a rubric (a template); its verdict and reason become the score. */
export const llmRubricEvaluator = defineEvaluator({
  type: 'llm-rubric',
  description:
    "A judge model (`judge`, any configured provider) grades the output against `rubric` (a template); it answers JSON {reason, pass, score}, parsed robustly. Passes on the judge's pass, or score ≥ `threshold` when it gives only a score.",
  options: z.strictObject({
    rubric: z.string({ error: "expected the rubric, a template such as 'The answer names {{answer}} and is polite'" }).min(1),
    judge: providerReference,
    threshold: thresholdOption(0.5),
  }),
  create(options, context) {
    const rubric = compileOptionTemplate(options.rubric, 'rubric', context);
    const judge = createJudge(options.judge, context);
    const { name } = context;
    return {
      type: 'llm-rubric',
      name,
      async evaluate(input) {
        const question = questionOf(input);
        const user = [
          `<rubric>\n${rubric.render(input.vars)}\n</rubric>`,
          ...(question ? [`<input>\n${question}\n</input>`] : []),
          `<output>\n${input.output}\n</output>`,
        ].join('\n\n');
        const answer = await judge.ask(
          [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: user },
          ],
          input.signal,
        );
        const verdict = parseRubricVerdict(answer.text);
        if (!verdict) throw new Error(`judge ${judge.id} gave no verdict that could be read (expected JSON with pass/score): ${quote(answer.text, 200)}`);
        const passed = verdict.pass ?? (verdict.score as number) >= options.threshold;
        const score = verdict.score ?? (passed ? 1 : 0);
        const because = verdict.reason ? `: ${verdict.reason}` : '';
        return {
          name,
          type: 'llm-rubric',
          passed,
          score,
          reason: `judge ${judge.id} says ${passed ? 'pass' : 'fail'} (score ${formatNumber(score)})${because}`,
          judgePrompt: answer.prompt,
          judgeOutput: answer.text,
        };
      },
    };
  },
});
