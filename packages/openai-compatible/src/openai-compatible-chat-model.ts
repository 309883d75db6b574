import {
  BaseProvider,
  costFromPricing,
  flattenMessagesToPrompt,
  ProviderError,
  startCallDeadline,
  StreamAccumulator,
  withErrorPart,
  type BatchItemResult,
  type CallDeadline,
  type CallOptions,
  type CompletionScore,
  type CostBreakdown,
  type GeneratedChoice,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ModelPricing,
  type ProviderWarning,
  type ScoreCompletionsRequest,
  type StreamPart,
  type TokenLogprob,
  type TokenUsage,
  type ToolCall,
} from '@llm-lab/core';
import { CALLER_SIGNAL } from '@llm-lab/provider-utils';
import type OpenAI from 'openai';
import type { CompletionUsage } from 'openai/resources/completions';
import { postChatCompletion, postChatCompletionStream, type DirectPost } from './direct-post.js';
import { buildOpenAIRequest, type BuiltOpenAIRequest, type OpenAIRequestDialect } from './build-openai-request.js';
import { mapOpenAIError, type OpenAIErrorContext } from './openai-error.js';
import { findOpenAIModel, UNKNOWN_OPENAI_MODEL, type OpenAIModelFacts } from './openai-models.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { scoresFromEchoedCompletion } from './openai-prompt-scoring.js';
import { runOpenAIBatch, type OpenAIBatchOptions } from './openai-batch.js';
import type { OpenAIBatchSettings } from './openai-batch-settings.js';

/** The settings an {@link OpenAICompatibleChatModel} reads. */
export interface OpenAICompatibleChatModelSettings extends Omit<OpenAIRequestDialect, 'maxTokensParameter'> {
  /** Per-call timeout in milliseconds (a call may override it). */
  timeoutMs: number;
  /** The server called, named in errors. */
  baseURL: string;
  /** Whether `baseURL` is OpenAI's own API (decides how the server is named in errors). */
  isOpenAIHost: boolean;
  /** The field that carries `maxTokens`. */
  maxTokensParameter: OpenAIRequestDialect['maxTokensParameter'];
  /** Prices that replace the model table's (for models LLM Lab does not know). */
  pricing?: ModelPricing | undefined;
  /** Context window that replaces the model table's. */
  contextWindow?: number | undefined;
  /** Ask for usage in streamed answers (`stream_options.include_usage`). Default true; false for servers that refuse it. */
  streamUsage?: boolean;
  /**
   * The client's `fetch` buffers whole non-streamed answers (the node:http transport), so the
   * SDK's timeout covers the entire call and `generate` needs no deadline of its own.
   */
  bufferedTransport?: boolean;
  /** With the buffered transport: post chat completions, whole and streamed, without the SDK (see {@link DirectPost}). */
  directPost?: DirectPost;
  /**
   * The server returns prompt log-probabilities on `/completions` with `echo` (vLLM): the model
   * then implements `scoreCompletions`. Default false.
   */
  promptLogprobs?: boolean;
}

