/**
 * The legacy completions endpoint (`POST /v1/completions`) for the fake server, with prompt
 * log-probabilities the way vLLM returns them for `echo: true, logprobs: k`: the prompt comes back
 * as `text`, and `logprobs` lists its tokens (`tokens`), each token's log-probability
 * (`token_logprobs`, null for the first, which has no context), where each token starts in the
 * text (`text_offset`, in characters) and the top alternatives (`top_logprobs`). Generated tokens
 * (`max_tokens` > 0) follow the prompt's. `prompt` may be a string or a list of strings (one
 * choice each, by `index`).
 */
import { createHash } from 'node:crypto';
import type { WireAnswer } from './openai-compatible-server.js';
import { errorWire } from './openai-wire.js';

/** The log-probability of `token` after `preceding` (the prompt text before it). */
export type FakePromptLogprob = (token: string, preceding: string) => number;

/**
 * The fake's tokenizer: each run of letters and digits with the whitespace before it (` upon`,
 * `Once`), each other character with its whitespace (`,`, ` $`), and trailing whitespace alone,
 * the way GPT-2-style byte-pair tokenizers attach a leading space to a word.
 */
export function fakeTokenize(text: string): string[] {
  return text.match(/\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]|\s+$/g) ?? [];
}

/** The default log-probability: deterministic in the token and its context, from -0.05 to about -8. */
export const defaultPromptLogprob: FakePromptLogprob = (token, preceding) => {
  const hash = createHash('sha256').update(`${preceding}\u0000${token}`).digest().readUInt32LE(0);
  return -0.05 - (hash % 8000) / 1000;
};

/** The token the fake generates after the prompt when `max_tokens` > 0, and its log-probability. */
export const FAKE_GENERATED_TOKEN = { token: ' the', logprob: -1.5 };

const invalid = (message: string, param: string | null, code: string | null = null): WireAnswer => ({
  status: 400,
  body: errorWire({ message, type: 'invalid_request_error', param, code }),
});

/** Answers a completions request body as vLLM does with `echo` and `logprobs`. */
export function answerCompletions(body: unknown, promptLogprob: FakePromptLogprob = defaultPromptLogprob): WireAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('We could not parse the JSON body of your request.', null);
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') return invalid('You must provide a model parameter.', null);
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
  if (!Array.isArray(prompts) || prompts.length === 0 || prompts.some((prompt) => typeof prompt !== 'string')) {
    return invalid("Missing required parameter: 'prompt' (a string or a list of strings).", 'prompt', 'missing_required_parameter');
  }
  const maxTokens = request.max_tokens ?? 16;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0) return invalid("'max_tokens' must be an integer ≥ 0.", 'max_tokens', 'invalid_value');
  const logprobs = request.logprobs ?? null;
  if (logprobs !== null && (typeof logprobs !== 'number' || !Number.isInteger(logprobs) || logprobs < 0 || logprobs > 20)) {
    return invalid("'logprobs' must be an integer from 0 to 20.", 'logprobs', 'invalid_value');
  }
  const echo = request.echo === true;
  if (echo && maxTokens === 0 && logprobs === null) return invalid('echo with max_tokens 0 needs logprobs.', 'echo');
  let promptTokens = 0;
  let completionTokens = 0;
  const choices = (prompts as string[]).map((prompt, index) => {
    const tokens: string[] = [];
    const tokenLogprobs: Array<number | null> = [];
    const offsets: number[] = [];
    let offset = 0;
    const promptParts = fakeTokenize(prompt);
    promptTokens += promptParts.length;
    if (echo) {
      for (const token of promptParts) {
        tokens.push(token);
        tokenLogprobs.push(offset === 0 ? null : promptLogprob(token, prompt.slice(0, offset)));
        offsets.push(offset);
        offset += token.length;
      }
    } else {
      offset = prompt.length;
    }
    let generated = '';
    if (maxTokens > 0) {
      completionTokens += 1;
      generated = FAKE_GENERATED_TOKEN.token;
      tokens.push(FAKE_GENERATED_TOKEN.token);
      tokenLogprobs.push(FAKE_GENERATED_TOKEN.logprob);
      offsets.push(offset);
    }
    return {
      index,
      text: `${echo ? prompt : ''}${generated}`,
      logprobs:
        logprobs === null
          ? null
          : {
              text_offset: offsets,
              token_logprobs: tokenLogprobs,
              tokens,
              top_logprobs: tokens.map((token, at) => (tokenLogprobs[at] === null ? null : { [token]: tokenLogprobs[at] as number })),
            },
      finish_reason: 'length',
      stop_reason: null,
      prompt_logprobs: null,
    };
  });
  return {
    status: 200,
    body: {
      id: `cmpl-${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 24)}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens, completion_tokens: completionTokens, prompt_tokens_details: null },
    },
  };
}
