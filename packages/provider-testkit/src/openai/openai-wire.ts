/**
 * OpenAI chat-completions wire shapes, as documented in OpenAI's API reference: the request the
 * fake server reads and the JSON, SSE chunk and error bodies it writes.
 */

/** The part of a chat-completions request body the fake server reads. Other fields are recorded, not interpreted. */
export interface ChatCompletionRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  temperature?: unknown;
  top_p?: unknown;
  n?: unknown;
  [field: string]: unknown;
}

/** An OpenAI finish reason. */
export type OpenAIFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'function_call';

/** Token counts in the fake's reply; missing counts are computed as whitespace-separated words. */
export interface FakeUsage {
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

/** What a responder answers: the text, and optionally the finish reason and token counts. */
export interface FakeReply {
  text: string;
  /** Default `stop`. */
  finishReason?: OpenAIFinishReason;
  usage?: FakeUsage;
  /**
   * Log-probabilities per streamed token (one per word piece of `text`), sent when the request
   * asks for `logprobs`. Without them, each token gets logprob 0 and alternatives at -10.
   */
  logprobs?: FakeTokenLogprob[];
  /** Tool calls the model makes (ids made up when absent); with them `content` is null when `text` is empty. */
  toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
  /**
   * Reasoning text, sent as `reasoning_content` (vLLM's and DeepSeek's field) by servers started
   * with `reasoningContent: true`; OpenAI's own chat API never returns it.
   */
  reasoning?: string;
}

/** One token's log-probability in a {@link FakeReply}. */
export interface FakeTokenLogprob {
  token: string;
  logprob: number;
  top?: Array<{ token: string; logprob: number }>;
}

/** The OpenAI `logprobs.content` entries for a reply, when the request asked for them (else null). */
export function logprobsWire(body: ChatCompletionRequestBody, reply: FakeReply, pieces: string[] = splitIntoDeltas(reply.text)) {
  if (body.logprobs !== true) return null;
  const topCount = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const entries: FakeTokenLogprob[] = reply.logprobs ?? pieces.map((token) => ({ token, logprob: 0 }));
  return {
    content: entries.map((entry) => {
      const top = entry.top ?? [
        { token: entry.token, logprob: entry.logprob },
        ...Array.from({ length: Math.max(0, topCount - 1) }, (_, index) => ({ token: `alt${index + 1}`, logprob: -10 - index })),
      ];
      const bytes = (token: string) => [...Buffer.from(token, 'utf8')];
      return {
        token: entry.token,
        logprob: entry.logprob,
        bytes: bytes(entry.token),
        top_logprobs: top.slice(0, topCount).map((alternative) => ({ ...alternative, bytes: bytes(alternative.token) })),
      };
    }),
    refusal: null,
  };
}

/** The OpenAI `usage` object. */
export interface OpenAIUsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The text of a message's `content`: a string, or the text parts of a content array (images left out). */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter((part: unknown): part is { text: string } => typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string')
      .map((part) => part.text)
      .join(' ');
  }
  return '';
}

/** Whitespace-separated words: the fake's stand-in for tokens. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** The messages of a request as `{ role, text }`, ignoring malformed entries. */
export function messagesOf(body: ChatCompletionRequestBody): Array<{ role: string; text: string }> {
  if (!Array.isArray(body.messages)) return [];
  return body.messages
    .filter((message: unknown): message is Record<string, unknown> => typeof message === 'object' && message !== null)
    .map((message) => ({ role: String(message.role), text: textOfContent(message.content) }));
}

/** Prompt tokens of a request in the fake's counting (words of every message, at least 1). */
export function promptTokensOf(body: ChatCompletionRequestBody): number {
  return Math.max(1, messagesOf(body).reduce((sum, message) => sum + countWords(message.text), 0));
}

/** The default responder: the text of the last user message. */
export function echoLastUserMessage(body: ChatCompletionRequestBody): string {
  const users = messagesOf(body).filter((message) => message.role === 'user');
  return users[users.length - 1]?.text ?? '';
}

/** Builds the `usage` object for a reply. */
export function usageWire(body: ChatCompletionRequestBody, reply: FakeReply): OpenAIUsageWire {
  const prompt = reply.usage?.promptTokens ?? promptTokensOf(body);
  const generated =
    countWords(reply.text) + (reply.toolCalls ?? []).reduce((sum, call) => sum + countWords(call.arguments), 0) + countWords(reply.reasoning ?? '');
  const completion = reply.usage?.completionTokens ?? generated * choiceCount(body);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: reply.usage?.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reply.usage?.reasoningTokens ?? countWords(reply.reasoning ?? '') * choiceCount(body),
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Fields shared by a completion and its chunks. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
  systemFingerprint: string;
}

