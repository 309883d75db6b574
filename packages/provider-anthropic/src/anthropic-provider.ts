import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import Anthropic from '@anthropic-ai/sdk';
import { AnthropicChatModel } from './anthropic-chat-model.js';
import { resolveAnthropicSettings, type AnthropicProviderSettings, type ResolvedAnthropicSettings } from './anthropic-options.js';

/** Makes Claude chat models that share one SDK client (one connection pool, kept alive between calls). */
export interface AnthropicProvider {
  /** Same as {@link AnthropicProvider.chat}. */
  (model: string): AnthropicChatModel;
  /** A chat model, e.g. `chat('claude-haiku-4-5')`. */
  chat(model: string): AnthropicChatModel;
  /** The SDK client shared by this provider's models. */
  readonly client: Anthropic;
  /** The settings in force, without the API key. */
  readonly settings: Readonly<Omit<ResolvedAnthropicSettings, 'apiKey'>>;
}

/** Options of {@link createAnthropic} that are not part of the `config:` block. */
export interface CreateAnthropicOptions {
  /** The provider name in ids (`<name>:<model>`). Default `anthropic`. */
  name?: string;
  /** Named in configuration errors. Default the name. */
  providerId?: string;
  /** Where `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates an Anthropic provider from settings (the same fields as the `config:` block: apiKey,
 * baseURL, timeoutMs, maxRetries, headers, defaultMaxTokens, pricing, contextWindow, batch, ...).
 * Throws a ConfigError when the settings are invalid or no API key is found for Anthropic's API.
 * The SDK client is made once here and shared by every model made from the result.
 *
 * ```ts
 * const anthropic = createAnthropic({ apiKey: process.env.ANTHROPIC_API_KEY });
 * const response = await anthropic('claude-haiku-4-5').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createAnthropic(settings: AnthropicProviderSettings = {}, options: CreateAnthropicOptions = {}): AnthropicProvider {
  const name = options.name ?? 'anthropic';
  const env = options.env ?? process.env;
  const resolved = resolveAnthropicSettings(settings, { providerId: options.providerId ?? name, env });
  const client = new Anthropic({
    apiKey: resolved.apiKey,
    baseURL: resolved.baseURL,
    timeout: resolved.timeoutMs,
    maxRetries: resolved.maxRetries,
    // The SDK sends anthropic-version 2026-10-21; a default header replaces it when 2023-06-01 is configured.
    defaultHeaders: { ...(resolved.apiVersion !== '2026-10-21' ? { 'anthropic-version': resolved.apiVersion } : {}), ...resolved.headers },
    // Failures are reported as ProviderErrors; the SDK's own console logging would repeat them.
    logLevel: 'off',
  });
  const { apiKey: _apiKey, ...visibleSettings } = resolved;
  const chat = (model: string) => new AnthropicChatModel(model, { client, settings: resolved, provider: name });
  return Object.assign((model: string) => chat(model), { chat, client, settings: Object.freeze(visibleSettings) });
}

/**
 * The `anthropic` provider family for LLM Lab's registry: `anthropic:<model>` ids (e.g.
 * `anthropic:claude-haiku-4-5`), configured by the provider's `config:` block. Each provider made
 * gets its own SDK client.
 */
export const anthropicProvider: ProviderPlugin = defineProvider({
  name: 'anthropic',
  contractVersion: CONTRACT_VERSION,
  description: 'Anthropic Claude models (Opus, Sonnet, Haiku) on the Messages API, with Message Batches for batchGenerate.',
  capabilities: { streaming: true, batch: true, jsonMode: true, tools: true, vision: true, logprobs: false, embeddings: false },
  create: ({ model, config }) => createAnthropic(config, { providerId: `anthropic:${model}` }).chat(model),
});
