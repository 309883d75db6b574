import { parseProviderConfig, providerConfigFields, z } from '@llm-lab/core';

/** Where Ollama listens by default. */
export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

/** The context window assumed when none is configured (Ollama's default `num_ctx`). */
export const OLLAMA_DEFAULT_CONTEXT_WINDOW = 4096;

const keepAliveSchema = z.union([z.string().min(1), z.number()]);

/** The `config:` block of an `ollama:<model>` provider (and the settings of `createOllama`). Every field is optional. */
export const ollamaConfigSchema = z
  .object({
    /** Ollama's address. Default: the `OLLAMA_HOST` environment variable, else `http://127.0.0.1:11434`. */
    baseURL: z.url().optional(),
    /** Per-call timeout in milliseconds, covering a streamed answer to its end. Default 600,000 (10 minutes: a first call may load the model). */
    ...providerConfigFields('timeoutMs'),
    /** How long Ollama keeps the model loaded after a call (`keep_alive`): a duration such as `5m`, seconds, or -1 for ever. Default: Ollama's (5m). */
    keepAlive: keepAliveSchema.optional(),
    /** The context window to run the model with (`options.num_ctx`); also reported as the model's context window. */
    numCtx: z.number().int().positive().optional(),
    /**
     * `contextWindow`: reported when `numCtx` is not set (default 4096); `headers`: sent with every
     * request (e.g. for a proxy in front of Ollama); `pricing`: when you want local calls costed
     * (default none: cost is undefined).
     */
    ...providerConfigFields('contextWindow', 'headers', 'pricing'),
    /**
     * What the served model can do, which Ollama's API does not say up front (`ollama show` lists
     * it): `tools` (function calling, parallel calls included), `vision` (images) and `reasoning`
     * (a thinking model). Each defaults to false; the provider sends tools, images and `think`
     * whenever a request has them either way, and Ollama refuses what the model lacks.
     */
    capabilities: z
      .object({ tools: z.boolean().optional(), vision: z.boolean().optional(), reasoning: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();

/** The settings as written (before defaults). */
export type OllamaProviderSettings = z.input<typeof ollamaConfigSchema>;

/** Settings after defaults and environment variables are applied. */
export interface ResolvedOllamaSettings extends Omit<z.output<typeof ollamaConfigSchema>, 'baseURL'> {
  baseURL: string;
}

/**
 * Turns an `OLLAMA_HOST` value into a base URL the way Ollama's own client does: a missing
 * scheme means `http`, a missing port means 11434, and `0.0.0.0` (a listen address) means
 * `127.0.0.1`. Returns undefined for an empty value.
 */
export function ollamaBaseURLFromHost(host: string | undefined): string | undefined {
  const value = host?.trim();
  if (!value) return undefined;
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  try {
    const url = new URL(withScheme);
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
    if (url.port === '' && !/^[a-z]+:\/\/[^/]*:\d+/i.test(withScheme)) url.port = url.protocol === 'https:' ? '443' : '11434';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** Validates the settings and fills in defaults (the base URL from `OLLAMA_HOST`). Throws a ConfigError naming the bad field. */
export function resolveOllamaSettings(settings: unknown, options: { providerId?: string; env?: NodeJS.ProcessEnv } = {}): ResolvedOllamaSettings {
  const env = options.env ?? process.env;
  const parsed = parseProviderConfig(ollamaConfigSchema, settings, options.providerId ?? 'ollama');
  const baseURL = (parsed.baseURL ?? ollamaBaseURLFromHost(env.OLLAMA_HOST) ?? OLLAMA_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return { ...parsed, baseURL };
}

/**
 * The `providerOptions` an Ollama request accepts. Anything else is refused with a bad-request
 * naming it.
 */
export const ollamaRequestOptionsSchema = z
  .object({
    /** `keep_alive` for this call, overriding the config. */
    keepAlive: keepAliveSchema.optional(),
    /** `think`: lets a thinking model think (its thinking is not part of the text). */
    think: z.boolean().optional(),
    /** Raw Ollama `options` (e.g. `num_ctx`, `repeat_penalty`, `mirostat`), merged over the mapped settings. */
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type OllamaRequestOptions = z.output<typeof ollamaRequestOptionsSchema>;
