import { OpenAICompatibleChatModel, type OpenAIBatchSettings, type OpenAICompatibleChatModelOptions, type OpenAICompatibleChatModelSettings } from '@llm-lab/openai-compatible';
import { OpenAIEmbeddingModel } from './openai-embedding-model.js';

/** The settings an {@link OpenAIChatModel} reads (a subset of the resolved `config:` block). */
export interface OpenAIChatModelSettings extends OpenAICompatibleChatModelSettings {
  /** Batch API settings; without them `batchGenerate` always runs concurrent calls. */
  batch?: OpenAIBatchSettings;
}

/** What an {@link OpenAIChatModel} is made from; `createOpenAI` supplies it. */
export interface OpenAIChatModelOptions extends Omit<OpenAICompatibleChatModelOptions, 'settings' | 'batch'> {
  settings: OpenAIChatModelSettings;
}

/**
 * An OpenAI chat model (or a model on any OpenAI-compatible server given as `baseURL`) behind the
 * LLM Lab provider contract: the OpenAI wire format of `@llm-lab/openai-compatible` (messages with
 * images and tool calls, tools, structured output, `n`, streaming), with OpenAI's Batch API
 * (`/v1/chat/completions` lines) behind `batchGenerate` when `settings.batch` is given. Make it
 * with `createOpenAI()`.
 */
export class OpenAIChatModel extends OpenAICompatibleChatModel {
  constructor(model: string, options: OpenAIChatModelOptions) {
    const { batch } = options.settings;
    super(model, { provider: 'openai', ...options, ...(batch ? { batch: { settings: batch, endpoint: '/v1/chat/completions' } } : {}) });
  }

  /**
   * The embedding model `model` (default: this model's name) on the same server, with the same
   * key and connection pool: how the provider manager and the gateway embed through an entry
   * configured as a chat model (`openai:text-embedding-3-small` with its `config:`).
   */
  embedding(model: string = this.model): OpenAIEmbeddingModel {
    return new OpenAIEmbeddingModel(model, { client: this.client, settings: this.settings, provider: this.provider });
  }
}
