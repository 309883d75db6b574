import { ProviderError, type BatchItemResult, type GenerateRequest } from '@llm-lab/core';
import { OpenAICompatibleChatModel, type OpenAICompatibleChatModelOptions, type OpenAICompatibleChatModelSettings } from '@llm-lab/openai-compatible';
import { runOpenAIBatch, type OpenAIBatchOptions } from './openai-batch.js';
import { OpenAIEmbeddingModel } from './openai-embedding-model.js';
import type { OpenAIBatchSettings } from './openai-options.js';

/** The settings an {@link OpenAIChatModel} reads (a subset of the resolved `config:` block). */
export interface OpenAIChatModelSettings extends OpenAICompatibleChatModelSettings {
  /** Batch API settings; without them `batchGenerate` always runs concurrent calls. */
  batch?: OpenAIBatchSettings;
}

/** What an {@link OpenAIChatModel} is made from; `createOpenAI` supplies it. */
export interface OpenAIChatModelOptions extends Omit<OpenAICompatibleChatModelOptions, 'settings' | 'batchApi'> {
  settings: OpenAIChatModelSettings;
}

/**
 * An OpenAI chat model (or a model on any OpenAI-compatible server given as `baseURL`) behind the
 * LLM Lab provider contract: the OpenAI wire format of `@llm-lab/openai-compatible` (messages with
 * images and tool calls, tools, structured output, `n`, streaming), plus OpenAI's Batch API
 * behind `batchGenerate`. Make it with `createOpenAI()`.
 */
export class OpenAIChatModel extends OpenAICompatibleChatModel {
  private readonly batchSettings: OpenAIBatchSettings | undefined;

  constructor(model: string, options: OpenAIChatModelOptions) {
    super(model, { provider: 'openai', ...options, batchApi: options.settings.batch !== undefined });
    this.batchSettings = options.settings.batch;
  }

  /**
   * The embedding model `model` (default: this model's name) on the same server, with the same
   * key and connection pool: how the provider manager and the gateway embed through an entry
   * configured as a chat model (`openai:text-embedding-3-small` with its `config:`).
   */
  embedding(model: string = this.model): OpenAIEmbeddingModel {
    return new OpenAIEmbeddingModel(model, { client: this.client, settings: this.settings, provider: this.provider });
  }

  /**
   * Many calls; one failure does not fail the batch. With `mode: 'api'` (per call, or the
   * provider's `batch.mode`) the batch goes through OpenAI's Batch API (see {@link runOpenAIBatch}):
   * half price, but answers arrive within OpenAI's 24-hour window rather than in seconds. Otherwise
   * the requests run as concurrent calls, bounded by `concurrency` (default 8).
   */
  override async batchGenerate(requests: GenerateRequest[], options: OpenAIBatchOptions = {}): Promise<BatchItemResult[]> {
    const { mode, pollIntervalMs, maxPollIntervalMs, maxWaitMs, onProgress, ...concurrentOptions } = options;
    if ((mode ?? this.batchSettings?.mode ?? 'concurrent') !== 'api') return super.batchGenerate(requests, concurrentOptions);
    const batchSettings = this.batchSettings;
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
}
