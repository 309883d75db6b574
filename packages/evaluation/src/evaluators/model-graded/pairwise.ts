import { z, type LanguageModelProvider } from '@llm-lab/core';
import type { CompiledTemplate } from '../../prompts/template.js';
import { compileOptionTemplate, defineEvaluator } from '../define-evaluator.js';
import { providerReference } from '../schemas.js';
import { quote } from '../text.js';
import { createConfiguredProvider, createJudge, questionOf, type JudgeAnswer } from './judge.js';

/** One judge verdict: assistant A better, B better, or a tie. */
export type PairVerdict = 'A' | 'B' | 'tie';

/** Reads "[[A]]", "[[B]]" or "[[C]]" (tie) — the last one written — else a lone A/B/tie answer. Undefined when unclear. */
export function parsePairVerdict(text: string): PairVerdict | undefined {
  const bracketed = [...text.matchAll(/\[\[\s*(A|B|C|tie)\s*\]\]/gi)].at(-1);
  const word = bracketed?.[1] ?? /^\W*(?:assistant\s+)?(A|B|tie)\W*$/i.exec(text.trim())?.[1];
  if (!word) return undefined;
  const upper = word.toUpperCase();
  return upper === 'A' ? 'A' : upper === 'B' ? 'B' : 'tie';
}

/**
 * Combines the two orders (candidate as A, then as B): a win only when both verdicts prefer the
 * candidate, a loss only when both prefer the baseline; anything else (a tie, or the verdict
 * flipping with the order: position bias) is a tie. Returns 1, 0 or 0.5.
 */
export function combinePairVerdicts(candidateFirst: PairVerdict, candidateSecond: PairVerdict): number {
  const first = candidateFirst === 'A' ? 1 : candidateFirst === 'B' ? 0 : 0.5;
  const second = candidateSecond === 'B' ? 1 : candidateSecond === 'A' ? 0 : 0.5;
  if (first === 1 && second === 1) return 1;
  if (first === 0 && second === 0) return 0;
  return 0.5;
}

const SYSTEM =
  'Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. ' +
  'Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. ' +
  'Do not allow the length of the responses to influence your evaluation. Be as objective as possible. ' +
  'After a short explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.';

function pairPrompt(question: string, criteria: string, a: string, b: string): string {
  return [
    ...(criteria ? [`[Criteria]\n${criteria}`] : []),
    `[User Question]\n${question || '(not given)'}`,
    `[The Start of Assistant A's Answer]\n${a}\n[The End of Assistant A's Answer]`,
    `[The Start of Assistant B's Answer]\n${b}\n[The End of Assistant B's Answer]`,
  ].join('\n\n');
}

/**
 * `pairwise`: the judge compares the output with a baseline — a reference answer (`reference`)
 * or another provider's answer to the same prompt (`baseline`) — in both orders (MT-Bench style,
 * position swap). Score 1 win, 0.5 tie or inconsistent, 0 loss; passes on `passOn`.
 */
export const pairwiseEvaluator = defineEvaluator({
  type: 'pairwise',
  description:
    "The judge compares the output with `reference` (a template) or `baseline` (another provider's answer) in both orders (A-B and B-A); win = both prefer the output, loss = both prefer the baseline, else tie. Score 1/0.5/0; passes on `passOn` (win-or-tie by default).",
  options: z.strictObject({
    judge: providerReference,
    reference: z.string({ error: "expected the baseline answer, a template such as '{{reference}}'" }).optional(),
    baseline: providerReference.optional(),
    criteria: z.string({ error: 'expected what to compare on, e.g. helpfulness and accuracy' }).default(''),
    passOn: z.enum(['win', 'win-or-tie'], { error: "expected 'win' or 'win-or-tie'" }).default('win-or-tie'),
  }),
  create(options, context) {
    if ((options.reference === undefined) === (options.baseline === undefined)) {
      context.fail('reference', "evaluator 'pairwise' needs exactly one of 'reference' (a baseline answer template) or 'baseline' (a provider to answer the same prompt).");
    }
    const reference: CompiledTemplate | undefined = options.reference !== undefined ? compileOptionTemplate(options.reference, 'reference', context) : undefined;
    const baseline: LanguageModelProvider | undefined = options.baseline ? createConfiguredProvider(options.baseline, 'baseline', context) : undefined;
    const judge = createJudge(options.judge, context);
    const criteria = compileOptionTemplate(options.criteria, 'criteria', context);
    const { name } = context;
    return {
      type: 'pairwise',
      name,
      async evaluate(input) {
        let other: string;
        if (reference) other = reference.render(input.vars);
        else {
          if (!input.prompt) throw new Error("pairwise with a 'baseline' provider needs the prompt the model answered; run it through the engine.");
          const response = await (baseline as LanguageModelProvider).generate({ messages: input.prompt, temperature: 0 }, input.signal ? { signal: input.signal } : {});
          other = response.text;
        }
        const question = questionOf(input);
        const criteriaText = criteria.render(input.vars);
        const ask = (a: string, b: string) =>
          judge.ask(
            [
              { role: 'system', content: SYSTEM },
              { role: 'user', content: pairPrompt(question, criteriaText, a, b) },
            ],
            input.signal,
          );
        const [first, second] = await Promise.all([ask(input.output, other), ask(other, input.output)]);
        const verdicts = [first, second].map((answer: JudgeAnswer) => {
          const verdict = parsePairVerdict(answer.text);
          if (!verdict) throw new Error(`judge ${judge.id} gave no verdict ([[A]], [[B]] or [[C]]): ${quote(answer.text, 200)}`);
          return verdict;
        }) as [PairVerdict, PairVerdict];
        const score = combinePairVerdicts(verdicts[0], verdicts[1]);
        const outcome = score === 1 ? 'win' : score === 0 ? 'loss' : 'tie';
        const passed = score === 1 || (options.passOn === 'win-or-tie' && score === 0.5);
        const against = reference ? 'the reference' : `${(baseline as LanguageModelProvider).id}'s answer`;
        const show = (verdict: PairVerdict, candidate: 'A' | 'B') => (verdict === 'tie' ? 'tie' : verdict === candidate ? 'output' : 'baseline');
        return {
          name,
          type: 'pairwise',
          passed,
          score,
          reason: `${outcome} against ${against}: judge ${judge.id} preferred ${show(verdicts[0], 'A')} with the output first and ${show(verdicts[1], 'B')} with it second`,
          judgePrompt: `### order A-B (output first)\n${first.prompt}\n\n### order B-A (output second)\n${second.prompt}`,
          judgeOutput: `### order A-B (output first)\n${first.text}\n\n### order B-A (output second)\n${second.text}`,
        };
      },
    };
  },
});
