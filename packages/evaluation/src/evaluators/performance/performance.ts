import { z } from '@llm-lab/core';
import { defineEvaluator } from '../define-evaluator.js';
import { positiveNumber } from '../schemas.js';
import { passFail } from '../score.js';
import { formatNumber } from '../text.js';
import type { EvaluationInput, ResponseFacts } from '../types.js';

function factsOf(input: EvaluationInput, type: string): ResponseFacts {
  if (!input.response) throw new Error(`${type} needs the response's latency, usage and cost, which the engine passes; it was called without them.`);
  return input.response;
}

/** `latency`: passes when the call took at most `maxMs` milliseconds. */
export const latencyEvaluator = defineEvaluator({
  type: 'latency',
  description: 'Passes when the call took at most `maxMs` milliseconds (wall time, request to last byte).',
  options: z.strictObject({ maxMs: positiveNumber('a time in milliseconds') }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'latency',
      name,
      evaluate(input) {
        const { latencyMs } = factsOf(input, 'latency');
        const passed = latencyMs <= options.maxMs;
        return passFail(name, 'latency', passed, `latency ${formatNumber(Math.round(latencyMs))} ms ${passed ? '≤' : '>'} limit ${formatNumber(options.maxMs)} ms`);
      },
    };
  },
});

/** `ttft`: passes when the first token came within `maxMs`; measured only for streamed runs. */
export const ttftEvaluator = defineEvaluator({
  type: 'ttft',
  description: 'Passes when the time to the first token is at most `maxMs` milliseconds; it is measured only for streamed runs (--stream).',
  options: z.strictObject({ maxMs: positiveNumber('a time in milliseconds') }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'ttft',
      name,
      evaluate(input) {
        const { timeToFirstTokenMs } = factsOf(input, 'ttft');
        if (timeToFirstTokenMs === undefined) {
          throw new Error('time to first token was not measured: it is known only for streamed calls. Run with streaming on (llm-lab run --stream).');
        }
        const passed = timeToFirstTokenMs <= options.maxMs;
        return passFail(name, 'ttft', passed, `time to first token ${formatNumber(Math.round(timeToFirstTokenMs))} ms ${passed ? '≤' : '>'} limit ${formatNumber(options.maxMs)} ms`);
      },
    };
  },
});

/** Output tokens per second of wall time: outputTokens ÷ (latencyMs / 1000). */
export function tokensPerSecond(facts: ResponseFacts): number {
  return facts.latencyMs > 0 ? facts.usage.outputTokens / (facts.latencyMs / 1000) : Number.POSITIVE_INFINITY;
}

/** `tokens-per-second`: passes when output tokens ÷ call seconds is at least `min`. */
export const tokensPerSecondEvaluator = defineEvaluator({
  type: 'tokens-per-second',
  description: 'Passes when output tokens ÷ call wall time (seconds, including time to first token) is at least `min`.',
  options: z.strictObject({ min: positiveNumber('a rate in tokens per second') }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'tokens-per-second',
      name,
      evaluate(input) {
        const facts = factsOf(input, 'tokens-per-second');
        const rate = tokensPerSecond(facts);
        const passed = rate >= options.min;
        return passFail(
          name,
          'tokens-per-second',
          passed,
          `${formatNumber(Math.round(rate * 10) / 10)} tokens/s (${facts.usage.outputTokens} tokens in ${formatNumber(Math.round(facts.latencyMs))} ms) ${passed ? '≥' : '<'} minimum ${formatNumber(options.min)}`,
        );
      },
    };
  },
});

/** `cost`: passes when the call cost at most `maxUsd`; errors when the model has no known price. */
export const costEvaluator = defineEvaluator({
  type: 'cost',
  description: "Passes when the call cost at most `maxUsd` US dollars; an error when the model's price is unknown.",
  options: z.strictObject({ maxUsd: z.number({ error: 'expected an amount in US dollars' }).min(0, { error: 'expected an amount ≥ 0' }) }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'cost',
      name,
      evaluate(input) {
        const { costUsd } = factsOf(input, 'cost');
        if (costUsd === undefined) throw new Error("the call's cost is unknown: the model has no known price. Remove the cost evaluator or use a priced model.");
        const passed = costUsd <= options.maxUsd;
        return passFail(name, 'cost', passed, `cost $${costUsd.toFixed(6)} ${passed ? '≤' : '>'} limit $${options.maxUsd}`);
      },
    };
  },
});
