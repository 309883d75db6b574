import { randomBytes } from 'node:crypto';
import type { EmbedResult, FinishReason, GenerateResponse, TokenLogprob, TokenUsage, ToolCall } from '@llm-lab/core';

const FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
  error: 'stop',
  other: 'stop',
};

/** OpenAI's `finish_reason` for the contract's. */
export function finishReasonOf(reason: FinishReason): string {
  return FINISH[reason] ?? 'stop';
}

// Ids unique to this process without a random draw per request: a random prefix and a counter.
const ID_PREFIX = randomBytes(6).toString('hex');
let idCounter = 0;

/** A new `chatcmpl-…` id. */
export function completionId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `chatcmpl-${ID_PREFIX}${idCounter.toString(36)}`;
}

export function usageOf(usage: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedInputTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } } : {}),
    ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
  };
}

function toolCallsOf(calls: readonly ToolCall[]): unknown[] {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

function logprobsOf(logprobs: readonly TokenLogprob[] | undefined): unknown {
  if (!logprobs) return null;
  return {
    content: logprobs.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: null,
      top_logprobs: (entry.topLogprobs ?? []).map((top) => ({ token: top.token, logprob: top.logprob, bytes: null })),
    })),
  };
}

function messageOf(text: string, toolCalls: readonly ToolCall[] | undefined, reasoning: string | undefined): Record<string, unknown> {
  const hasCalls = toolCalls !== undefined && toolCalls.length > 0;
  return {
    role: 'assistant',
    content: hasCalls && text === '' ? null : text,
    refusal: null,
    ...(hasCalls ? { tool_calls: toolCallsOf(toolCalls) } : {}),
    ...(reasoning ? { reasoning_content: reasoning } : {}),
  };
}

/** A whole answer as OpenAI's `chat.completion` JSON, whichever vendor gave it. */
export function chatCompletionBody(response: GenerateResponse, created: number): string {
  const choices =
    response.choices && response.choices.length > 1
      ? response.choices.map((choice, index) => ({
          index,
          message: messageOf(choice.text, choice.toolCalls, choice.reasoning),
          finish_reason: finishReasonOf(choice.finishReason),
          logprobs: index === 0 ? logprobsOf(response.logprobs) : null,
        }))
      : [{ index: 0, message: messageOf(response.text, response.toolCalls, response.reasoning), finish_reason: finishReasonOf(response.finishReason), logprobs: logprobsOf(response.logprobs) }];
  return JSON.stringify({
    id: response.rawId ?? completionId(),
    object: 'chat.completion',
    created,
    model: response.model,
    choices,
    usage: usageOf(response.usage),
    system_fingerprint: null,
  });
}

/**
 * Writes `chat.completion.chunk` frames for one streamed answer. The prefix of every chunk (id,
 * created, model) is serialised once per stream; each frame then costs one small JSON.stringify.
 */
export class ChunkWriter {
  private readonly head: string;
  private readonly usageField: string;

  constructor(id: string, created: number, model: string, includeUsage: boolean) {
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":`;
    // With include_usage, OpenAI sends `"usage":null` on every chunk before the last.
    this.usageField = includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  }

  /** A frame of the first choice with this delta. */
  delta(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return `${this.head}[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finishReason === null ? 'null' : JSON.stringify(finishReason)}}]${this.usageField}`;
  }

  /** The first frame: the assistant's role and empty content. */
  role(): string {
    return `${this.head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.usageField}`;
  }

  /** A text delta, serialised without building an object. */
  text(text: string): string {
    return `${this.head}[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${this.usageField}`;
  }

  /** The last frame of `stream_options.include_usage`: no choices, the usage. */
  usage(usage: TokenUsage): string {
    return `${this.head}[],"usage":${JSON.stringify(usageOf(usage))}}\n\n`;
  }
}

/** The end of every OpenAI stream. */
export const DONE_FRAME = 'data: [DONE]\n\n';

/** Embeddings as OpenAI's `list` of `embedding` objects; `base64` packs each vector as little-endian float32. */
export function embeddingsBody(result: EmbedResult, encoding: 'float' | 'base64'): string {
  return JSON.stringify({
    object: 'list',
    data: result.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encoding === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    })),
    model: result.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.totalTokens },
  });
}
