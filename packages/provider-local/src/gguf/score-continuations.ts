import type { LlamaContextSequence, LlamaModel, LlamaText, Token } from 'node-llama-cpp';
import { promptTokens } from './gguf-prompt-format.js';

/** The log-likelihood of one continuation: the sum of its tokens' natural-log probabilities. */
export interface ContinuationScore {
  logprob: number;
  /** How many tokens the continuation was scored as. */
  tokens: number;
}

/**
 * Splits `context` + `continuation` into tokens the way lm-evaluation-harness does for
 * `loglikelihood` requests: trailing spaces of the context move to the continuation, the context
 * is tokenized alone, the whole text is tokenized, and the continuation's tokens are the whole's
 * tokens after the context's. The context is tokenized as generation reads the same prompt
 * ({@link promptTokens}): a plain-text prompt as text, a rendered chat template with its special
 * tokens, the model's beginning-of-sequence token first (or, for a model without one, its
 * end-of-sequence token when the context is empty, so the first continuation token is still
 * predicted from something). After a template's special tokens the continuation is tokenized as
 * node-llama-cpp tokenizes a model's answer there (no leading-space marker added).
 */
export function splitContinuationTokens(model: LlamaModel, context: string | LlamaText, continuation: string): { context: Token[]; continuation: Token[] } {
  let left: string | LlamaText;
  let right: string;
  if (typeof context === 'string') {
    left = context.replace(/ +$/, '');
    right = context.slice(left.length) + continuation;
  } else {
    const last = context.values.at(-1);
    const spaces = typeof last === 'string' ? last.length - last.replace(/ +$/, '').length : 0;
    left = spaces === 0 ? context : context.mapValues((value, index, values) => (index === values.length - 1 && typeof value === 'string' ? value.slice(0, value.length - spaces) : value));
    right = ' '.repeat(spaces) + continuation;
  }
  const contextTokens = promptTokens(model, left);
  const whole = promptTokens(model, typeof left === 'string' ? left + right : left.concat(right));
  if (contextTokens.length === 0 && model.tokens.eos !== null) {
    contextTokens.push(model.tokens.eos);
    whole.unshift(model.tokens.eos);
  }
  if (whole.length <= contextTokens.length) throw new Error(`the continuation ${JSON.stringify(continuation)} adds no tokens to the context.`);
  return { context: contextTokens, continuation: whole.slice(contextTokens.length) };
}

/**
 * Teacher-forced scoring of several continuations of one context in one context sequence: the
 * context (all but its last token) is evaluated once; for each continuation the last context
 * token and the continuation's tokens but the last are evaluated, reading the probability the
 * model gives each next continuation token (softmax of the raw logits, no sampling settings),
 * then the continuation is erased again. The sequence's history is cleared first. `signal` is
 * checked before each continuation.
 */
export async function scoreContinuations(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  context: string | LlamaText,
  continuations: readonly string[],
  contextSize: number,
  signal?: AbortSignal,
): Promise<ContinuationScore[]> {
  const splits = continuations.map((continuation) => splitContinuationTokens(model, context, continuation));
  await sequence.clearHistory();
  const scores: ContinuationScore[] = [];
  let shared: Token[] | undefined;
  for (const split of splits) {
    signal?.throwIfAborted();
    const total = split.context.length + split.continuation.length;
    if (total > contextSize) {
      throw new RangeError(`the context and continuation are ${total} tokens, but the context holds ${contextSize}.`);
    }
    // Every continuation shares the context's tokens (the context is tokenized alone); keep them evaluated.
    const head = split.context.slice(0, -1);
    if (!shared || shared.length !== head.length || shared.some((token, index) => token !== head[index])) {
      await sequence.clearHistory();
      if (head.length > 0) await sequence.controlledEvaluate(head);
      shared = head;
    }
    const input: Token[] = [split.context.at(-1) as Token, ...split.continuation.slice(0, -1)];
    const output = await sequence.controlledEvaluate(input.map((token) => [token, { generateNext: { probabilities: true } }]));
    let logprob = 0;
    split.continuation.forEach((token, index) => {
      const probability = output[index]?.next.probabilities?.get(token) ?? 0;
      logprob += Math.log(probability);
    });
    scores.push({ logprob, tokens: split.continuation.length });
    await sequence.eraseContextTokenRanges([{ start: head.length, end: sequence.nextTokenIndex }]);
  }
  return scores;
}
