import { ConfigError, parseProviderConfig, registerSecret, z } from '@llm-lab/core';

/** The Gemini API's own host; the SDK appends the API version (`/v1beta`). */
export const GOOGLE_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** The Gemini API version used unless `apiVersion` says otherwise. */
export const GOOGLE_DEFAULT_API_VERSION = 'v1beta';

/** Sent as the key to a non-Google `baseURL` (a proxy or a fake) when none is configured. */
export const PLACEHOLDER_GOOGLE_API_KEY = 'llm-lab-no-key';

const pricingSchema = z
  .object({
    inputPerMillion: z.number().min(0),
    outputPerMillion: z.number().min(0),
    cachedInputPerMillion: z.number().min(0).optional(),
  })
  .strict();

/**
 * The `config:` block of a `google:<model>` provider (and the settings of `createGoogle`).
 * Every field is optional.
 */
export const googleConfigSchema = z
  .object({
    /** Default: the `GEMINI_API_KEY` environment variable, else `GOOGLE_API_KEY`. */
    apiKey: z.string().min(1).optional(),
    /** Passed to the SDK as `httpOptions.baseUrl`. Default: `GOOGLE_GEMINI_BASE_URL`, else `https://generativelanguage.googleapis.com`. */
    baseURL: z.url().optional(),
    /** The Gemini API version in request paths. Default `v1beta` (what the SDK uses). */
    apiVersion: z.string().regex(/^v\d+(?:alpha|beta)?\d*$/, "an API version such as 'v1beta' or 'v1'").default(GOOGLE_DEFAULT_API_VERSION),
    /** Per-call timeout in milliseconds, covering a streamed answer to its end. Default 600,000 (10 minutes). */
    timeoutMs: z.number().int().positive().default(600_000),
    /** Extra headers sent with every request. */
    headers: z.record(z.string(), z.string()).optional(),
    /** Prices per million tokens, replacing the built-in ones (or giving one to a model LLM Lab does not know). */
    pricing: pricingSchema.optional(),
    /** Context window in tokens, replacing the built-in one. */
    contextWindow: z.number().int().positive().optional(),
  })
  .strict();

/** The settings as written (before defaults). */
export type GoogleProviderSettings = z.input<typeof googleConfigSchema>;

/** Settings after defaults and environment variables are applied. */
export interface ResolvedGoogleSettings extends Omit<z.output<typeof googleConfigSchema>, 'apiKey' | 'baseURL'> {
  apiKey: string;
  baseURL: string;
  /** True when `baseURL` is Google's own API host. */
  isGoogleHost: boolean;
}

/** True for `generativelanguage.googleapis.com` and other `*.googleapis.com` hosts. */
export function isGoogleHost(baseURL: string): boolean {
  try {
    const host = new URL(baseURL).hostname.toLowerCase();
    return host === 'googleapis.com' || host.endsWith('.googleapis.com');
  } catch {
    return false;
  }
}

/**
 * Validates the settings and fills in defaults: the API key from `GEMINI_API_KEY` (else
 * `GOOGLE_API_KEY`), the base URL from `GOOGLE_GEMINI_BASE_URL`. Throws a ConfigError naming
 * both variables when Google's API is used without a key; another `baseURL` gets a placeholder
 * key instead. The key is registered as a secret, so it is redacted from every log line and error.
 */
export function resolveGoogleSettings(
  settings: unknown,
  options: { providerId?: string; env?: NodeJS.ProcessEnv } = {},
): ResolvedGoogleSettings {
  const providerId = options.providerId ?? 'google';
  const env = options.env ?? process.env;
  const parsed = parseProviderConfig(googleConfigSchema, settings, providerId);
  const baseURL = (parsed.baseURL ?? (env.GOOGLE_GEMINI_BASE_URL || undefined) ?? GOOGLE_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const googleHost = isGoogleHost(baseURL);
  const apiKey = parsed.apiKey ?? (env.GEMINI_API_KEY || undefined) ?? (env.GOOGLE_API_KEY || undefined);
  if (apiKey === undefined && googleHost) {
    throw new ConfigError({
      path: 'config.apiKey',
      message:
        `No Gemini API key for provider ${providerId}. Set the GEMINI_API_KEY (or GOOGLE_API_KEY) environment variable, ` +
        `or set 'apiKey' in the provider's config (e.g. apiKey: \${GEMINI_API_KEY}). Keys are made at https://aistudio.google.com/apikey.`,
    });
  }
  registerSecret(apiKey);
  return { ...parsed, apiKey: apiKey ?? PLACEHOLDER_GOOGLE_API_KEY, baseURL, isGoogleHost: googleHost };
}

/**
 * The `providerOptions` a Gemini request accepts. Anything else is refused with a bad-request
 * naming it.
 */
export const googleRequestOptionsSchema = z
  .object({
    /** Sent as `safetySettings`, e.g. `[{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }]`. */
    safetySettings: z
      .array(z.object({ category: z.string().regex(/^HARM_CATEGORY_[A-Z_]+$/), threshold: z.string().regex(/^[A-Z_]+$/) }).strict())
      .optional(),
    /** `generationConfig.thinkingConfig.thinkingBudget` for thinking models (Gemini 2.5): 0 turns thinking off where allowed, -1 lets the model decide. */
    thinkingBudget: z.number().int().min(-1).optional(),
    /**
     * With a JSON `responseFormat` that has a schema: send it as `responseJsonSchema` (JSON Schema as
     * is, Gemini 2.5 and later) instead of `responseSchema` (Google's OpenAPI subset, converted by the SDK). Default false.
     */
    useJsonSchema: z.boolean().optional(),
    /** The name of a cached content (`cachedContents/…`) to use as the prompt prefix. */
    cachedContent: z.string().min(1).optional(),
  })
  .strict();

export type GoogleRequestOptions = z.output<typeof googleRequestOptionsSchema>;
