import {
  BaseProvider,
  costFromPricing,
  flattenMessagesToPrompt,
  ProviderError,
  startCallDeadline,
  type BatchItemResult,
  type CallDeadline,
  type CallOptions,
  type CompletionScore,
  type CostBreakdown,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ProviderWarning,
  type ScoreCompletionsRequest,
  type StreamPart,
  type TokenLogprob,
  type TokenUsage,
} from '@llm-lab/core';
import type OpenAI from 'openai';
import type { CompletionUsage } from 'openai/resources/completions';
import { buildOpenAIRequest, type BuiltOpenAIRequest } from './build-openai-request.js';
import { runOpenAIBatch, type OpenAIBatchOptions } from './openai-batch.js';
import { mapOpenAIError, type OpenAIErrorContext } from './openai-error.js';
import { findOpenAIModel, UNKNOWN_OPENAI_MODEL, type OpenAIModelFacts } from './openai-models.js';
import type { OpenAIBatchSettings, ResolvedOpenAISettings } from './openai-options.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { scoresFromEchoedCompletion } from './openai-prompt-scoring.js';
import { CALLER_SIGNAL } from './node-http-fetch.js';

/** The settings an {@link OpenAIChatModel} reads (a subset of the resolved `config:` block). */
export interface OpenAIChatModelSettings
  extends Pick<ResolvedOpenAISettings, 'timeoutMs' | 'baseURL' | 'isOpenAIHost' | 'maxTokensParameter' | 'pricing' | 'contextWindow'> {
  /** Batch API settings; without them `batchGenerate` always runs concurrent calls. */
  batch?: OpenAIBatchSettings;
  /** Ask for usage in streamed answers (`stream_options.include_usage`). Default true; false for servers that refuse it. */
  streamUsage?: boolean;
  /**
   * The client's `fetch` buffers whole non-streamed answers (the node:http transport), so the
   * SDK's timeout covers the entire call and `generate` needs no deadline of its own.
   */
  bufferedTransport?: boolean;
}

/**
 * What an {@link OpenAIChatModel} is made from; `createOpenAI` supplies it. The optional hooks let
 * an OpenAI-compatible vendor (e.g. Azure OpenAI) reuse the model with its own SDK client.
 */