/** Alternatives a request asks for (`n`, default 1). */
export function choiceCount(body: ChatCompletionRequestBody): number {
  return typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
}

/** The assistant `message` of a whole answer: `content` (null when the model only called tools), `tool_calls`, `reasoning_content` where the server sends it. */
export function messageWire(reply: FakeReply, reasoningContent: boolean) {
  const calls = reply.toolCalls ?? [];
  return {
    role: 'assistant',
    content: reply.text === '' && calls.length > 0 ? null : reply.text,
    refusal: null,
    annotations: [],
    ...(calls.length > 0
      ? { tool_calls: calls.map((call) => ({ id: call.id ?? 'call_fake', type: 'function', function: { name: call.name, arguments: call.arguments } })) }
      : {}),
    ...(reasoningContent && reply.reasoning !== undefined ? { reasoning_content: reply.reasoning } : {}),
  };
}

/** A whole (non-streamed) `chat.completion` object; `n` > 1 repeats the reply as each alternative. */
export function completionWire(identity: CompletionIdentity, body: ChatCompletionRequestBody, reply: FakeReply, reasoningContent = false) {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: Array.from({ length: choiceCount(body) }, (_, index) => ({
      index,
      message: messageWire(reply, reasoningContent),
      logprobs: logprobsWire(body, reply),
      finish_reason: reply.finishReason ?? 'stop',
    })),
    usage: usageWire(body, reply),
    service_tier: 'default',
    system_fingerprint: identity.systemFingerprint,
  };
}

/** One `chat.completion.chunk`. `usage` is `null` on every chunk when usage was asked for, except the last. */
export function chunkWire(
  identity: CompletionIdentity,
  choice: { delta: Record<string, unknown>; finishReason: OpenAIFinishReason | null; logprobs?: unknown; index?: number } | undefined,
  usage: { includeUsage: boolean; value: OpenAIUsageWire | null },
) {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    service_tier: 'default',
    system_fingerprint: identity.systemFingerprint,
    choices: choice ? [{ index: choice.index ?? 0, delta: choice.delta, logprobs: choice.logprobs ?? null, finish_reason: choice.finishReason }] : [],
    ...(usage.includeUsage ? { usage: usage.value } : {}),
  };
}

/** Splits a reply into the content deltas a stream sends: words with their trailing space. */
export function splitIntoDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** An OpenAI error body. */
export function errorWire(options: {
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
}): OpenAIErrorBody {
  return {
    error: { message: options.message, type: options.type, param: options.param ?? null, code: options.code ?? null },
  };
}

/** OpenAI's masked form of a key in error messages: the first five and last two characters. */
export function maskApiKey(key: string): string {
  if (key.length <= 8) return '***';
  return `${key.slice(0, 5)}***${key.slice(-2)}`;
}

/** The error body OpenAI sends for an HTTP status and code when the fault gives none. */
export function defaultErrorFor(options: {
  status: number;
  code?: string | null;
  message?: string;
  errorType?: string;
  param?: string | null;
  model?: string;
}): OpenAIErrorBody {
  const { status, code = null, param = null } = options;
  const preset = ((): { message: string; type: string } => {
    if (code === 'content_filter') {
      return {
        message:
          "The response was filtered due to the prompt triggering OpenAI's content management policy. Please modify your prompt and retry.",
        type: 'invalid_request_error',
      };
    }
    if (code === 'insufficient_quota') {
      return {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
      };
    }
    switch (status) {
      case 401:
        return {
          message: 'Incorrect API key provided: sk-ab***cd. You can find your API key at https://platform.openai.com/account/api-keys.',
          type: 'invalid_request_error',
        };
      case 403:
        return { message: 'You are not allowed to sample from this model', type: 'invalid_request_error' };
      case 404:
        return { message: `The model \`${options.model ?? 'unknown'}\` does not exist or you do not have access to it.`, type: 'invalid_request_error' };
      case 429:
        return {
          message: `Rate limit reached for ${options.model ?? 'the model'} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          type: 'requests',
        };
      case 500:
        return { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error' };
      case 503:
        return { message: 'The engine is currently overloaded, please try again later.', type: 'server_error' };
      case 529:
        return { message: 'Overloaded', type: 'overloaded_error' };
      default:
        return { message: `Request failed with status ${status}.`, type: status >= 500 ? 'server_error' : 'invalid_request_error' };
    }
  })();
  return errorWire({ message: options.message ?? preset.message, type: options.errorType ?? preset.type, param, code });
}
