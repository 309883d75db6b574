import { isHostWithin, parseProviderConfig, providerConfigFields, resolveApiKey, resolveBaseURL, z } from '@llm-lab/core';
import { batchConfigSchema, DEFAULT_BATCH_SETTINGS } from '@llm-lab/provider-utils';

/** The Gemini API's own host; the SDK appends the API version (`/v1beta`). */
export const GOOGLE_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** The Gemini API version used unless `apiVersion` says otherwise. */
export const GOOGLE_DEFAULT_API_VERSION = 'v1beta';

/** Sent as the key to a non-Google `baseURL` (a proxy or a fake) when none is configured. */
export const PLACEHOLDER_GOOGLE_API_KEY = 'llm-lab-no-key';

/**
 * The `config:` block of a `google:<model>` provider (and the settings of `createGoogle`).
 * Every field is optional. `apiKey` defaults to the `GEMINI_API_KEY` environment variable, else
 * `GOOGLE_API_KEY`; `baseURL` (passed to the SDK as `httpOptions.baseUrl`) to
 * `GOOGLE_GEMINI_BASE_URL`, else `https://generativelanguage.googleapis.com`. `timeoutMs` (default
 * 600,000), `headers`, `pricing` and `contextWindow` (replacing the built-in ones) are the common
 * provider fields.
 */
export const googleConfigSchema = z
  .object({
    ...providerConfigFields('apiKey', 'baseURL'),
    /** The Gemini API version in request paths. Default `v1beta` (what the SDK uses). */
    apiVersion: z.string().regex(/^v\d+(?:alpha|beta)?\d*$/, "an API version such as 'v1beta' or 'v1'").default(GOOGLE_DEFAULT_API_VERSION),
    ...providerConfigFields('timeoutMs', 'headers', 'pricing', 'contextWindow'),
    /**
     * How `batchGenerate` runs: concurrent calls (default), or the Gemini API's Batch Mode (`mode:
     * api`, what a batch run uses; inlined requests, up to 20 MB per batch), at `priceFactor`
     * (default 0.5) of the list price.
     */
    batch: batchConfigSchema.default(DEFAULT_BATCH_SETTINGS),
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
  return isHostWithin(baseURL, 'googleapis.com');
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
  const baseURL = resolveBaseURL(parsed.baseURL, GOOGLE_DEFAULT_BASE_URL, 'GOOGLE_GEMINI_BASE_URL', env);
  const googleHost = isGoogleHost(baseURL);
  const apiKey = resolveApiKey({
    providerId,
    configured: parsed.apiKey,
    envVars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    env,
    required: googleHost,
    keyName: 'Gemini API key',
    hint: 'Keys are made at https://aistudio.google.com/apikey.',
  });
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
    /** `generationConfig.thinkingConfig.includeThoughts`: return thought summaries (as `reasoning`) on thinking models. */
    includeThoughts: z.boolean().optional(),
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