/** What an {@link OpenAICompatibleChatModel} is made from (`createOpenAI`, `createAzure`, `createOpenAICompatible` supply it). */
export interface OpenAICompatibleChatModelOptions {
  /** The SDK client (an `OpenAI` or `AzureOpenAI`), shared by every model of one provider instance (one connection pool). */
  client: OpenAI;
  settings: OpenAICompatibleChatModelSettings;
  /** The provider name in ids. Default `openai-compatible`. */
  provider?: string;
  /**
   * The OpenAI model whose facts (prices, context window, capabilities, reasoning) apply, when
   * the model name is an alias such as an Azure deployment name. Default: the model name.
   */
  factsModel?: string;
  /** The model's facts, given outright (e.g. for a model on an unknown server); replaces the lookup by `factsModel`. */
  facts?: OpenAIModelFacts;
  /** Classifies SDK failures. Default {@link mapOpenAIError}. */
  mapError?: (error: unknown, context: OpenAIErrorContext) => ProviderError;
  /**
   * The vendor's Batch API (OpenAI's, Azure OpenAI's): its settings and the chat endpoint as it
   * names it (see {@link runOpenAIBatch}). With it the model has the `batch` capability and
   * `batchGenerate` with `mode: 'api'` uses it; without it, batches are concurrent calls.
   */
  batch?: { settings: OpenAIBatchSettings; endpoint: string };
  /** More of what says which server answers, for {@link OpenAICompatibleChatModel.cacheIdentity} (e.g. an Azure deployment and API version). */
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

/** The reasoning text servers such as vLLM and DeepSeek add to a message or delta (`reasoning_content`; some use `reasoning`). */
function reasoningOf(message: unknown): string | undefined {
  const fields = message as { reasoning_content?: unknown; reasoning?: unknown } | null | undefined;
  const value = fields?.reasoning_content ?? fields?.reasoning;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The function calls of a whole message (custom tool calls, which the contract has no tools for, are left out). */
function toolCallsOf(message: OpenAI.ChatCompletionMessage): ToolCall[] | undefined {
  const calls = (message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
  );
  return calls.length > 0 ? calls : undefined;
}

/** One streamed alternative (`n` > 1) other than the first, collected for `choices`. */
interface ChoiceBuffer {
  acc: StreamAccumulator;
  finishReason: string | null | undefined;
}

/**
 * A chat model on OpenAI's chat-completions wire format, behind the LLM Lab provider contract,
 * on the official `openai` SDK: OpenAI itself, Azure OpenAI (an `AzureOpenAI` client), both with
 * their Batch API behind `batchGenerate` (option `batch`), and any OpenAI-compatible server (vLLM, llama.cpp
 * server, LM Studio, Ollama's `/v1`). Contract 2.0: images, tools and tool results, tool choice,
 * parallel tool calls, JSON and JSON-schema output, `n` alternatives, and reasoning text where the
 * server returns it (`reasoning_content`), whole and streamed.
 */
export class OpenAICompatibleChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  protected readonly client: OpenAI;
  protected readonly settings: OpenAICompatibleChatModelSettings;
  protected readonly facts: OpenAIModelFacts;
  private readonly info: ModelInfo;
  protected readonly errorMapper: (error: unknown, context: OpenAIErrorContext) => ProviderError;
  private readonly identity: Record<string, unknown> | undefined;
  private readonly batch: { settings: OpenAIBatchSettings; endpoint: string } | undefined;
  /**
   * With `promptLogprobs: true` in the settings: each completion's log-likelihood from the
   * server's echoed prompt log-probabilities (see {@link scoreByEcho}). Undefined otherwise, so
   * callers that need it say so instead of failing on a server without it.
   */
  readonly scoreCompletions?: (request: ScoreCompletionsRequest, options?: CallOptions) => Promise<CompletionScore[]>;

  constructor(model: string, options: OpenAICompatibleChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'openai-compatible';
    this.client = options.client;
    this.settings = options.settings;
    this.facts = options.facts ?? findOpenAIModel(options.factsModel ?? model) ?? UNKNOWN_OPENAI_MODEL;
    this.errorMapper = options.mapError ?? mapOpenAIError;
    this.identity = options.identity;
    this.batch = options.batch;
    const pricing = this.settings.pricing ?? this.facts.pricing;
    this.info = {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.contextWindow ?? this.facts.contextWindow,
      ...(this.facts.maxOutputTokens !== undefined ? { maxOutputTokens: this.facts.maxOutputTokens } : {}),
      capabilities: { ...this.facts.capabilities, batch: options.batch !== undefined },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
    if (this.settings.promptLogprobs) this.scoreCompletions = (request, callOptions) => this.scoreByEcho(request, callOptions);
  }

  /**
   * Many calls; one failure does not fail the batch. With `mode: 'api'` (per call, or the
   * provider's `batch.mode`) the batch goes through the vendor's Batch API (see
   * {@link runOpenAIBatch}): half price, but answers arrive within the vendor's 24-hour window
   * rather than in seconds. Otherwise the requests run as concurrent calls, bounded by
   * `concurrency` (default 8).
   */
  override async batchGenerate(requests: GenerateRequest[], options: OpenAIBatchOptions = {}): Promise<BatchItemResult[]> {
    const { mode, pollIntervalMs, maxPollIntervalMs, maxWaitMs, onProgress, ...concurrentOptions } = options;
    if ((mode ?? this.batch?.settings.mode ?? 'concurrent') !== 'api') return super.batchGenerate(requests, concurrentOptions);
    if (!this.batch) {
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
        settings: this.batch.settings,
        endpoint: this.batch.endpoint,
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

  /** The server that answers: its base URL and the chat-completions endpoint (and `identity`), for the response cache's key. */
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
      dialect: this.settings,
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
    const direct = this.settings.directPost;
    try {
      if (direct) {
        const completion = await postChatCompletion(direct, JSON.stringify({ ...body, stream: false }), options.signal, timeoutMs);
        return this.responseFromCompletion(completion, warnings, startedAt);
      }
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

  streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    return withErrorPart(this.streamParts(request, options));
  }

  private async *streamParts(request: GenerateRequest, options: CallOptions): AsyncGenerator<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    // Parts are yielded for the first alternative; others (`n` > 1) are collected for `choices`.
    const acc = new StreamAccumulator();
    const others = new Map<number, ChoiceBuffer>();
    let finishReason: string | null | undefined;
    let usage: TokenUsage | undefined;
    let rawId: string | undefined;
    let model: string | undefined;
    const logprobs: TokenLogprob[] = [];
    try {
      const streamBody = { ...body, stream: true as const, ...(this.settings.streamUsage === false ? {} : { stream_options: { include_usage: true } }) };
      const direct = this.settings.directPost;
      // One loop below reads the chunks, whether the SDK parsed them or the direct post did.
      let stream: AsyncIterable<OpenAI.ChatCompletionChunk>;
      try {
        stream = direct
          ? ((await postChatCompletionStream(direct, JSON.stringify(streamBody), call.signal)) as AsyncIterable<OpenAI.ChatCompletionChunk>)
          : await this.client.chat.completions.create(streamBody, { signal: call.signal, timeout: call.timeoutMs });
      } catch (error) {
        throw this.mapError(error, call, 'request');
      }
      try {
        for await (const chunk of stream) {
          // Azure sends its prompt filter results first, in a chunk with a blank id and no choices.
          if (chunk.id) rawId ??= chunk.id;
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = mapOpenAIUsage(chunk.usage);
          for (const choice of chunk.choices ?? []) {
            const index = choice.index ?? 0;
            if (index !== 0) {
              const buffer = others.get(index) ?? { acc: new StreamAccumulator(), finishReason: undefined };
              others.set(index, buffer);
              collectDelta(buffer.acc, choice.delta);
              if (choice.finish_reason) buffer.finishReason = choice.finish_reason;
              continue;
            }
            yield* collectDelta(acc, choice.delta);
            if (choice.finish_reason) {
              finishReason = choice.finish_reason;
              yield* acc.completeAll();
            }
            if (choice.logprobs?.content) logprobs.push(...mapOpenAILogprobs(choice.logprobs.content));
          }
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      // The SDK ends a stream quietly when it is aborted: say why it stopped (the direct post throws).
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (finishReason === undefined || finishReason === null) throw this.streamCutShort(acc.characters);
    } finally {
      call.dispose();
    }
    yield* acc.completeAll();
    const extra: Partial<GenerateResponse> = {};
    if (request.logprobs !== undefined) extra.logprobs = logprobs;
    if (others.size > 0) {
      const first: GeneratedChoice = choiceOf(acc.text, acc.toolCalls, acc.reasoning, finishReason);
      const rest = [...others.entries()].sort(([a], [b]) => a - b).map(([, buffer]) => choiceOf(buffer.acc.text, buffer.acc.toolCalls, buffer.acc.reasoning, buffer.finishReason));
      extra.choices = [first, ...rest];
    }
    yield* this.streamEnd({
      text: acc.text,
      toolCalls: acc.toolCalls,
      reasoning: acc.reasoning,
      finishReason: mapOpenAIFinishReason(finishReason),
      usage,
      startedAt,
      firstTokenAt: acc.firstTokenAt ?? null,
      warnings,
      model,
      rawId,
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    });
  }

  /**
   * The log-likelihood of each completion after the conversation, from the legacy completions
   * endpoint: one `completions.create` call with a prompt per completion (the conversation
   * flattened to plain text, then the completion), `echo: true, logprobs: 1, max_tokens: 0`;
   * each completion's score sums the echoed `token_logprobs` of its tokens, found by
   * `text_offset`. Works with servers that return prompt log-probabilities (vLLM): exposed as
   * `scoreCompletions` when the settings say the server has them (`promptLogprobs`).
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

  protected mapError(error: unknown, call: CallDeadline, phase: 'request' | 'stream'): ProviderError {
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
    const textOf = (message: OpenAI.ChatCompletionMessage, index: number): string => {
      if (typeof message.content === 'string' && message.content !== '') return message.content;
      if (typeof message.refusal === 'string' && message.refusal) {
        allWarnings.push({ type: 'other', message: `${this.id}: the model refused${index > 0 ? ` (choice ${index})` : ''}; the text is its refusal.` });
        return message.refusal;
      }
      return '';
    };
    const text = textOf(choice.message, 0);
    const toolCalls = toolCallsOf(choice.message);
    const reasoning = reasoningOf(choice.message);
    const extra: Partial<GenerateResponse> = {};
    if (choice.logprobs?.content) extra.logprobs = mapOpenAILogprobs(choice.logprobs.content);
    const all = parsed.choices as OpenAI.ChatCompletion.Choice[];
    if (all.length > 1) {
      extra.choices = [...all]
        .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
        .map((each, index) => choiceOf(each.message ? textOf(each.message, index) : '', each.message ? toolCallsOf(each.message) : undefined, reasoningOf(each.message), each.finish_reason));
    }
    return this.assembleResponse({
      text,
      toolCalls,
      reasoning,
      finishReason: mapOpenAIFinishReason(choice.finish_reason),
      usage: parsed.usage ? mapOpenAIUsage(parsed.usage) : undefined,
      startedAt,
      warnings: allWarnings,
      model: typeof parsed.model === 'string' ? parsed.model : undefined,
      rawId: typeof parsed.id === 'string' ? parsed.id : undefined,
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    });
  }
}

/** One streamed delta into an accumulator: reasoning, text, then tool-call fragments (in that order, as servers send them). */
function collectDelta(acc: StreamAccumulator, delta: OpenAI.ChatCompletionChunk.Choice.Delta | undefined): StreamPart[] {
  if (!delta) return [];
  const parts = [...acc.addReasoning(reasoningOf(delta)), ...acc.addText(delta.content)];
  for (const call of delta.tool_calls ?? []) {
    parts.push(...acc.addToolCallDelta(call.index, { id: call.id, name: call.function?.name, argumentsDelta: call.function?.arguments }));
  }
  return parts;
}

/** One alternative of an `n` > 1 answer. */
function choiceOf(text: string, toolCalls: ToolCall[] | undefined, reasoning: string | undefined, finishReason: string | null | undefined): GeneratedChoice {
  const mapped = mapOpenAIFinishReason(finishReason);
  return {
    text,
    ...(toolCalls ? { toolCalls } : {}),
    ...(reasoning ? { reasoning } : {}),
    finishReason: toolCalls && mapped === 'stop' ? 'tool-calls' : mapped,
  };
}

/** OpenAI's `logprobs.content` entries as contract token log-probabilities. */
function mapOpenAILogprobs(content: ReadonlyArray<OpenAI.ChatCompletionTokenLogprob>): TokenLogprob[] {
  return content.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    ...(entry.top_logprobs?.length ? { topLogprobs: entry.top_logprobs.map((top) => ({ token: top.token, logprob: top.logprob })) } : {}),
  }));
}
