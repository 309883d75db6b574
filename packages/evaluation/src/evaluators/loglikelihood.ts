import { z, type ChatMessage, type CompletionScore, type LanguageModelProvider } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { passFail } from './score.js';
import { formatNumber, quote } from './text.js';
import type { EvaluationInput } from './types.js';

/** Which ranking picks the answer, as lm-evaluation-harness names its multiple-choice metrics. */
export type LoglikelihoodMetric = 'acc' | 'acc_norm';

/** The index of the largest value (the first on ties, as numpy's argmax). */
function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((value, index) => {
    if (value > (values[best] as number)) best = index;
  });
  return best;
}

/**
 * The choices lm-evaluation-harness's multiple-choice metrics pick from the continuations'
 * log-likelihoods: `acc` takes the argmax of the summed token log-probabilities; `acc_norm` the
 * argmax of each sum divided by the continuation's length in bytes (UTF-8).
 */
export function pickByLoglikelihood(continuations: readonly string[], logprobs: readonly number[]): Record<LoglikelihoodMetric, number> {
  if (continuations.length !== logprobs.length) throw new Error(`${logprobs.length} log-likelihoods for ${continuations.length} continuations.`);
  return {
    acc: argmax(logprobs),
    acc_norm: argmax(logprobs.map((logprob, index) => logprob / Math.max(1, Buffer.byteLength(continuations[index] as string, 'utf8')))),
  };
}

/**
 * Scores of one conversation's continuations, kept per rendered prompt (the engine hands every
 * evaluator of a result the same messages array), so `acc` and `acc_norm` entries of one run
 * ask the provider once.
 */
const scored = new WeakMap<ChatMessage[], Map<string, Promise<CompletionScore[]>>>();

function scoresFor(provider: LanguageModelProvider, input: EvaluationInput, continuations: string[]): Promise<CompletionScore[]> {
  const prompt = input.prompt as ChatMessage[];
  const key = `${provider.id}\u0000${JSON.stringify(continuations)}`;
  let byKey = scored.get(prompt);
  if (!byKey) {
    byKey = new Map();
    scored.set(prompt, byKey);
  }
  let scores = byKey.get(key);
  if (!scores) {
    scores = (provider.scoreCompletions as NonNullable<LanguageModelProvider['scoreCompletions']>).call(
      provider,
      { messages: prompt, completions: continuations },
      input.signal ? { signal: input.signal } : {},
    );
    scores.catch(() => byKey?.delete(key));
    byKey.set(key, scores);
  }
  return scores;
}

function listOf(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length < 2) throw new Error(`expected the row field '${field}' to be a list of at least 2 continuations, got ${JSON.stringify(value)?.slice(0, 80)}.`);
  return value.map((item) => String(item));
}

/**
 * `loglikelihood`: multiple choice scored the way lm-evaluation-harness scores `output_type:
 * multiple_choice` tasks. The provider (which must implement `scoreCompletions`) gives each
 * continuation of `continuationsField` its log-likelihood after the prompt; `metric: acc` picks
 * the likeliest, `metric: acc_norm` the likeliest per byte. Passes when the pick is the row's
 * `answerField` (a 0-based index). The model's generated output is not used.
 */
export const loglikelihoodEvaluator = defineEvaluator({
  type: 'loglikelihood',
  description:
    "Multiple choice by log-likelihood (lm-evaluation-harness): passes when the continuation of `continuationsField` (default continuations) the provider's scoreCompletions ranks first — by the sum of token log-probabilities (metric: acc) or that sum per UTF-8 byte (metric: acc_norm) — is the row's `answerField` (0-based index, default answer_index).",
  options: z.strictObject({
    continuationsField: z.string({ error: 'expected a row field name' }).min(1).default('continuations'),
    answerField: z.string({ error: 'expected a row field name' }).min(1).default('answer_index'),
    metric: z.enum(['acc', 'acc_norm'], { error: "expected 'acc' or 'acc_norm'" }).default('acc'),
  }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'loglikelihood',
      name,
      async evaluate(input) {
        const provider = input.provider;
        if (!provider?.scoreCompletions) {
          throw new Error(
            `log-likelihood scoring needs a provider that implements scoreCompletions (gguf, or an OpenAI-compatible server that returns prompt log-probabilities); ${provider?.id ?? 'this provider'} does not. Use --scoring generate instead.`,
          );
        }
        if (!input.prompt) throw new Error('log-likelihood scoring needs the prompt the model was given; run it through the engine.');
        const continuations = listOf(input.vars[options.continuationsField], options.continuationsField);
        const answer = Number(input.vars[options.answerField]);
        if (!Number.isInteger(answer) || answer < 0 || answer >= continuations.length) {
          throw new Error(`expected the row field '${options.answerField}' to be an index from 0 to ${continuations.length - 1}, got ${JSON.stringify(input.vars[options.answerField])}.`);
        }
        const scores = await scoresFor(provider, input, continuations);
        if (scores.length !== continuations.length) throw new Error(`${provider.id} scored ${scores.length} continuations for ${continuations.length}.`);
        const picks = pickByLoglikelihood(continuations, scores.map((score) => score.logprob));
        const pick = picks[options.metric];
        const shown = (index: number) => `${index} (${quote(continuations[index] ?? '', 40)}, log-likelihood ${formatNumber(scores[index]?.logprob ?? Number.NaN)})`;
        const other: LoglikelihoodMetric = options.metric === 'acc' ? 'acc_norm' : 'acc';
        return passFail(
          name,
          'loglikelihood',
          pick === answer,
          `${options.metric} picks ${shown(pick)}${pick === answer ? ', the answer' : `; the answer is ${shown(answer)}`} (${other} picks ${picks[other]})`,
        );
      },
    };
  },
});
