import { z, type TokenLogprob } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from '../define-evaluator.js';
import { providerReference } from '../schemas.js';
import { formatNumber, quote } from '../text.js';
import { createJudge, questionOf } from './judge.js';

/** A G-Eval score and how it was obtained. */
export interface GEvalScore {
  /** 1–5. */
  value: number;
  method: 'logprobs' | 'parsed';
}

/**
 * The probability-weighted score of G-Eval (Liu et al. 2023): at the first generated token that
 * is a digit 1–5, Σ p(i)·i / Σ p(i) over the digits 1–5 among that position's top log-probabilities
 * (the generated token included). Undefined when no such token or no alternatives are given.
 */
export function weightedScoreFromLogprobs(logprobs: readonly TokenLogprob[]): number | undefined {
  const position = logprobs.find((entry) => /^[1-5]$/.test(entry.token.trim()));
  if (!position) return undefined;
  const candidates = new Map<number, number>();
  for (const { token, logprob } of [...(position.topLogprobs ?? []), { token: position.token, logprob: position.logprob }]) {
    const trimmed = token.trim();
    if (/^[1-5]$/.test(trimmed) && !candidates.has(Number(trimmed))) candidates.set(Number(trimmed), Math.exp(logprob));
  }
  let mass = 0;
  let weighted = 0;
  for (const [digit, probability] of candidates) {
    mass += probability;
    weighted += digit * probability;
  }
  return mass > 0 ? weighted / mass : undefined;
}

/** The first score 1–5 written in a judge's answer ("4", "Score: 4", "4/5", "Coherence: 4.5"). */
export function parseOneToFive(text: string): number | undefined {
  const labelled = /(?:score|rating)[^0-9\n]{0,20}([1-5](?:\.\d+)?)(?!\d)/i.exec(text);
  const any = labelled ?? /(?<![\d.])([1-5](?:\.\d+)?)(?![\d.]*\d)/.exec(text);
  if (!any) return undefined;
  const value = Number(any[1]);
  return value >= 1 && value <= 5 ? value : undefined;
}

/** A G-Eval score from a judge answer: logprob-weighted when the judge returned log-probabilities, else the parsed number. */
export function gEvalScore(text: string, logprobs: readonly TokenLogprob[] | undefined): GEvalScore | undefined {
  const weighted = logprobs ? weightedScoreFromLogprobs(logprobs) : undefined;
  if (weighted !== undefined) return { value: weighted, method: 'logprobs' };
  const parsed = parseOneToFive(text);
  return parsed === undefined ? undefined : { value: parsed, method: 'parsed' };
}

/**
 * `g-eval`: the judge rates the output 1–5 on `criteria` following evaluation steps (G-Eval's
 * form-filling prompt). The stored score is (s − 1) / 4; it passes when s ≥ `threshold` (1–5).
 */
export const gEvalEvaluator = defineEvaluator({
  type: 'g-eval',
  description:
    "G-Eval: the judge rates the output 1–5 on `criteria` (a template) following `steps`; weighted by the judge's log-probabilities of 1–5 when it returns them, else the number it writes. Score (s−1)/4; passes when s ≥ `threshold` (default 3).",
  options: z.strictObject({
    criteria: z.string({ error: "expected the criteria, e.g. 'Coherence: the answer is well-structured and logical'" }).min(1),
    steps: z.array(z.string().min(1), { error: 'expected a list of evaluation steps (strings)' }).min(1).optional(),
    metric: z.string({ error: "expected the metric's name, e.g. 'Coherence'" }).min(1).default('Quality'),
    judge: providerReference,
    threshold: z.number({ error: 'expected a score from 1 to 5' }).min(1, { error: 'expected a score from 1 to 5' }).max(5, { error: 'expected a score from 1 to 5' }).default(3),
  }),
  create(options, context) {
    const criteria = compileOptionTemplate(options.criteria, 'criteria', context);
    const judge = createJudge(options.judge, context);
    const steps = options.steps ?? [
      'Read the task input (if given) and the response carefully.',
      'Check how well the response meets the evaluation criteria.',
      `Assign a ${options.metric} score from 1 (worst) to 5 (best).`,
    ];
    const { name } = context;
    return {
      type: 'g-eval',
      name,
      async evaluate(input) {
        const question = questionOf(input);
        const content = [
          `You will be given one response written for a task. Your task is to rate the response on one metric.`,
          `Evaluation Criteria:\n${criteria.render(input.vars)}`,
          `Evaluation Steps:\n${steps.map((step, index) => `${index + 1}. ${step}`).join('\n')}`,
          ...(question ? [`Task Input:\n${question}`] : []),
          `Response:\n${input.output}`,
          `Evaluation Form (answer with the score only, a single integer from 1 to 5):\n- ${options.metric}:`,
        ].join('\n\n');
        const answer = await judge.ask([{ role: 'user', content }], input.signal, { logprobs: 5 });
        const result = gEvalScore(answer.text, answer.logprobs);
        if (!result) throw new Error(`judge ${judge.id} gave no score from 1 to 5: ${quote(answer.text, 200)}`);
        const passed = result.value >= options.threshold;
        return {
          name,
          type: 'g-eval',
          passed,
          score: (result.value - 1) / 4,
          reason: `${options.metric} ${formatNumber(result.value)}/5 from judge ${judge.id} (${result.method === 'logprobs' ? 'probability-weighted' : 'as written'}) ${passed ? '≥' : '<'} threshold ${formatNumber(options.threshold)}`,
          judgePrompt: answer.prompt,
          judgeOutput: answer.text,
        };
      },
    };
  },
});
