import {
  BaseProvider,
  ProviderError,
  startCallDeadline,
  costFromPricing,
  type CallDeadline,
  type CallOptions,
  type CostBreakdown,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ModelPricing,
  type ProviderWarning,
  type StreamPart,
  type TokenUsage,
  type FinishReason,
  type GeneratedChoice,
  type ToolCall,
  type BatchItemResult,
  StreamAccumulator,
  withErrorPart,
} from '@llm-lab/core';
import type { Candidate, GenerateContentResponse, GenerateContentResponseUsageMetadata, GoogleGenAI } from '@google/genai';
import { buildGoogleRequest, type BuiltGoogleRequest } from './build-google-request.js';
import { GoogleContentFilterError, mapGoogleError } from './google-error.js';
import { findGoogleModel, UNKNOWN_GOOGLE_MODEL, type GoogleLongContextPricing } from './google-models.js';
import type { ResolvedGoogleSettings } from './google-options.js';
import { isGoogleContentFilterReason, mapGoogleFinishReason } from './map-google-finish-reason.js';
import { runGoogleBatch, type GoogleBatchOptions } from './google-batch.js';

/** What a {@link GoogleChatModel} is made from; `createGoogle` supplies it. */
export interface GoogleChatModelOptions {
  /** The SDK client, shared by every model of one provider instance. */
  client: GoogleGenAI;
  settings: ResolvedGoogleSettings;
  /** The provider name in ids. Default `google`. */
  provider?: string;
}

/**
 * Maps Gemini's `usageMetadata` to the contract's token counts. Output counts the answer and the
 * hidden thinking (`candidatesTokenCount + thoughtsTokenCount`, as Google bills it); thinking is
 * also reported as `reasoningTokens`, and `cachedContentTokenCount` as `cachedInputTokens`.
 */
export function mapGoogleUsage(usage: GenerateContentResponseUsageMetadata): TokenUsage {
  const inputTokens = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const thoughts = usage.thoughtsTokenCount;
  const outputTokens = (usage.candidatesTokenCount ?? 0) + (thoughts ?? 0);
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    ...(typeof usage.cachedContentTokenCount === 'number' ? { cachedInputTokens: usage.cachedContentTokenCount } : {}),
    ...(typeof thoughts === 'number' ? { reasoningTokens: thoughts } : {}),
  };
}

/**
 * A stable id for a function call Gemini sent without one (the Gemini API usually does): made
 * from the response id, the candidate and the call's position, so the same answer always gets
 * the same ids and no two calls of one conversation share one.
 */
export function geminiToolCallId(responseId: string | undefined, candidate: number, index: number): string {
  return `call_${responseId ?? 'gemini'}_${candidate}_${index}`;
}

/** What one candidate (or one streamed chunk of it) holds: answer text, thought text, whole function calls. */
function contentOf(candidate: Candidate | undefined): { text: string; reasoning: string; calls: Array<{ id?: string; name: string; arguments: string; signature?: string }> } {
  let text = '';
  let reasoning = '';
  const calls: Array<{ id?: string; name: string; arguments: string; signature?: string }> = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      calls.push({
        ...(part.functionCall.id ? { id: part.functionCall.id } : {}),
        name: part.functionCall.name ?? '',
        arguments: JSON.stringify(part.functionCall.args ?? {}),
        // The signature of the thinking behind the call: sent back with it on the next turn.
        ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
      });
    }
    else if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    }
  }
  return { text, reasoning, calls };
}

/** A finish reason, as a choice's: `stop` with tool calls is `tool-calls`. */
function choiceFinish(reason: string | undefined, calls: ToolCall[]): FinishReason {
  const mapped = mapGoogleFinishReason(reason);
  return mapped === 'stop' && calls.length > 0 ? 'tool-calls' : mapped;
}

/** The harm categories a response rated as blocking (prompt feedback or first candidate). */
function blockedCategoriesOf(response: GenerateContentResponse): string[] {
  const ratings = [...(response.promptFeedback?.safetyRatings ?? []), ...(response.candidates?.[0]?.safetyRatings ?? [])];
  return [...new Set(ratings.filter((rating) => rating.blocked === true).map((rating) => String(rating.category)))];
}

/**
 * A Gemini model behind the LLM Lab provider contract, on the official `@google/genai` SDK's
 * `models.generateContent` / `generateContentStream` (Gemini API, `v1beta`). Make it with
 * `createGoogle()`. A refused prompt or an answer stopped by a safety filter rejects with a
 * {@link GoogleContentFilterError} (kind `content-filter`).
 */
