import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { GoogleGenAI } from '@google/genai';
import { GoogleChatModel } from './google-chat-model.js';
import { googleFetch } from './google-fetch.js';
import { resolveGoogleSettings, type GoogleProviderSettings, type ResolvedGoogleSettings } from './google-options.js';

/** Makes Gemini chat models that share one SDK client. */
export interface GoogleProvider {
  /** Same as {@link GoogleProvider.chat}. */
  (model: string): GoogleChatModel;
  /** A chat model, e.g. `chat('gemini-2.5-flash')`. */
  chat(model: string): GoogleChatModel;
  /** The SDK client shared by this provider's models. */
  readonly client: GoogleGenAI;
  /** The settings in force, without the API key. */
  readonly settings: Readonly<Omit<ResolvedGoogleSettings, 'apiKey'>>;
}

/** Options of {@link createGoogle} that are not part of the `config:` block. */
export interface CreateGoogleOptions {
  /** The provider name in ids (`<name>:<model>`). Default `google`. */
  name?: string;
  /** Named in configuration errors. Default the name. */
  providerId?: string;
  /** Where `GEMINI_API_KEY`, `GOOGLE_API_KEY` and `GOOGLE_GEMINI_BASE_URL` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates a Gemini provider from settings (the same fields as the `config:` block: apiKey,
 * baseURL, apiVersion, timeoutMs, headers, pricing, contextWindow). Throws a ConfigError when the
 * settings are invalid or no API key is found for Google's API. The SDK client is made once here,
 * always for the Gemini API (never Vertex AI, whatever `GOOGLE_GENAI_USE_VERTEXAI` says), without
 * SDK retries (LLM Lab's provider manager owns retries), and shared by every model made from the result.
 *
 * ```ts
 * const google = createGoogle({ apiKey: process.env.GEMINI_API_KEY });
 * const response = await google('gemini-2.5-flash').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createGoogle(settings: GoogleProviderSettings = {}, options: CreateGoogleOptions = {}): GoogleProvider {
  const name = options.name ?? 'google';
  const resolved = resolveGoogleSettings(settings, { providerId: options.providerId ?? name, env: options.env ?? process.env });
  const client = new GoogleGenAI({
    vertexai: false,
    apiKey: resolved.apiKey,
    apiVersion: resolved.apiVersion,
    httpOptions: { baseUrl: resolved.baseURL, fetch: googleFetch, ...(resolved.headers ? { headers: resolved.headers } : {}) },
  });
  const { apiKey: _apiKey, ...visibleSettings } = resolved;
  const chat = (model: string) => new GoogleChatModel(model, { client, settings: resolved, provider: name });
  return Object.assign((model: string) => chat(model), { chat, client, settings: Object.freeze(visibleSettings) });
}

/**
 * The `google` provider family for LLM Lab's registry: `google:<model>` ids (Gemini API),
 * configured by the provider's `config:` block. Each provider made gets its own SDK client.
 */
export const googleProvider: ProviderPlugin = defineProvider({
  name: 'google',
  contractVersion: CONTRACT_VERSION,
  description: 'Google Gemini models (gemini-2.5-pro, gemini-2.5-flash, gemini-2.5-flash-lite, gemini-2.0-flash, ...) on the Gemini API.',
  capabilities: { streaming: true, batch: true, jsonMode: true, tools: true, vision: true, logprobs: false, embeddings: false },
  create: ({ model, config }) => createGoogle(config, { providerId: `google:${model}` }).chat(model),
});
