import { ConfigError, parseProviderConfig, registerSecret, z } from '@llm-lab/core';
import { localPricingSchema } from '../shared/pricing.js';

/** Sent as the key when none is configured (vLLM, llama.cpp server and LM Studio ignore it unless started with a key). */
export const NO_API_KEY = 'llm-lab-no-key';

/** Context window reported when none is configured. */
export const OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW = 8192;

/** The `config:` block of an `openai-compatible:<model>` provider (and the settings of `createOpenAICompatible`). `baseURL` is required. */
export const openaiCompatibleConfigSchema = z
  .object({
    /** The server's OpenAI-compatible API root, usually ending in `/v1` (e.g. `http://127.0.0.1:8000/v1` for vLLM). Required. */
    baseURL: z.url().optional(),
    /** Sent as `Authorization: Bearer …` when the server was started with a key. Optional. */
    apiKey: z.string().min(1).optional(),
    /** Per-call timeout in milliseconds, covering a streamed answer to its end. Default 600,000. */
    timeoutMs: z.number().int().positive().default(600_000),
    /** Retries inside the SDK. Default 0: LLM Lab's provider manager owns retries. */
    maxRetries: z.number().int().min(0).max(10).default(0),
    /** Extra headers sent with every request. */
    headers: z.record(z.string(), z.string()).optional(),
    /** Ask for usage in streamed answers (`stream_options.include_usage`). Default true; turn off for servers that refuse it. */
    streamUsage: z.boolean().default(true),
    /** Prices per million tokens. Default: none (cost is undefined). */
    pricing: localPricingSchema.optional(),
    /** Context window in tokens reported for the model. Default 8192. */
    contextWindow: z.number().int().positive().optional(),
  })
  .strict();

export type OpenAICompatibleProviderSettings = z.input<typeof openaiCompatibleConfigSchema>;

/** Settings after validation. */
export interface ResolvedOpenAICompatibleSettings extends Omit<z.output<typeof openaiCompatibleConfigSchema>, 'baseURL' | 'apiKey'> {
  baseURL: string;
  apiKey: string;
}

/**
 * Validates the settings. Throws a ConfigError at `config.baseURL` when it is missing (there is
 * no sensible default for "some OpenAI-compatible server"). The key, when given, is registered as
 * a secret so it is redacted from logs and errors.
 */
export function resolveOpenAICompatibleSettings(settings: unknown, options: { providerId?: string } = {}): ResolvedOpenAICompatibleSettings {
  const providerId = options.providerId ?? 'openai-compatible';
  const parsed = parseProviderConfig(openaiCompatibleConfigSchema, settings, providerId);
  if (parsed.baseURL === undefined) {
    throw new ConfigError({
      path: 'config.baseURL',
      message:
        `Provider ${providerId} needs 'baseURL': the OpenAI-compatible server's API root, e.g. ` +
        `http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:8080/v1 (llama.cpp server) or http://127.0.0.1:1234/v1 (LM Studio). Set it in the provider's config block.`,
    });
  }
  registerSecret(parsed.apiKey);
  return { ...parsed, baseURL: parsed.baseURL.replace(/\/+$/, ''), apiKey: parsed.apiKey ?? NO_API_KEY };
}