export class GoogleChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly client: GoogleGenAI;
  private readonly settings: ResolvedGoogleSettings;
  private readonly longContextPricing: GoogleLongContextPricing | undefined;
  private readonly info: ModelInfo;

  constructor(model: string, options: GoogleChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'google';
    this.client = options.client;
    this.settings = options.settings;
    const facts = findGoogleModel(model) ?? UNKNOWN_GOOGLE_MODEL;
    const pricing: ModelPricing | undefined = this.settings.pricing ?? facts.pricing;
    // A configured price replaces the tiers too.
    this.longContextPricing = this.settings.pricing ? undefined : facts.longContextPricing;
    this.info = {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.contextWindow ?? facts.contextWindow,
      ...(facts.maxOutputTokens !== undefined ? { maxOutputTokens: facts.maxOutputTokens } : {}),
      // Batch Mode (google-batch.ts) takes any Gemini API model, one LLM Lab does not know included.
      capabilities: { ...facts.capabilities, batch: true },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  /** The server that answers: its base URL, the generateContent endpoint and API version (contract 1.2). */
  cacheIdentity(): Record<string, unknown> {
    return { baseURL: this.settings.baseURL, endpoint: 'generateContent', apiVersion: this.settings.apiVersion };
  }

  getModelInfo(): ModelInfo {
    return { ...this.info, capabilities: { ...this.info.capabilities }, ...(this.info.pricing ? { pricing: { ...this.info.pricing } } : {}) };
  }

  /**
   * Cost at the model's prices. For a model priced by prompt length (Gemini 2.5 Pro), a call whose
   * input exceeds the threshold is priced at the long-context tier, input and output alike.
   */
  override estimateCost(usage: TokenUsage): CostBreakdown | undefined {
    const tier = this.longContextPricing;
    if (tier && usage.inputTokens > tier.aboveInputTokens) return costFromPricing(tier.pricing, usage);
    return costFromPricing(this.info.pricing, usage);
  }

  /** Validates the request and builds the SDK call's parameters (exposed for inspection and tests). */
  buildRequest(request: GenerateRequest): BuiltGoogleRequest {
    const warnings = this.validateRequest(request);
    const built = buildGoogleRequest({ request, model: this.model, providerId: this.id });
    return { ...built, warnings: [...warnings, ...built.warnings] };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const { model, contents, config, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let response: GenerateContentResponse;
    try {
      response = await this.client.models.generateContent({ model, contents, config: { ...config, abortSignal: call.signal } });
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
    return this.toResponse(response, warnings, startedAt);
  }

  /**
   * Many calls; one failure does not fail the batch. With `mode: 'api'` (per call, or the
   * provider's `batch.mode`; a batch run always asks for it) the batch goes through the Gemini
   * API's Batch Mode (see {@link runGoogleBatch}): half price, answers within 24 hours.
   * Otherwise the requests run as concurrent calls, bounded by `concurrency` (default 8).
   */
  override async batchGenerate(requests: GenerateRequest[], options: GoogleBatchOptions = {}): Promise<BatchItemResult[]> {
    const { mode, pollIntervalMs: _poll, maxPollIntervalMs: _maxPoll, maxWaitMs: _maxWait, ...concurrentOptions } = options;
    if ((mode ?? this.settings.batch.mode) !== 'api') return super.batchGenerate(requests, concurrentOptions);
    return runGoogleBatch(
      {
        client: this.client,
        providerId: this.id,
        model: this.model,
        settings: this.settings.batch,
        build: (request) => this.buildRequest(request),
        toResponse: (response, warnings, startedAt) => this.toResponse(response, warnings, startedAt),
        mapError: (error, signal) =>
          mapGoogleError(error, { providerId: this.id, baseURL: this.settings.baseURL, isGoogleHost: this.settings.isGoogleHost, ...(signal ? { signal } : {}), phase: 'request' }),
      },
      requests,
      options,
    );
  }

  /**
   * Streams the answer: `text-delta`, `reasoning-delta` (thought parts), and each whole
   * `functionCall` as one `tool-call-delta` and its `tool-call` (Gemini does not stream
   * arguments). With `n` > 1, the first candidate is streamed and the others are collected into
   * `choices`. A failure after parts were streamed is reported as an `error` part, then thrown.
   */
  streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    return withErrorPart(this.streamParts(request, options));
  }

  private async *streamParts(request: GenerateRequest, options: CallOptions): AsyncGenerator<StreamPart> {
    const startedAt = performance.now();
    const { model, contents, config, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const acc = new StreamAccumulator();
    /** The other candidates (n > 1), by index. */
    const others = new Map<number, { text: string; reasoning: string; toolCalls: ToolCall[]; finishReason?: string }>();
    let finishReason: string | undefined;
    let usage: TokenUsage | undefined;
    let rawId: string | undefined;
    let modelVersion: string | undefined;
    try {
      let stream: AsyncGenerator<GenerateContentResponse>;
      try {
        stream = await this.client.models.generateContentStream({ model, contents, config: { ...config, abortSignal: call.signal } });
      } catch (error) {
        throw this.mapError(error, call, 'request');
      }
      try {
        for await (const chunk of stream) {
          rawId ??= chunk.responseId;
          if (chunk.modelVersion) modelVersion = chunk.modelVersion;
          if (chunk.usageMetadata) usage = mapGoogleUsage(chunk.usageMetadata);
          if (chunk.promptFeedback?.blockReason) {
            throw new GoogleContentFilterError({
              providerId: this.id,
              blockReason: String(chunk.promptFeedback.blockReason),
              blockedCategories: blockedCategoriesOf(chunk),
            });
          }
          for (const candidate of chunk.candidates ?? []) {
            const index = candidate.index ?? 0;
            const { text, reasoning, calls } = contentOf(candidate);
            if (index !== 0) {
              const other = others.get(index) ?? { text: '', reasoning: '', toolCalls: [] };
              other.text += text;
              other.reasoning += reasoning;
              for (const found of calls) other.toolCalls.push({ ...found, id: found.id ?? geminiToolCallId(rawId, index, other.toolCalls.length) });
              if (candidate.finishReason) other.finishReason = String(candidate.finishReason);
              others.set(index, other);
              continue;
            }
            yield* acc.addReasoning(reasoning);
            yield* acc.addText(text);
            for (const found of calls) yield* acc.addToolCall({ ...found, id: found.id ?? geminiToolCallId(rawId, 0, acc.toolCalls?.length ?? 0) });
            const reason = candidate.finishReason;
            if (reason) {
              finishReason = String(reason);
              if (isGoogleContentFilterReason(finishReason)) {
                throw new GoogleContentFilterError({ providerId: this.id, finishReason, blockedCategories: blockedCategoriesOf(chunk), partialText: acc.text });
              }
            }
          }
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      // An aborted body can end the stream quietly: say why it stopped.
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (finishReason === undefined) throw this.streamCutShort(acc.characters);
    } finally {
      call.dispose();
    }
    const toolCalls = acc.toolCalls ?? [];
    const choices: GeneratedChoice[] = [
      { text: acc.text, ...(toolCalls.length > 0 ? { toolCalls } : {}), ...(acc.reasoning ? { reasoning: acc.reasoning } : {}), finishReason: choiceFinish(finishReason, toolCalls) },
      ...[...others.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, other]) => ({
          text: other.text,
          ...(other.toolCalls.length > 0 ? { toolCalls: other.toolCalls } : {}),
          ...(other.reasoning ? { reasoning: other.reasoning } : {}),
          finishReason: choiceFinish(other.finishReason, other.toolCalls),
        })),
    ];
    yield* this.streamEnd({
      text: acc.text,
      toolCalls: acc.toolCalls,
      reasoning: acc.reasoning,
      finishReason: mapGoogleFinishReason(finishReason),
      usage,
      startedAt,
      firstTokenAt: acc.firstTokenAt ?? null,
      warnings,
      model: modelVersion,
      rawId,
      ...(choices.length > 1 ? { extra: { choices } } : {}),
    });
  }

  private mapError(error: unknown, call: CallDeadline, phase: 'request' | 'stream'): ProviderError {
    return mapGoogleError(error, {
      providerId: this.id,
      baseURL: this.settings.baseURL,
      isGoogleHost: this.settings.isGoogleHost,
      ...call.abortState(),
      phase,
    });
  }

  private toResponse(response: GenerateContentResponse, warnings: ProviderWarning[], startedAt: number): GenerateResponse {
    if (response.promptFeedback?.blockReason) {
      throw new GoogleContentFilterError({
        providerId: this.id,
        blockReason: String(response.promptFeedback.blockReason),
        blockedCategories: blockedCategoriesOf(response),
      });
    }
    const candidate = response.candidates?.[0];
    if (!candidate) {
      throw new ProviderError({
        kind: 'invalid-response',
        providerId: this.id,
        message: `${this.id}: ${this.settings.isGoogleHost ? 'the Gemini API' : `the server at ${this.settings.baseURL}`} answered 200 but the body has no candidates and no promptFeedback. Retrying may help; if it persists, check that baseURL points at the Gemini API.`,
      });
    }
    const choices = (response.candidates ?? []).map((found, position): GeneratedChoice => {
      const index = found.index ?? position;
      const { text, reasoning, calls } = contentOf(found);
      const toolCalls = calls.map((entry, callIndex) => ({ ...entry, id: entry.id ?? geminiToolCallId(response.responseId, index, callIndex) }));
      const reason = found.finishReason !== undefined ? String(found.finishReason) : undefined;
      return { text, ...(toolCalls.length > 0 ? { toolCalls } : {}), ...(reasoning ? { reasoning } : {}), finishReason: choiceFinish(reason, toolCalls) };
    });
    const first = choices[0]!;
    const finishReason = candidate.finishReason !== undefined ? String(candidate.finishReason) : undefined;
    if (isGoogleContentFilterReason(finishReason)) {
      throw new GoogleContentFilterError({ providerId: this.id, finishReason, blockedCategories: blockedCategoriesOf(response), partialText: first.text });
    }
    return this.assembleResponse({
      text: first.text,
      toolCalls: first.toolCalls,
      reasoning: first.reasoning,
      finishReason: mapGoogleFinishReason(finishReason),
      usage: response.usageMetadata ? mapGoogleUsage(response.usageMetadata) : undefined,
      startedAt,
      warnings,
      model: response.modelVersion,
      rawId: response.responseId,
      ...(choices.length > 1 ? { extra: { choices } } : {}),
    });
  }
}
