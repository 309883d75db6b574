import {
  ProviderError,
  costFromPricing,
  startCallDeadline,
  type EmbedOptions,
  type EmbedResult,
  type EmbeddingProvider,
  type ModelPricing,
} from '@llm-lab/core';
import type OpenAI from 'openai';
import { mapOpenAIError, OPENAI_EMBEDDING_MODELS, type OpenAIEmbeddingModelFacts } from '@llm-lab/openai-compatible';
import type { ResolvedOpenAISettings } from './openai-options.js';

/** Most inputs OpenAI accepts in one embeddings request; longer lists are split into several requests. */
export const OPENAI_MAX_EMBEDDING_INPUTS = 2048;

/** What an {@link OpenAIEmbeddingModel} is made from; `createOpenAI` supplies it. */
export interface OpenAIEmbeddingModelOptions {
  client: OpenAI;
  settings: Pick<ResolvedOpenAISettings, 'timeoutMs' | 'baseURL' | 'isOpenAIHost' | 'pricing'>;
  /** The provider name in ids. Default `openai`. */
  provider?: string;
}

/**
 * An OpenAI embedding model (text-embedding-3-small, text-embedding-3-large, ada-002, or any
 * model on an OpenAI-compatible server) behind the core {@link EmbeddingProvider} interface.
 * Make it with `createOpenAI().embedding(model)`.
 */
export class OpenAIEmbeddingModel implements EmbeddingProvider {
  readonly provider: string;
  readonly model: string;
  /** Facts LLM Lab knows about the model; undefined for a model it does not know. */
  readonly facts: OpenAIEmbeddingModelFacts | undefined;
  private readonly client: OpenAI;
  private readonly settings: OpenAIEmbeddingModelOptions['settings'];

  constructor(model: string, options: OpenAIEmbeddingModelOptions) {
    this.model = model;
    this.provider = options.provider ?? 'openai';
    this.client = options.client;
    this.settings = options.settings;
    this.facts = OPENAI_EMBEDDING_MODELS[model];
  }

  get id(): string {
    return `${this.provider}:${this.model}`;
  }

  /** Prices per million input tokens: the configured `pricing`, else the model table's; undefined when unknown. */
  get pricing(): ModelPricing | undefined {
    return this.settings.pricing ?? this.facts?.pricing;
  }

  /**
   * Embeds `texts` (non-empty strings), returning one vector per text in input order. More than
   * 2,048 texts are sent as several requests, one after another. `dimensions` shortens vectors
   * (text-embedding-3 models). Rejects with a ProviderError: `bad-request` for invalid input
   * (before calling the server), or the classified failure of the call.
   */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const startedAt = performance.now();
    const invalid = (message: string) => new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id}: ${message}` });
    if (!Array.isArray(texts) || texts.length === 0) throw invalid('embed() needs at least one text.');
    const badIndex = texts.findIndex((text) => typeof text !== 'string' || text === '');
    if (badIndex >= 0) throw invalid(`texts[${badIndex}] is ${JSON.stringify(texts[badIndex])}; every text must be a non-empty string.`);
    if (options.dimensions !== undefined && (!Number.isInteger(options.dimensions) || options.dimensions < 1)) {
      throw invalid(`'dimensions' must be a positive integer, got ${JSON.stringify(options.dimensions)}.`);
    }
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const embeddings: number[][] = [];
    let inputTokens = 0;
    let model = this.model;
    try {
      for (let start = 0; start < texts.length; start += OPENAI_MAX_EMBEDDING_INPUTS) {
        const input = texts.slice(start, start + OPENAI_MAX_EMBEDDING_INPUTS);
        const response = await this.client.embeddings.create(
          { model: this.model, input, ...(options.dimensions !== undefined ? { dimensions: options.dimensions } : {}) },
          { signal: call.signal, timeout: call.timeoutMs },
        );
        if (!Array.isArray(response.data) || response.data.length !== input.length) {
          throw new ProviderError({
            kind: 'invalid-response',
            providerId: this.id,
            message: `${this.id}: the server returned ${Array.isArray(response.data) ? response.data.length : 'no'} embeddings for ${input.length} inputs. Retrying may help.`,
          });
        }
        for (const item of response.data) embeddings[start + item.index] = Array.from(item.embedding);
        inputTokens += response.usage?.prompt_tokens ?? 0;
        if (typeof response.model === 'string' && response.model) model = response.model;
      }
    } catch (error) {
      throw mapOpenAIError(error, {
        providerId: this.id,
        baseURL: this.settings.baseURL,
        isOpenAIHost: this.settings.isOpenAIHost,
        ...call.abortState(),
      });
    } finally {
      call.dispose();
    }
    const usage = { inputTokens, totalTokens: inputTokens };
    const cost = costFromPricing(this.pricing, { inputTokens, outputTokens: 0, totalTokens: inputTokens });
    return { embeddings, usage, model, ...(cost ? { cost } : {}), latencyMs: performance.now() - startedAt };
  }
}
