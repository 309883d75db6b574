import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { OllamaApi, type OllamaModelTag } from './ollama-api.js';
import { OllamaChatModel } from './ollama-chat-model.js';
import { mapOllamaError } from './ollama-error.js';
import { resolveOllamaSettings, type OllamaProviderSettings, type ResolvedOllamaSettings } from './ollama-options.js';

/** Makes Ollama chat models that share one API client. */
export interface OllamaProvider {
  /** Same as {@link OllamaProvider.chat}. */
  (model: string): OllamaChatModel;
  /** A chat model, e.g. `chat('llama3.2')`. */
  chat(model: string): OllamaChatModel;
  /** The models pulled on the Ollama server (`GET /api/tags`). Rejects with a ProviderError (network when Ollama is not running). */
  listModels(options?: { signal?: AbortSignal }): Promise<OllamaModelTag[]>;
  /** The settings in force. */
  readonly settings: Readonly<ResolvedOllamaSettings>;
}

/** Options of {@link createOllama} that are not part of the `config:` block. */
export interface CreateOllamaOptions {
  /** The provider name in ids. Default `ollama`. */
  name?: string;
  /** Named in configuration errors. Default the name. */
  providerId?: string;
  /** Where `OLLAMA_HOST` is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates an Ollama provider from settings (the `config:` block fields: baseURL, timeoutMs,
 * keepAlive, numCtx, contextWindow, headers, pricing). Throws a ConfigError for invalid settings.
 *
 * ```ts
 * const ollama = createOllama();
 * const response = await ollama('llama3.2').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createOllama(settings: OllamaProviderSettings = {}, options: CreateOllamaOptions = {}): OllamaProvider {
  const name = options.name ?? 'ollama';
  const resolved = resolveOllamaSettings(settings, { providerId: options.providerId ?? name, ...(options.env ? { env: options.env } : {}) });
  const api = new OllamaApi(resolved.baseURL, resolved.headers);
  const chat = (model: string) => new OllamaChatModel(model, { api, settings: resolved, provider: name });
  const listModels = async (listOptions: { signal?: AbortSignal } = {}) => {
    try {
      return await api.listModels(listOptions.signal);
    } catch (error) {
      throw mapOllamaError(error, { providerId: name, model: '(any)', baseURL: resolved.baseURL, signal: listOptions.signal });
    }
  };
  return Object.assign((model: string) => chat(model), { chat, listModels, settings: Object.freeze({ ...resolved }) });
}

/** The `ollama` provider family for LLM Lab's registry: `ollama:<model>` ids on Ollama's native API. */
export const ollamaProvider: ProviderPlugin = defineProvider({
  name: 'ollama',
  contractVersion: CONTRACT_VERSION,
  description: 'Models served by a local Ollama (native /api/chat, NDJSON streaming); no pricing (local).',
  capabilities: { streaming: true, batch: true, jsonMode: true, tools: false, vision: false, logprobs: false, embeddings: false },
  create: ({ model, config }) => createOllama(config, { providerId: `ollama:${model}` }).chat(model),
});
