import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from '../define-evaluator.js';
import { providerReference } from '../schemas.js';
import { formatNumber, quote } from '../text.js';
import { createJudge, questionOf } from './judge.js';

/**
 * MT-Bench's single-answer grading prompt `single-v1` (lm-sys/FastChat, fastchat/llm_judge/data/
 * judge_prompts.jsonl, Apache-2.0), with `{question}`/`{answer}` written as LLM Lab placeholders.
 */
export const MT_BENCH_SINGLE_PROMPT =
  '[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. ' +
  'Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. ' +
  'Begin your evaluation by providing a short explanation. Be as objective as possible. ' +
  'After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".\n\n' +
  "[Question]\n{{question}}\n\n[The Start of Assistant's Answer]\n{{answer}}\n[The End of Assistant's Answer]";

/** MT-Bench's `single-math-v1` prompt: single-answer grading against a reference answer (math, reasoning, coding). */
export const MT_BENCH_SINGLE_REFERENCE_PROMPT =
  '[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. ' +
  "Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the assistant's answer. " +
  "Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as objective as possible. " +
  'After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".\n\n' +
  '[Question]\n{{question}}\n\n[The Start of Reference Answer]\n{{reference}}\n[The End of Reference Answer]\n\n' +
  "[The Start of Assistant's Answer]\n{{answer}}\n[The End of Assistant's Answer]";

/** MT-Bench's judge system prompt for single-answer grading. */
export const MT_BENCH_JUDGE_SYSTEM = 'You are a helpful assistant.';

/**
 * The rating in a judge's answer, as FastChat reads it: the first `[[n]]` (n a number), else the
 * first `[n]` (its fallback pattern). Undefined when there is none or it is outside 1–10.
 */
export function parseBracketRating(text: string): number | undefined {
  const match = /\[\[(\d+(?:\.\d+)?)\]\]/.exec(text) ?? /\[(\d+(?:\.\d+)?)\]/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return value >= 1 && value <= 10 ? value : undefined;
}

/**
 * `judge-rating`: single-answer grading as in MT-Bench. The judge gets `template` (default
 * MT-Bench `single-v1`) rendered with the row's fields plus `{{answer}}` (the output) and
 * `{{question}}` (the row's `question`, else the prompt's last user message); rows with a
 * non-empty `referenceField` get `referenceTemplate` (default `single-math-v1`) instead. It
 * answers "[[rating]]" from 1 to 10; the stored score is rating / 10 and it passes when
 * rating ≥ `threshold`.
 */
export const judgeRatingEvaluator = defineEvaluator({
  type: 'judge-rating',
  description:
    'Single-answer grading (MT-Bench): the judge rates the output 1–10 as "[[rating]]" using `template` (MT-Bench single-v1 by default; `referenceTemplate` when the row has a reference). Score rating/10; passes when rating ≥ `threshold` (default 5).',
  options: z.strictObject({
    judge: providerReference,
    template: z.string({ error: 'expected a judge prompt template using {{question}} and {{answer}}' }).min(1).default(MT_BENCH_SINGLE_PROMPT),
    referenceTemplate: z
      .string({ error: 'expected a judge prompt template using {{question}}, {{reference}} and {{answer}}' })
      .min(1)
      .default(MT_BENCH_SINGLE_REFERENCE_PROMPT),
    referenceField: z.string({ error: 'expected the name of the row field holding a reference answer' }).min(1).default('reference'),
    system: z.string({ error: 'expected a system prompt for the judge' }).default(MT_BENCH_JUDGE_SYSTEM),
    threshold: z
      .number({ error: 'expected a rating from 1 to 10' })
      .min(1, { error: 'expected a rating from 1 to 10' })
      .max(10, { error: 'expected a rating from 1 to 10' })
      .default(5),
  }),
  create(options, context) {
    const template = compileOptionTemplate(options.template, 'template', context);
    const referenceTemplate = compileOptionTemplate(options.referenceTemplate, 'referenceTemplate', context);
    const judge = createJudge(options.judge, context);
    const { name } = context;
    return {
      type: 'judge-rating',
      name,
      async evaluate(input) {
        const reference = input.vars[options.referenceField];
        const withReference = typeof reference === 'string' && reference.trim() !== '';
        const scope = { question: questionOf(input), ...input.vars, answer: input.output };
        const content = (withReference ? referenceTemplate : template).render(scope);
        const messages = [
          ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
          { role: 'user' as const, content },
        ];
        const answer = await judge.ask(messages, input.signal);
        const rating = parseBracketRating(answer.text);
        if (rating === undefined) throw new Error(`judge ${judge.id} gave no "[[rating]]" from 1 to 10: ${quote(answer.text, 200)}`);
        const passed = rating >= options.threshold;
        return {
          name,
          type: 'judge-rating',
          passed,
          score: rating / 10,
          reason: `rated ${formatNumber(rating)}/10 by judge ${judge.id}${withReference ? ' (against the reference answer)' : ''} ${passed ? '≥' : '<'} threshold ${formatNumber(options.threshold)}`,
          judgePrompt: answer.prompt,
          judgeOutput: answer.text,
        };
      },
    };
  },
});
