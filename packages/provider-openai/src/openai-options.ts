import { isHostWithin, parseProviderConfig, providerConfigFields, resolveApiKey, resolveBaseURL, z } from '@llm-lab/core';
import { DEFAULT_OPENAI_BATCH_SETTINGS, openaiBatchConfigSchema } from '@llm-lab/openai-compatible';

/** OpenAI's own API; a `baseURL` elsewhere is treated as an OpenAI-compatible server. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Sent as the key to an OpenAI-compatible server when none is configured (most local servers ignore it). */
export const PLACEHOLDER_API_KEY = 'llm-lab-no-key';


/**
 * The `config:` block of an `openai:<model>` provider (and the settings of `createOpenAI`).
 * Every field is optional. `apiKey` defaults to the `OPENAI_API_KEY` environment variable (not
 * needed for a non-OpenAI `baseURL`); `baseURL` to `OPENAI_BASE_URL`, else
 * `https://api.openai.com/v1` (point it at any OpenAI-compatible server). `timeoutMs` (default
 * 600,000), `maxRetries` (default 0: LLM Lab's provider manager owns retries), `headers`,
 * `pricing` and `contextWindow` (for models LLM Lab does not know) are the common provider fields.
 */
export const openaiConfigSchema = z
  .object({
    ...providerConfigFields('apiKey', 'baseURL'),
    /** Sent as `OpenAI-Organization`. */
    organization: z.string().min(1).optional(),
    /** Sent as `OpenAI-Project`. */
    project: z.string().min(1).optional(),
    ...providerConfigFields('timeoutMs'),
    /**
     * How requests travel: `node` (default) through Node's http/https with keep-alive agents, a
     * fraction of the CPU per call of `fetch` (Node's built-in fetch, or a global one you installed).
     */
    httpClient: z.enum(['node', 'fetch']).default('node'),
    ...providerConfigFields('maxRetries', 'headers'),
    /**
     * Which field carries `maxTokens`. Default: `max_completion_tokens` for OpenAI (the only one
     * its reasoning models accept), `max_tokens` for any other `baseURL` (what vLLM, llama.cpp
     * and older OpenAI-compatible servers read).
     */
    maxTokensParameter: z.enum(['max_completion_tokens', 'max_tokens']).optional(),
    ...providerConfigFields('pricing', 'contextWindow'),
    /** How `batchGenerate` runs: concurrent calls (default) or OpenAI's Batch API. See {@link openaiBatchConfigSchema}. */
    batch: openaiBatchConfigSchema.default(DEFAULT_OPENAI_BATCH_SETTINGS),
  })
  .strict();

/** The settings as written (before defaults). */
export type OpenAIProviderSettings = z.input<typeof openaiConfigSchema>;

/** Settings after defaults and environment variables are applied. */
export interface ResolvedOpenAISettings extends Omit<z.output<typeof openaiConfigSchema>, 'apiKey' | 'baseURL' | 'maxTokensParameter'> {
  apiKey: string;
  baseURL: string;
  maxTokensParameter: 'max_completion_tokens' | 'max_tokens';
  /** True when `baseURL` is OpenAI's own API. */
  isOpenAIHost: boolean;
}

/** True for `api.openai.com` and other `*.openai.com` hosts. */
export function isOpenAIHost(baseURL: string): boolean {
  return isHostWithin(baseURL, 'openai.com');
}

/**
 * Validates the settings and fills in defaults: the API key from `OPENAI_API_KEY`, the base URL
 * from `OPENAI_BASE_URL`. Throws a ConfigError naming `OPENAI_API_KEY` when OpenAI's API is used
 * without a key; an OpenAI-compatible server gets a placeholder key instead. The key is registered
 * as a secret, so it is redacted from every log line and error message.
 */
export function resolveOpenAISettings(
  settings: unknown,
  options: { providerId?: string; env?: NodeJS.ProcessEnv } = {},
): ResolvedOpenAISettings {
  const providerId = options.providerId ?? 'openai';
  const env = options.env ?? process.env;
  const parsed = parseProviderConfig(openaiConfigSchema, settings, providerId);
  const baseURL = resolveBaseURL(parsed.baseURL, OPENAI_DEFAULT_BASE_URL, 'OPENAI_BASE_URL', env);
  const openAIHost = isOpenAIHost(baseURL);
  const apiKey = resolveApiKey({
    providerId,
    configured: parsed.apiKey,
    envVars: ['OPENAI_API_KEY'],
    env,
    required: openAIHost,
    keyName: 'OpenAI API key',
    hint: "For an OpenAI-compatible server, set 'baseURL' to it instead.",
  });
  return {
    ...parsed,
    apiKey: apiKey ?? PLACEHOLDER_API_KEY,
    baseURL,
    isOpenAIHost: openAIHost,
    maxTokensParameter: parsed.maxTokensParameter ?? (openAIHost ? 'max_completion_tokens' : 'max_tokens'),
  };
}

/** The `providerOptions` an OpenAI request accepts (defined with the request building, in @llm-lab/openai-compatible). */
export { openaiRequestOptionsSchema, type OpenAIRequestOptions } from '@llm-lab/openai-compatible';
