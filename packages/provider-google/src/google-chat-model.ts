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
} from '@llm-lab/core';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata, GoogleGenAI } from '@google/genai';
import { buildGoogleRequest, type BuiltGoogleRequest } from './build-google-request.js';
import { GoogleContentFilterError, mapGoogleError } from './google-error.js';
import { findGoogleModel, UNKNOWN_GOOGLE_MODEL, type GoogleLongContextPricing } from './google-models.js';
import type { ResolvedGoogleSettings } from './google-options.js';
import { isGoogleContentFilterReason, mapGoogleFinishReason } from './map-google-finish-reason.js';

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

/** The answer text of a response's first candidate, without thought parts. */
function textOf(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts.filter((part) => part.thought !== true && typeof part.text === 'string').map((part) => part.text as string).join('');
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
      capabilities: { ...facts.capabilities },
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

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const { model, contents, config, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let text = '';
    let finishReason: string | undefined;
    let usage: TokenUsage | undefined;
    let rawId: string | undefined;
    let modelVersion: string | undefined;
    let firstTokenAt: number | undefined;
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
          const delta = textOf(chunk);
          if (delta !== '') {
            firstTokenAt ??= performance.now();
            text += delta;
            yield { type: 'text-delta', text: delta };
          }
          const reason = chunk.candidates?.[0]?.finishReason;
          if (reason) {
            finishReason = String(reason);
            if (isGoogleContentFilterReason(finishReason)) {
              throw new GoogleContentFilterError({ providerId: this.id, finishReason, blockedCategories: blockedCategoriesOf(chunk), partialText: text });
            }
          }
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      // An aborted body can end the stream quietly: say why it stopped.
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (finishReason === undefined) throw this.streamCutShort(text.length);
    } finally {
      call.dispose();
    }
    yield* this.streamEnd({
      text,
      finishReason: mapGoogleFinishReason(finishReason),
      usage,
      startedAt,
      firstTokenAt: firstTokenAt ?? null,
      warnings,
      model: modelVersion,
      rawId,
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
    const text = textOf(response);
    const finishReason = candidate.finishReason !== undefined ? String(candidate.finishReason) : undefined;
    if (isGoogleContentFilterReason(finishReason)) {
      throw new GoogleContentFilterError({ providerId: this.id, finishReason, blockedCategories: blockedCategoriesOf(response), partialText: text });
    }
    return this.assembleResponse({
      text,
      finishReason: mapGoogleFinishReason(finishReason),
      usage: response.usageMetadata ? mapGoogleUsage(response.usageMetadata) : undefined,
      startedAt,
      warnings,
      model: response.modelVersion,
      rawId: response.responseId,
    });
  }
}
