import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { createNodeHttpFetch, OpenAICompatibleChatModel, type OpenAIModelFacts } from '@llm-lab/openai-compatible';
import OpenAI from 'openai';
import { mapOpenAICompatibleError } from './openai-compatible-error.js';
import {
  OPENAI_COMPATIBLE_DEFAULT_CAPABILITIES,
  OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW,
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
  const facts: OpenAIModelFacts = {
    contextWindow: resolved.contextWindow ?? OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW,
    capabilities: { ...OPENAI_COMPATIBLE_DEFAULT_CAPABILITIES, ...resolved.capabilities },
    reasoning: false,
  };
  const chat = (model: string) =>
    new OpenAICompatibleChatModel(model, {
      client,
      provider: name,
      facts,
      mapError: mapOpenAICompatibleError,
      settings: {
        timeoutMs: resolved.timeoutMs,
        baseURL: resolved.baseURL,
        isOpenAIHost: false,
        // What these servers read, and accept beyond OpenAI's API: `max_tokens`, `top_k`; no OpenAI providerOptions.
        maxTokensParameter: 'max_tokens',
        topK: 'top_k',
        providerOptions: 'none',
        pricing: resolved.pricing,
        contextWindow: resolved.contextWindow,
        streamUsage: resolved.streamUsage,
        bufferedTransport: resolved.httpClient === 'node',
        promptLogprobs: resolved.promptLogprobs,
      },
    });
  return Object.assign((model: string) => chat(model), { chat, client, settings: Object.freeze(visible) });
}

/** The `openai-compatible` provider family: `openai-compatible:<model>` ids on the server at `config.baseURL`. */
export const openaiCompatibleProvider: ProviderPlugin = defineProvider({
  name: 'openai-compatible',
  contractVersion: CONTRACT_VERSION,
  description: 'Any OpenAI-compatible chat server (vLLM, llama.cpp server, LM Studio) by config.baseURL; no pricing unless configured.',
  capabilities: { ...OPENAI_COMPATIBLE_DEFAULT_CAPABILITIES },
  paceConfigKeys: ['httpClient'],
  create: ({ model, config }) => createOpenAICompatible(config, { providerId: `openai-compatible:${model}` }).chat(model),
});
