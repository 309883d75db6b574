import {
  BaseProvider,
  ProviderError,
  type CallOptions,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ProviderWarning,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { startCall, type CallControl } from '../shared/call-control.js';
import { convertToOpenAICompatibleMessages } from './convert-to-openai-compatible-messages.js';
import { mapOpenAICompatibleError } from './openai-compatible-error.js';
import { mapOpenAICompatibleFinishReason } from './map-openai-compatible-finish-reason.js';
import { OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW, type ResolvedOpenAICompatibleSettings } from './openai-compatible-options.js';

/** What an {@link OpenAICompatibleChatModel} is made from; `createOpenAICompatible` supplies it. */
export interface OpenAICompatibleChatModelOptions {
  client: OpenAI;
  settings: ResolvedOpenAICompatibleSettings;
  /** The provider name in ids. Default `openai-compatible`. */
  provider?: string;
}

/** A chat-completions body without `stream`, and what could not be honoured. */
export interface BuiltOpenAICompatibleRequest {
  body: Omit<ChatCompletionCreateParamsNonStreaming, 'stream'> & { top_k?: number };
  warnings: ProviderWarning[];
}

const noUsageWarning = (providerId: string): ProviderWarning => ({
  type: 'other',
  message: `${providerId}: the server reported no token usage; usage counts are 0.`,
});

function mapUsage(usage: CompletionUsage): TokenUsage {
  const inputTokens = usage.prompt_tokens ?? 0;
  const outputTokens = usage.completion_tokens ?? 0;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return { inputTokens, outputTokens, totalTokens: usage.total_tokens ?? inputTokens + outputTokens, ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}) };
}

/**
 * A model on any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, LM Studio,
 * …), on the official `openai` SDK. `topK` is sent as `top_k`, which these servers accept as an
 * extension; `maxTokens` as `max_tokens`. No pricing unless configured.
 */
export class OpenAICompatibleChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly settings: ResolvedOpenAICompatibleSettings;

  constructor(model: string, options: OpenAICompatibleChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'openai-compatible';
    this.client = options.client;
    this.settings = options.settings;
  }

  getModelInfo(): ModelInfo {
    const pricing = this.settings.pricing;
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.contextWindow ?? OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW,
      capabilities: { streaming: true, batch: true, embeddings: false, logprobs: false, tools: false, jsonMode: true, vision: false },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  /** Validates the request and builds the chat-completions body (exposed for inspection and tests). */
  buildRequest(request: GenerateRequest): BuiltOpenAICompatibleRequest {
    const warnings = this.validateRequest(request);
    if (request.providerOptions !== undefined && Object.keys(request.providerOptions).length > 0) {
      throw new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `Invalid request setting 'providerOptions' for ${this.id}: this provider accepts no providerOptions (got ${Object.keys(request.providerOptions).join(', ')}).`,
      });
    }
    const body: BuiltOpenAICompatibleRequest['body'] = { model: this.model, messages: convertToOpenAICompatibleMessages(request.messages) };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.topK !== undefined) body.top_k = request.topK;
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
    if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
    if (request.stop !== undefined) body.stop = request.stop;
    if (request.seed !== undefined) body.seed = request.seed;
    const format = request.responseFormat;
    if (format?.type === 'json') {
      body.response_format = format.schema
        ? { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, strict: true } }
        : { type: 'json_object' };
    }
    return { body, warnings };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCall(options, this.settings.timeoutMs);
    try {
      const completion: unknown = await this.client.chat.completions.create({ ...body, stream: false }, { signal: call.signal, timeout: call.timeoutMs });
      const parsed = (typeof completion === 'object' && completion !== null ? completion : {}) as Partial<OpenAI.ChatCompletion>;
      const choice = Array.isArray(parsed.choices) ? parsed.choices[0] : undefined;
      if (!choice || typeof choice.message !== 'object' || choice.message === null) {
        throw new ProviderError({
          kind: 'invalid-response',
          providerId: this.id,
          message: `${this.id}: the server at ${this.settings.baseURL} answered 200 but the body has no choices[0].message. Check that baseURL is an OpenAI-compatible API root (usually ending in /v1).`,
        });
      }
      const usage = parsed.usage ? mapUsage(parsed.usage) : undefined;
      const cost = usage ? this.estimateCost(usage) : undefined;
      return {
        text: typeof choice.message.content === 'string' ? choice.message.content : '',
        finishReason: mapOpenAICompatibleFinishReason(choice.finish_reason),
        usage: usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        latencyMs: performance.now() - startedAt,
        ...(cost ? { cost } : {}),
        warnings: usage ? warnings : [...warnings, noUsageWarning(this.id)],
        providerId: this.id,
        model: typeof parsed.model === 'string' && parsed.model ? parsed.model : this.model,
        ...(typeof parsed.id === 'string' ? { rawId: parsed.id } : {}),
      };
    } catch (error) {
      throw this.mapError(error, options, call, 'request');
    } finally {
      call.dispose();
    }
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCall(options, this.settings.timeoutMs);
    let text = '';
    let finishReason: string | null | undefined;
    let usage: TokenUsage | undefined;
    let rawId: string | undefined;
    let model: string | undefined;
    let firstTokenAt: number | undefined;
    try {
      let stream: AsyncIterable<OpenAI.ChatCompletionChunk>;
      try {
        stream = await this.client.chat.completions.create(
          { ...body, stream: true, ...(this.settings.streamUsage ? { stream_options: { include_usage: true } } : {}) },
          { signal: call.signal, timeout: call.timeoutMs },
        );
      } catch (error) {
        throw this.mapError(error, options, call, 'request');
      }
      try {
        for await (const chunk of stream) {
          rawId ??= chunk.id;
          if (chunk.model) model = chunk.model;
          const choice = chunk.choices?.[0];
          const delta = choice?.delta?.content;
          if (typeof delta === 'string' && delta !== '') {
            firstTokenAt ??= performance.now();
            text += delta;
            yield { type: 'text-delta', text: delta };
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) usage = mapUsage(chunk.usage);
        }
      } catch (error) {
        throw this.mapError(error, options, call, 'stream');
      }
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), options, call, 'stream');
      if (finishReason === undefined || finishReason === null) {
        throw new ProviderError({
          kind: 'invalid-response',
          providerId: this.id,
          message: `${this.id}: the stream ended without a finish reason (after ${text.length} characters), so the answer may be cut short. Retrying usually helps.`,
        });
      }
    } finally {
      call.dispose();
    }
    const finalUsage = usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const cost = usage ? this.estimateCost(usage) : undefined;
    yield { type: 'usage', usage: finalUsage };
    yield {
      type: 'finish',
      response: {
        text,
        finishReason: mapOpenAICompatibleFinishReason(finishReason),
        usage: finalUsage,
        latencyMs: performance.now() - startedAt,
        timeToFirstTokenMs: (firstTokenAt ?? performance.now()) - startedAt,
        ...(cost ? { cost } : {}),
        warnings: usage ? warnings : [...warnings, noUsageWarning(this.id)],
        providerId: this.id,
        model: model ?? this.model,
        ...(rawId !== undefined ? { rawId } : {}),
      },
    };
  }

  private mapError(error: unknown, options: CallOptions, call: CallControl, phase: 'request' | 'stream'): ProviderError {
    return mapOpenAICompatibleError(error, {
      providerId: this.id,
      baseURL: this.settings.baseURL,
      signal: options.signal,
      timedOut: call.deadline.aborted,
      timeoutMs: call.timeoutMs,
      phase,
    });
  }
}