export interface OpenAIChatModelOptions {
  /** The SDK client, shared by every model of one provider instance (one connection pool). */
  client: OpenAI;
  settings: OpenAIChatModelSettings;
  /** The provider name in ids. Default `openai`. */
  provider?: string;
  /**
   * The OpenAI model whose facts (prices, context window, reasoning) apply, when the model name
   * is an alias such as an Azure deployment name. Default: the model name.
   */
  factsModel?: string;
  /** The model's facts, given outright (e.g. by an OpenAI-compatible server's provider); replaces the lookup by `factsModel`. */
  facts?: OpenAIModelFacts;
  /** Classifies SDK failures. Default {@link mapOpenAIError}. */
  mapError?: (error: unknown, context: OpenAIErrorContext) => ProviderError;
  /** More of what says which server answers, for {@link OpenAIChatModel.cacheIdentity} (e.g. an Azure deployment and API version). */
  identity?: Record<string, unknown>;
}

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
  private readonly settings: OpenAIChatModelSettings;
  private readonly facts: OpenAIModelFacts;
  private readonly info: ModelInfo;
  private readonly errorMapper: (error: unknown, context: OpenAIErrorContext) => ProviderError;
  private readonly identity: Record<string, unknown> | undefined;

  constructor(model: string, options: OpenAIChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'openai';
    this.client = options.client;
    this.settings = options.settings;
    this.facts = options.facts ?? findOpenAIModel(options.factsModel ?? model) ?? UNKNOWN_OPENAI_MODEL;
    this.errorMapper = options.mapError ?? mapOpenAIError;
    this.identity = options.identity;
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

  /** The server that answers: its base URL and the chat-completions endpoint (contract 1.2). */
  cacheIdentity(): Record<string, unknown> {
    return { baseURL: this.settings.baseURL, endpoint: 'chat/completions', ...this.identity };
  }

  getModelInfo(): ModelInfo {
    return { ...this.info, capabilities: { ...this.info.capabilities }, ...(this.info.pricing ? { pricing: { ...this.info.pricing } } : {}) };
  }

  /** Cost at this model's prices (read without copying the model facts: this runs once per call). */
  override estimateCost(usage: TokenUsage): CostBreakdown | undefined {
    return costFromPricing(this.info.pricing, usage);
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
    if (this.settings.bufferedTransport) return this.generateBuffered(body, warnings, options, startedAt);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    try {
      const completion: unknown = await this.client.chat.completions.create(
        { ...body, stream: false },
        { signal: call.signal, timeout: call.timeoutMs },
      );
      return this.responseFromCompletion(completion, warnings, startedAt);
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
  }

  /**
   * `generate` over the node:http transport, which hands the SDK a whole buffered body: the
   * SDK's own timeout then covers the entire call, so no second deadline (controller, timer and
   * listeners per call) is needed on this hot path. A failure at or past the deadline, with the
   * caller's signal still quiet, is the timeout.
   */
  private async generateBuffered(
    body: BuiltOpenAIRequest['body'],
    warnings: ProviderWarning[],
    options: CallOptions,
    startedAt: number,
  ): Promise<GenerateResponse> {
    const timeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    try {
      const completion: unknown = await this.client.chat.completions.create(
        { ...body, stream: false },
        // The caller's signal goes to the transport (see CALLER_SIGNAL), not to the SDK, which
        // would leave a listener on it after every call.
        { ...(options.signal ? { fetchOptions: { [CALLER_SIGNAL]: options.signal } as unknown as OpenAI.RequestOptions['fetchOptions'] } : {}), timeout: timeoutMs },
      );
      return this.responseFromCompletion(completion, warnings, startedAt);
    } catch (error) {
      const timedOut = !options.signal?.aborted && performance.now() - startedAt >= timeoutMs;
      throw this.errorMapper(error, {
        providerId: this.id,
        baseURL: this.settings.baseURL,
        isOpenAIHost: this.settings.isOpenAIHost,
        signal: options.signal,
        timedOut,
        timeoutMs,
        phase: 'request',
      });
    }
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let text = '';
    let finishReason: string | null | undefined;
    let usage: TokenUsage | undefined;
    let rawId: string | undefined;
    let model: string | undefined;
    let firstTokenAt: number | undefined;
    const logprobs: TokenLogprob[] = [];
    try {
      let stream: AsyncIterable<OpenAI.ChatCompletionChunk>;
      try {
        stream = await this.client.chat.completions.create(
          { ...body, stream: true, ...(this.settings.streamUsage === false ? {} : { stream_options: { include_usage: true } }) },
          { signal: call.signal, timeout: call.timeoutMs },
        );
      } catch (error) {
        throw this.mapError(error, call, 'request');
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
          if (choice?.logprobs?.content) logprobs.push(...mapOpenAILogprobs(choice.logprobs.content));
          if (chunk.usage) usage = mapOpenAIUsage(chunk.usage);
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      // The SDK ends a stream quietly when it is aborted: say why it stopped.
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (finishReason === undefined || finishReason === null) throw this.streamCutShort(text.length);
    } finally {
      call.dispose();
    }
    yield* this.streamEnd({
      text,
      finishReason: mapOpenAIFinishReason(finishReason),
      usage,
      startedAt,
      firstTokenAt: firstTokenAt ?? null,
      warnings,
      model,
      rawId,
      ...(request.logprobs !== undefined ? { extra: { logprobs } } : {}),
    });
  }

  /**
   * Many calls; one failure does not fail the batch. With `mode: 'api'` (per call, or the
   * provider's `batch.mode`) the batch goes through OpenAI's Batch API (see {@link runOpenAIBatch}):
   * half price, but answers arrive within OpenAI's 24-hour window rather than in seconds. Otherwise
   * the requests run as concurrent calls, bounded by `concurrency` (default 8).
   */
  override async batchGenerate(requests: GenerateRequest[], options: OpenAIBatchOptions = {}): Promise<BatchItemResult[]> {
    const { mode, pollIntervalMs, maxPollIntervalMs, maxWaitMs, onProgress, ...concurrentOptions } = options;
    if ((mode ?? this.settings.batch?.mode ?? 'concurrent') !== 'api') return super.batchGenerate(requests, concurrentOptions);
    const batchSettings = this.settings.batch;
    if (!batchSettings) {
      const error = new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `${this.id} does not support the Batch API mode; run the batch with mode 'concurrent' (the default).`,
      });
      return requests.map(() => ({ ok: false, error }));
    }
    return runOpenAIBatch(
      {
        client: this.client,
        providerId: this.id,
        settings: batchSettings,
        callTimeoutMs: options.timeoutMs ?? this.settings.timeoutMs,
        build: (request) => this.buildRequest(request),
        toResponse: (completion, warnings, startedAt) => this.responseFromCompletion(completion, warnings, startedAt),
        mapError: (error, signal) =>
          this.errorMapper(error, { providerId: this.id, baseURL: this.settings.baseURL, isOpenAIHost: this.settings.isOpenAIHost, signal }),
      },
      requests,
      { ...options, ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}), ...(maxPollIntervalMs !== undefined ? { maxPollIntervalMs } : {}), ...(maxWaitMs !== undefined ? { maxWaitMs } : {}), ...(onProgress ? { onProgress } : {}) },
    );
  }

  /**
   * The log-likelihood of each completion after the conversation, from the legacy completions
   * endpoint: one `completions.create` call with a prompt per completion (the conversation
   * flattened to plain text, then the completion), `echo: true, logprobs: 1, max_tokens: 0`;
   * each completion's score sums the echoed `token_logprobs` of its tokens, found by
   * `text_offset`. Works with servers that return prompt log-probabilities (vLLM); subclasses
   * expose it as `scoreCompletions` where the server is known to (see OpenAICompatibleChatModel).
   */
  protected async scoreByEcho(request: ScoreCompletionsRequest, options: CallOptions = {}): Promise<CompletionScore[]> {
    if (request.completions.length === 0) {
      throw new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id}: scoreCompletions needs at least one completion.` });
    }
    const { prompt: context } = flattenMessagesToPrompt(request.messages);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let answer: unknown;
    try {
      answer = await this.client.completions.create(
        { model: this.model, prompt: request.completions.map((completion) => context + completion), echo: true, logprobs: 1, max_tokens: 0, temperature: 0 },
        { signal: call.signal, timeout: call.timeoutMs },
      );
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
    return scoresFromEchoedCompletion(answer, context, request.completions, this.id, this.settings.baseURL);
  }

  private mapError(error: unknown, call: CallDeadline, phase: 'request' | 'stream'): ProviderError {
    return this.errorMapper(error, {
      providerId: this.id,
      baseURL: this.settings.baseURL,
      isOpenAIHost: this.settings.isOpenAIHost,
      ...call.abortState(),
      phase,
    });
  }

  /**
   * Turns a chat-completion body into a contract response (latency counted from `startedAt`).
   * Throws an `invalid-response` ProviderError for a body that is not a chat completion. Public
   * for the Batch API runner, whose answers arrive in result files.
   */
  responseFromCompletion(completion: unknown, warnings: ProviderWarning[], startedAt: number): GenerateResponse {
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
    const logprobs = choice.logprobs?.content ? mapOpenAILogprobs(choice.logprobs.content) : undefined;
    return this.assembleResponse({
      text,
      finishReason: mapOpenAIFinishReason(choice.finish_reason),
      usage: parsed.usage ? mapOpenAIUsage(parsed.usage) : undefined,
      startedAt,
      warnings: allWarnings,
      model: typeof parsed.model === 'string' ? parsed.model : undefined,
      rawId: typeof parsed.id === 'string' ? parsed.id : undefined,
      ...(logprobs ? { extra: { logprobs } } : {}),
    });
  }
}

/** OpenAI's `logprobs.content` entries as contract token log-probabilities. */
function mapOpenAILogprobs(content: ReadonlyArray<OpenAI.ChatCompletionTokenLogprob>): TokenLogprob[] {
  return content.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    ...(entry.top_logprobs?.length ? { topLogprobs: entry.top_logprobs.map((top) => ({ token: top.token, logprob: top.logprob })) } : {}),
  }));
}
