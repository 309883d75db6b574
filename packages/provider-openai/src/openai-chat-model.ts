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
import type { CompletionUsage } from 'openai/resources/completions';
import { buildOpenAIRequest, type BuiltOpenAIRequest } from './build-openai-request.js';
import { mapOpenAIError } from './openai-error.js';
import { findOpenAIModel, UNKNOWN_OPENAI_MODEL, type OpenAIModelFacts } from './openai-models.js';
import type { ResolvedOpenAISettings } from './openai-options.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';

/** What an {@link OpenAIChatModel} is made from; `createOpenAI` supplies it. */
export interface OpenAIChatModelOptions {
  /** The SDK client, shared by every model of one provider instance (one connection pool). */
  client: OpenAI;
  settings: ResolvedOpenAISettings;
  /** The provider name in ids. Default `openai`. */
  provider?: string;
}

/** One call's cancellation: the caller's signal joined with the call's deadline. */
interface CallControl {
  signal: AbortSignal;
  deadline: AbortSignal;
  timeoutMs: number;
  dispose(): void;
}

const NO_USAGE_WARNING = (providerId: string): ProviderWarning => ({
  type: 'other',
  message: `${providerId}: the server reported no token usage; usage counts are 0 and cost is unknown.`,
});

/** Maps OpenAI's `usage` to the contract's token counts. */
export function mapOpenAIUsage(usage: CompletionUsage): TokenUsage {
  const inputTokens = usage.prompt_tokens ?? 0;
  const outputTokens = usage.completion_tokens ?? 0;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage.total_tokens ?? inputTokens + outputTokens,
    ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}),
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
  };
}

/**
 * An OpenAI chat model (or a model on any OpenAI-compatible server) behind the LLM Lab provider
 * contract, on the official `openai` SDK's chat-completions API. Make it with `createOpenAI()`.
 */
export class OpenAIChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly settings: ResolvedOpenAISettings;
  private readonly facts: OpenAIModelFacts;
  private readonly info: ModelInfo;

  constructor(model: string, options: OpenAIChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'openai';
    this.client = options.client;
    this.settings = options.settings;
    this.facts = findOpenAIModel(model) ?? UNKNOWN_OPENAI_MODEL;
    const pricing = this.settings.pricing ?? this.facts.pricing;
    this.info = {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.contextWindow ?? this.facts.contextWindow,
      ...(this.facts.maxOutputTokens !== undefined ? { maxOutputTokens: this.facts.maxOutputTokens } : {}),
      capabilities: { ...this.facts.capabilities },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  getModelInfo(): ModelInfo {
    return { ...this.info, capabilities: { ...this.info.capabilities }, ...(this.info.pricing ? { pricing: { ...this.info.pricing } } : {}) };
  }

  /** Validates the request and builds the chat-completions body (exposed for inspection and tests). */
  buildRequest(request: GenerateRequest): BuiltOpenAIRequest {
    const warnings = this.validateRequest(request);
    const built = buildOpenAIRequest({
      request,
      model: this.model,
      providerId: this.id,
      settings: this.settings,
      reasoning: this.facts.reasoning,
    });
    return { body: built.body, warnings: [...warnings, ...built.warnings] };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = this.startCall(options);
    try {
      const completion: unknown = await this.client.chat.completions.create(
        { ...body, stream: false },
        { signal: call.signal, timeout: call.timeoutMs },
      );
      return this.toResponse(completion, warnings, startedAt);
    } catch (error) {
      throw this.mapError(error, options, call, 'request');
    } finally {
      call.dispose();
    }
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = this.startCall(options);
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
          { ...body, stream: true, stream_options: { include_usage: true } },
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
          if (chunk.usage) usage = mapOpenAIUsage(chunk.usage);
        }
      } catch (error) {
        throw this.mapError(error, options, call, 'stream');
      }
      // The SDK ends a stream quietly when it is aborted: say why it stopped.
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
    const allWarnings = usage ? warnings : [...warnings, NO_USAGE_WARNING(this.id)];
    const finalUsage = usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const cost = usage ? this.estimateCost(usage) : undefined;
    yield { type: 'usage', usage: finalUsage };
    yield {
      type: 'finish',
      response: {
        text,
        finishReason: mapOpenAIFinishReason(finishReason),
        usage: finalUsage,
        latencyMs: performance.now() - startedAt,
        timeToFirstTokenMs: (firstTokenAt ?? performance.now()) - startedAt,
        ...(cost ? { cost } : {}),
        warnings: allWarnings,
        providerId: this.id,
        model: model ?? this.model,
        ...(rawId !== undefined ? { rawId } : {}),
      },
    };
  }

  private startCall(options: CallOptions): CallControl {
    const timeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    const deadline = new AbortController();
    // The call's own deadline covers a streamed answer to its end (the SDK's timeout stops at the headers).
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
    return { signal, deadline: deadline.signal, timeoutMs, dispose: () => clearTimeout(timer) };
  }

  private mapError(error: unknown, options: CallOptions, call: CallControl, phase: 'request' | 'stream'): ProviderError {
    return mapOpenAIError(error, {
      providerId: this.id,
      baseURL: this.settings.baseURL,
      isOpenAIHost: this.settings.isOpenAIHost,
      signal: options.signal,
      timedOut: call.deadline.aborted,
      timeoutMs: call.timeoutMs,
      phase,
    });
  }

  private toResponse(completion: unknown, warnings: ProviderWarning[], startedAt: number): GenerateResponse {
    const invalid = (what: string) =>
      new ProviderError({
        kind: 'invalid-response',
        providerId: this.id,
        message: `${this.id}: the server at ${this.settings.baseURL} answered 200 but ${what}. Retrying may help; if it persists, check that baseURL points at an OpenAI-compatible chat-completions API.`,
      });
    if (typeof completion !== 'object' || completion === null) throw invalid('the body is not a JSON object');
    const parsed = completion as Partial<OpenAI.ChatCompletion>;
    const choice = Array.isArray(parsed.choices) ? parsed.choices[0] : undefined;
    if (!choice || typeof choice.message !== 'object' || choice.message === null) throw invalid('the body has no choices[0].message');
    const allWarnings = [...warnings];
    let text = typeof choice.message.content === 'string' ? choice.message.content : '';
    if (!text && typeof choice.message.refusal === 'string' && choice.message.refusal) {
      text = choice.message.refusal;
      allWarnings.push({ type: 'other', message: `${this.id}: the model refused; the text is its refusal.` });
    }
    const usage = parsed.usage ? mapOpenAIUsage(parsed.usage) : undefined;
    if (!usage) allWarnings.push(NO_USAGE_WARNING(this.id));
    const finalUsage = usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const cost = usage ? this.estimateCost(usage) : undefined;
    return {
      text,
      finishReason: mapOpenAIFinishReason(choice.finish_reason),
      usage: finalUsage,
      latencyMs: performance.now() - startedAt,
      ...(cost ? { cost } : {}),
      warnings: allWarnings,
      providerId: this.id,
      model: typeof parsed.model === 'string' && parsed.model ? parsed.model : this.model,
      ...(typeof parsed.id === 'string' ? { rawId: parsed.id } : {}),
    };
  }
}
