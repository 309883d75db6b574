import {
  BaseProvider,
  ProviderError,
  startCallDeadline,
  type BatchItemResult,
  type BatchOptions,
  type BatchStatus,
  type CallDeadline,
  type CallOptions,
  type CostBreakdown,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ProviderWarning,
  type ReasoningBlock,
  type StreamPart,
  type TokenUsage,
  type ToolCall,
  StreamAccumulator,
  withErrorPart,
  withoutCoveredWarnings,
} from '@llm-lab/core';
import type Anthropic from '@anthropic-ai/sdk';
import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { buildAnthropicRequest, type BuiltAnthropicRequest } from './build-anthropic-request.js';
import { mapAnthropicError, providerErrorFromAnthropicBody } from './anthropic-error.js';
import { runMessageBatch } from './anthropic-batch.js';
import { findAnthropicModel, UNKNOWN_ANTHROPIC_MODEL, type AnthropicModelFacts, type AnthropicModelPricing } from './anthropic-models.js';
import type { ResolvedAnthropicSettings } from './anthropic-options.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

/** What an {@link AnthropicChatModel} is made from; `createAnthropic` supplies it. */
export interface AnthropicChatModelOptions {
  /** The SDK client, shared by every model of one provider instance (one connection pool). */
  client: Anthropic;
  settings: ResolvedAnthropicSettings;
  /** The provider name in ids. Default `anthropic`. */
  provider?: string;
}

/**
 * Token counts with Anthropic's prompt-cache writes. `inputTokens` counts every input token:
 * uncached, written to the cache, and read from it (`cachedInputTokens`).
 */
export interface AnthropicTokenUsage extends TokenUsage {
  /** Input tokens written to the prompt cache (billed at the cache-write price). */
  cacheCreationInputTokens?: number;
}

/** The `usage` fields of a Messages API answer that LLM Lab reads. */
export interface AnthropicUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Maps Anthropic's `usage` to the contract's token counts: input is Anthropic's uncached input
 * plus cache writes plus cache reads; cache reads are `cachedInputTokens`, cache writes
 * `cacheCreationInputTokens`.
 */
export function mapAnthropicUsage(usage: AnthropicUsageFields): AnthropicTokenUsage {
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const inputTokens = (usage.input_tokens ?? 0) + cacheWrite + cacheRead;
  const outputTokens = usage.output_tokens ?? 0;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    cachedInputTokens: cacheRead,
    cacheCreationInputTokens: cacheWrite,
    ...(typeof thinking === 'number' ? { reasoningTokens: thinking } : {}),
  };
}

/** Anthropic's Message Batches bill half the standard price for input and output. */
const BATCH_PRICE_FACTOR = 0.5;

/** `max_tokens` sent when neither the request nor the config sets one (capped at the model's maximum). */
const FALLBACK_MAX_TOKENS = 4_096;

/**
 * A Claude model behind the LLM Lab provider contract, on the official `@anthropic-ai/sdk`
 * Messages API. `batchGenerate` sends concurrent calls unless asked for Message Batches (half
 * price: `mode: 'api'` in its options, or `batch.mode: api` in the config), as OpenAI's does.
 * Make it with `createAnthropic()`.
 */
