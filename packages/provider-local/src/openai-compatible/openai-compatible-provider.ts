import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { createNodeHttpFetch } from '@llm-lab/provider-openai';
import OpenAI from 'openai';
import { OpenAICompatibleChatModel } from './openai-compatible-chat-model.js';
import {
  resolveOpenAICompatibleSettings,
  type OpenAICompatibleProviderSettings,
  type ResolvedOpenAICompatibleSettings,
} from './openai-compatible-options.js';

/** Makes chat models on one OpenAI-compatible server, sharing one SDK client (one connection pool). */
export interface OpenAICompatibleProvider {
  (model: string): OpenAICompatibleChatModel;
  chat(model: string): OpenAICompatibleChatModel;
  readonly client: OpenAI;
  /** The settings in force, without the API key. */
  readonly settings: Readonly<Omit<ResolvedOpenAICompatibleSettings, 'apiKey'>>;
}

/**
 * Creates a provider for an OpenAI-compatible server. `baseURL` is required (a ConfigError at
 * `config.baseURL` otherwise); `apiKey` is optional.
 *
 * ```ts
 * const vllm = createOpenAICompatible({ baseURL: 'http://127.0.0.1:8000/v1' });
 * const response = await vllm('Qwen/Qwen2.5-0.5B-Instruct').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createOpenAICompatible(
  settings: OpenAICompatibleProviderSettings,
  options: { name?: string; providerId?: string } = {},
): OpenAICompatibleProvider {
  const name = options.name ?? 'openai-compatible';
  const resolved = resolveOpenAICompatibleSettings(settings, { providerId: options.providerId ?? name });
  const client = new OpenAI({
    apiKey: resolved.apiKey,
    baseURL: resolved.baseURL,
    timeout: resolved.timeoutMs,
    maxRetries: resolved.maxRetries,
    ...(resolved.headers ? { defaultHeaders: resolved.headers } : {}),
    logLevel: 'off',
    ...(resolved.httpClient === 'node' ? { fetch: createNodeHttpFetch() } : {}),
  });
  const { apiKey: _apiKey, ...visible } = resolved;
  const chat = (model: string) => new OpenAICompatibleChatModel(model, { client, settings: resolved, provider: name });
  return Object.assign((model: string) => chat(model), { chat, client, settings: Object.freeze(visible) });
}

/** The `openai-compatible` provider family: `openai-compatible:<model>` ids on the server at `config.baseURL`. */
export const openaiCompatibleProvider: ProviderPlugin = defineProvider({
  name: 'openai-compatible',
  contractVersion: CONTRACT_VERSION,
  description: 'Any OpenAI-compatible chat server (vLLM, llama.cpp server, LM Studio) by config.baseURL; no pricing unless configured.',
  capabilities: { streaming: true, batch: true, jsonMode: true, tools: false, vision: false, logprobs: false, embeddings: false },
  paceConfigKeys: ['httpClient'],
  create: ({ model, config }) => createOpenAICompatible(config, { providerId: `openai-compatible:${model}` }).chat(model),
});
