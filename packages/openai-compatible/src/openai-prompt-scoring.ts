import { ProviderError, type CompletionScore } from '@llm-lab/core';

/** The `logprobs` block of a legacy completions choice, as vLLM returns it with `echo: true`. */
interface EchoedLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  text_offset: number[];
}

function isEchoedLogprobs(value: unknown): value is EchoedLogprobs {
  if (typeof value !== 'object' || value === null) return false;
  const block = value as Record<string, unknown>;
  return Array.isArray(block.tokens) && Array.isArray(block.token_logprobs) && Array.isArray(block.text_offset) && block.tokens.length === block.token_logprobs.length && block.tokens.length === block.text_offset.length;
}

/**
 * Where a continuation begins in `context + continuation`, as lm-evaluation-harness splits a
 * log-likelihood request: spaces at the end of the context belong to the continuation.
 */
export function continuationBoundary(context: string): number {
  return context.replace(/ +$/, '').length;
}

/**
 * The log-likelihood of the continuation in an echoed prompt: the sum of `token_logprobs` over the
 * tokens that end past `boundary` (by `text_offset`; a token straddling the boundary counts, as
 * it carries continuation text) and start before `promptLength` (tokens the server generated
 * after the prompt are not part of it). Throws when a counted token has no log-probability.
 */
export function continuationLogprob(logprobs: EchoedLogprobs, boundary: number, promptLength: number): { logprob: number; tokens: number } {
  let logprob = 0;
  let tokens = 0;
  logprobs.tokens.forEach((token, index) => {
    const start = logprobs.text_offset[index] as number;
    if (start >= promptLength || start + token.length <= boundary) return;
    const value = logprobs.token_logprobs[index];
    if (typeof value !== 'number') throw new Error(`the token ${JSON.stringify(token)} at offset ${start} has no log-probability (the first token of a prompt has none: give the completion a context).`);
    logprob += value;
    tokens += 1;
  });
  if (tokens === 0) throw new Error('no token of the completion was found in the echoed prompt.');
  return { logprob, tokens };
}

/**
 * Reads the answer of one `completions.create({ prompt: [context + completion, …], echo: true,
 * logprobs: 1, max_tokens: 0 })` call into scores, in the order of `completions`.
 */
export function scoresFromEchoedCompletion(answer: unknown, context: string, completions: readonly string[], providerId: string, baseURL: string): CompletionScore[] {
  const invalid = (what: string, cause?: unknown) =>
    new ProviderError({
      kind: 'invalid-response',
      providerId,
      message: `${providerId}: scoring completions needs prompt log-probabilities from ${baseURL}/completions (echo with logprobs, as vLLM serves them), but ${what}. Servers without it (llama.cpp server, LM Studio) cannot score completions.`,
      ...(cause !== undefined ? { cause } : {}),
    });
  const choices = (answer as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) throw invalid('the answer has no choices');
  const boundary = continuationBoundary(context);
  return completions.map((completion, position) => {
    const choice = choices.find((entry: { index?: unknown }) => entry?.index === position) ?? (choices.length === completions.length ? choices[position] : undefined);
    const logprobs = (choice as { logprobs?: unknown } | undefined)?.logprobs;
    if (!isEchoedLogprobs(logprobs)) throw invalid(`choice ${position} has no echoed tokens with token_logprobs and text_offset`);
    try {
      return { completion, ...continuationLogprob(logprobs, boundary, context.length + completion.length) };
    } catch (error) {
      throw invalid(`for completion ${position} ${(error as Error).message}`, error);
    }
  });
}