export class AnthropicChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly settings: ResolvedAnthropicSettings;
  private readonly facts: AnthropicModelFacts;
  private readonly info: ModelInfo;
  private readonly pricing: AnthropicModelPricing | undefined;
  /** `max_tokens` sent when a request sets none. */
  readonly defaultMaxTokens: number;

  constructor(model: string, options: AnthropicChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'anthropic';
    this.client = options.client;
    this.settings = options.settings;
    this.facts = findAnthropicModel(model) ?? UNKNOWN_ANTHROPIC_MODEL;
    this.pricing = this.settings.pricing ?? this.facts.pricing;
    const maxOutputTokens = this.settings.maxOutputTokens ?? this.facts.maxOutputTokens;
    this.defaultMaxTokens = this.settings.defaultMaxTokens ?? Math.min(FALLBACK_MAX_TOKENS, maxOutputTokens);
    this.info = {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.contextWindow ?? this.facts.contextWindow,
      maxOutputTokens,
      capabilities: { ...this.facts.capabilities },
      ...(this.pricing ? { pricing: { ...this.pricing } } : {}),
    };
  }

  /** The server that answers: its base URL, the Messages endpoint and API version (contract 1.2). */
  cacheIdentity(): Record<string, unknown> {
    return { baseURL: this.settings.baseURL, endpoint: 'v1/messages', apiVersion: this.settings.apiVersion };
  }

  getModelInfo(): ModelInfo {
    return { ...this.info, capabilities: { ...this.info.capabilities }, ...(this.info.pricing ? { pricing: { ...this.info.pricing } } : {}) };
  }

  /**
   * Cost at the model's prices: cache reads at the cached price, cache writes
   * (`cacheCreationInputTokens`) at the cache-write price, other input at the input price.
   * Undefined when the model has no known price.
   */
  override estimateCost(usage: TokenUsage | AnthropicTokenUsage): CostBreakdown | undefined {
    const pricing = this.pricing;
    if (!pricing) return undefined;
    const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
    const written = Math.min((usage as AnthropicTokenUsage).cacheCreationInputTokens ?? 0, usage.inputTokens - cached);
    const uncached = usage.inputTokens - cached - written;
    const inputUsd =
      (uncached * pricing.inputPerMillion +
        cached * (pricing.cachedInputPerMillion ?? pricing.inputPerMillion) +
        written * (pricing.cacheWriteInputPerMillion ?? pricing.inputPerMillion)) /
      1_000_000;
    const outputUsd = (usage.outputTokens * pricing.outputPerMillion) / 1_000_000;
    return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
  }

  /** Validates the request and builds the Messages body (exposed for inspection and tests). */
  buildRequest(request: GenerateRequest): BuiltAnthropicRequest {
    const warnings = this.validateRequest(request);
    const built = buildAnthropicRequest({ request, model: this.model, providerId: this.id, facts: this.facts, defaultMaxTokens: this.defaultMaxTokens, apiVersion: this.settings.apiVersion });
    return { ...built, warnings: withoutCoveredWarnings([...warnings, ...built.warnings]) };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const built = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    try {
      const message: unknown = await this.client.messages.create({ ...built.body, stream: false }, { signal: call.signal, timeout: call.timeoutMs });
      return this.toResponse(message, built, startedAt);
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
  }

  /**
   * Streams the answer: `text-delta`, `reasoning-delta` (thinking), and `tool-call-delta` from a
   * `tool_use` block's start (id, name) and its `input_json_delta` fragments, a `tool-call` when
   * the block stops. A failure after parts were streamed is reported as an `error` part, then thrown.
   */
  streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    return withErrorPart(this.streamParts(request, options));
  }

  private async *streamParts(request: GenerateRequest, options: CallOptions): AsyncGenerator<StreamPart> {
    const startedAt = performance.now();
    const built = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const acc = new StreamAccumulator();
    /** Content block index → tool call index, for `tool_use` blocks. */
    const toolIndexOfBlock = new Map<number, number>();
    const signatures: string[] = [];
    /** Content block index → its thinking block (text and signature, or redacted data), in order: each is replayed as it came. */
    const thinkingBlocks = new Map<number, ReasoningBlock>();
    let stopReason: string | null | undefined;
    let usage: AnthropicTokenUsage | undefined;
    let usageFields: AnthropicUsageFields = {};
    let rawId: string | undefined;
    let model: string | undefined;
    let stopped = false;
    try {
      let stream: AsyncIterable<RawMessageStreamEvent>;
      try {
        stream = await this.client.messages.create({ ...built.body, stream: true }, { signal: call.signal, timeout: call.timeoutMs });
      } catch (error) {
        throw this.mapError(error, call, 'request');
      }
      try {
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start':
              rawId = event.message.id;
              model = event.message.model;
              usageFields = { ...event.message.usage };
              break;
            case 'content_block_start': {
              const block = event.content_block;
              if (block.type === 'tool_use') {
                const index = toolIndexOfBlock.size;
                toolIndexOfBlock.set(event.index, index);
                // The input starts empty and arrives as input_json_delta; a proxy may send it whole here.
                const input = block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
                yield* acc.addToolCallDelta(index, { id: block.id, name: block.name, argumentsDelta: input });
              } else if (block.type === 'thinking') {
                thinkingBlocks.set(event.index, { text: block.thinking ?? '', ...(block.signature ? { signature: block.signature } : {}) });
                if (block.thinking) yield* acc.addReasoning(block.thinking);
              } else if (block.type === 'redacted_thinking') {
                // Comes whole in its start event (no deltas); nothing of it is shown.
                thinkingBlocks.set(event.index, { text: '', redactedData: block.data });
              }
              else if (block.type === 'text' && block.text) yield* acc.addText(block.text);
              break;
            }
            case 'content_block_delta': {
              const delta = event.delta;
              if (delta.type === 'text_delta') yield* acc.addText(delta.text);
              else if (delta.type === 'thinking_delta') {
                const thinking = thinkingBlocks.get(event.index);
                if (thinking) thinking.text += delta.thinking;
                yield* acc.addReasoning(delta.thinking);
              } else if (delta.type === 'signature_delta') {
                signatures.push(delta.signature);
                const thinking = thinkingBlocks.get(event.index);
                if (thinking) thinking.signature = delta.signature;
              }
              else if (delta.type === 'input_json_delta') {
                const index = toolIndexOfBlock.get(event.index);
                if (index !== undefined && delta.partial_json !== '') yield* acc.addToolCallDelta(index, { argumentsDelta: delta.partial_json });
              }
              break;
            }
            case 'content_block_stop': {
              const index = toolIndexOfBlock.get(event.index);
              if (index === undefined) break;
              // A tool without parameters streams no input: its arguments are an empty object.
              if (acc.toolCalls?.[index]?.arguments === '') yield* acc.addToolCallDelta(index, { argumentsDelta: '{}' });
              yield* acc.completeCall(index);
              break;
            }
            case 'message_delta': {
              stopReason = event.delta.stop_reason;
              // message_delta carries the final output count (cumulative), and input counts when the API sends them.
              const delta = event.usage as AnthropicUsageFields;
              for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
                if (typeof delta[key] === 'number') usageFields[key] = delta[key];
              }
              usage = mapAnthropicUsage(usageFields);
              break;
            }
            case 'message_stop':
              stopped = true;
              break;
            default:
              break;
          }
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      // The SDK ends a stream quietly when it is aborted: say why it stopped.
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (!stopped || stopReason === undefined) throw this.streamCutShort(acc.characters, 'message_stop');
    } finally {
      call.dispose();
    }
    yield* acc.completeAll();
    // Anthropic always reports usage (message_start, then message_delta), so no usage warning applies.
    yield* this.streamEnd({
      text: acc.text,
      toolCalls: acc.toolCalls,
      reasoning: acc.reasoning,
      finishReason: mapAnthropicFinishReason(stopReason),
      usage: usage ?? mapAnthropicUsage(usageFields),
      startedAt,
      firstTokenAt: acc.firstTokenAt ?? null,
      warnings: [...built.warnings, ...this.stopWarnings(stopReason, built)],
      model,
      rawId,
      ...(signatures.length > 0 || thinkingBlocks.size > 0
        ? { extra: { ...(signatures.length > 0 ? { reasoningSignatures: signatures } : {}), ...(thinkingBlocks.size > 0 ? { reasoningParts: [...thinkingBlocks.values()] } : {}) } }
        : {}),
    });
  }

  /**
   * Sends the requests as ordinary concurrent calls (bounded by `options.concurrency`), or, with
   * `options.mode: 'api'` (or `batch.mode: api` in the config), as one Anthropic Message Batch
   * (half price; results can take up to 24 hours): create, poll with a growing wait, read the
   * results and put them back in request order. An invalid request, an errored, cancelled or
   * expired item, or a failure of the batch calls is reported in the item's place; the batch as a
   * whole does not fail. `options.signal` cancels the batch; `options.timeoutMs` bounds each
   * HTTP call.
   */
  override async batchGenerate(requests: GenerateRequest[], options: BatchOptions = {}): Promise<BatchItemResult[]> {
    const mode = options.mode ?? this.settings.batch.mode;
    if (mode === 'concurrent') return super.batchGenerate(requests, options);
    const startedAt = performance.now();
    const results: BatchItemResult[] = new Array<BatchItemResult>(requests.length);
    const submitted: Array<{ index: number; customId: string; built: BuiltAnthropicRequest }> = [];
    const { itemIds } = options;
    if (itemIds !== undefined && itemIds.length !== requests.length) {
      const error = new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id}: itemIds has ${itemIds.length} ids for ${requests.length} requests; give one id per request.` });
      return requests.map(() => ({ ok: false, error }));
    }
    requests.forEach((request, index) => {
      try {
        submitted.push({ index, customId: itemIds?.[index] ?? `request-${index}`, built: this.buildRequest(request) });
      } catch (error) {
        results[index] = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
    });
    if (submitted.length === 0) return results;
    const callTimeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    let outcomes: Awaited<ReturnType<typeof runMessageBatch>>;
    try {
      outcomes = await runMessageBatch({
        client: this.client,
        items: submitted.map(({ customId, built }) => ({ customId, body: built.body })),
        batch: this.settings.batch,
        callTimeoutMs,
        providerId: this.id,
        signal: options.signal,
        batchId: options.batchId,
        onSubmitted: options.onSubmitted,
        keepOnAbort: options.keepOnAbort,
        ...(options.onBatchStatus ? { onPoll: (batch: Parameters<NonNullable<Parameters<typeof runMessageBatch>[0]['onPoll']>>[0]) => options.onBatchStatus?.(batchStatusOf(batch)) } : {}),
      });
    } catch (error) {
      const failure = mapAnthropicError(error, { ...this.errorContext(), signal: options.signal, timeoutMs: callTimeoutMs });
      for (const { index } of submitted) results[index] = { ok: false, error: failure };
      return results;
    }
    const context = this.errorContext();
    for (const { index, customId, built } of submitted) {
      const outcome = outcomes.get(customId);
      if (outcome?.type === 'succeeded') {
        try {
          results[index] = { ok: true, response: this.toResponse(outcome.message, built, startedAt, BATCH_PRICE_FACTOR) };
        } catch (error) {
          results[index] = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
        }
        continue;
      }
      const fail = (kind: 'cancelled' | 'timeout' | 'invalid-response', what: string) =>
        new ProviderError({ kind, providerId: this.id, message: `${this.id}: ${what}` });
      const error =
        outcome === undefined
          ? fail('invalid-response', options.batchId !== undefined
              ? `Message Batch ${options.batchId} holds no request ${customId}; a batch attached to by id only answers the items it was submitted with.`
              : `the Message Batch results had no line for ${customId}. Retrying the request may help.`)
          : outcome.type === 'errored'
            ? providerErrorFromAnthropicBody(outcome.error, { ...context, where: `the Message Batch item ${customId}` })
            : outcome.type === 'canceled'
              ? fail('cancelled', `the Message Batch was cancelled before ${customId} was processed.`)
              : fail('timeout', `the Message Batch expired (24 hours) before ${customId} was processed. Retry it, or use batch.mode: concurrent.`);
      results[index] = { ok: false, error };
    }
    return results;
  }

  private errorContext() {
    return { providerId: this.id, baseURL: this.settings.baseURL, isAnthropicHost: this.settings.isAnthropicHost };
  }

  private mapError(error: unknown, call: CallDeadline, phase: 'request' | 'stream'): ProviderError {
    return mapAnthropicError(error, { ...this.errorContext(), ...call.abortState(), phase });
  }

  /** Warnings a stop reason calls for: a refusal, or an answer cut at the default `max_tokens`. */
  private stopWarnings(stopReason: string | null | undefined, built: BuiltAnthropicRequest): ProviderWarning[] {
    if (stopReason === 'refusal') {
      return [{ type: 'other', message: `${this.id}: Claude declined to answer (stop_reason refusal); the text is whatever it wrote before stopping.` }];
    }
    if (stopReason === 'max_tokens' && built.defaultMaxTokens) {
      return [
        {
          type: 'other',
          setting: 'maxTokens',
          message: `${this.id}: the answer was cut at max_tokens ${built.body.max_tokens}, the default LLM Lab sends because Anthropic requires one. Set maxTokens on the request, or defaultMaxTokens in the provider config.`,
        },
      ];
    }
    return [];
  }

  private toResponse(message: unknown, built: BuiltAnthropicRequest, startedAt: number, priceFactor = 1): GenerateResponse {
    const invalid = (what: string) =>
      new ProviderError({
        kind: 'invalid-response',
        providerId: this.id,
        message: `${this.id}: the server at ${this.settings.baseURL} answered 200 but ${what}. Retrying may help; if it persists, check that baseURL points at an Anthropic Messages API.`,
      });
    if (typeof message !== 'object' || message === null) throw invalid('the body is not a JSON object');
    const parsed = message as Partial<Message>;
    if (!Array.isArray(parsed.content)) throw invalid('the body has no content array');
    const { text, toolCalls, reasoning, reasoningSignatures, reasoningParts } = contentOf(parsed.content);
    const usage = mapAnthropicUsage(parsed.usage ?? {});
    const warnings = [...built.warnings, ...this.stopWarnings(parsed.stop_reason, built)];
    if (!parsed.usage) warnings.push({ type: 'other', message: `${this.id}: the server reported no token usage; usage counts are 0.` });
    const cost = this.estimateCost(usage);
    return {
      text,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning !== undefined ? { reasoning, reasoningSignatures, reasoningParts } : {}),
      finishReason: mapAnthropicFinishReason(parsed.stop_reason),
      usage,
      latencyMs: performance.now() - startedAt,
      ...(cost ? { cost: scaleCost(cost, priceFactor) } : {}),
      warnings,
      providerId: this.id,
      model: typeof parsed.model === 'string' && parsed.model ? parsed.model : this.model,
      ...(typeof parsed.id === 'string' ? { rawId: parsed.id } : {}),
    };
  }
}

/** The answer text, tool calls (`tool_use` blocks, `input` as JSON text) and thinking (with signatures; redacted blocks as their data) of a message's content. */
function contentOf(content: Message['content']): {
  text: string;
  toolCalls: ToolCall[];
  reasoning: string | undefined;
  reasoningSignatures: string[];
  reasoningParts: ReasoningBlock[];
} {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const thinking: string[] = [];
  const reasoningSignatures: string[] = [];
  const reasoningParts: ReasoningBlock[] = [];
  for (const block of content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    else if (block.type === 'thinking') {
      thinking.push(block.thinking);
      reasoningSignatures.push(block.signature);
      reasoningParts.push({ text: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
    } else if (block.type === 'redacted_thinking') reasoningParts.push({ text: '', redactedData: block.data });
  }
  return { text, toolCalls, reasoning: thinking.length > 0 ? thinking.join('') : undefined, reasoningSignatures, reasoningParts };
}

function scaleCost(cost: CostBreakdown, factor: number): CostBreakdown {
  if (factor === 1) return cost;
  return { inputUsd: cost.inputUsd * factor, outputUsd: cost.outputUsd * factor, totalUsd: cost.totalUsd * factor };
}

/** The contract's view of a Message Batch's state. */
function batchStatusOf(batch: { id: string; processing_status: string; request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number } }): BatchStatus {
  const counts = batch.request_counts;
  const failed = counts.errored + counts.canceled + counts.expired;
  return { batchId: batch.id, status: batch.processing_status, total: counts.processing + counts.succeeded + failed, completed: counts.succeeded + failed, failed };
}
