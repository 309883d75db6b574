import { ConfigError, isHostWithin, parseProviderConfig, pricingOverrideSchema, providerConfigFields, resolveApiKey, resolveBaseURL, z } from '@llm-lab/core';

/** Anthropic's own API; a `baseURL` elsewhere is treated as an Anthropic-compatible server (a proxy or gateway). */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** Sent as the key to an Anthropic-compatible server when none is configured. */
export const PLACEHOLDER_API_KEY = 'llm-lab-no-key';

/** Prices per million tokens; `cachedInputPerMillion` is the price of prompt-cache reads (cache hits). */
const pricingSchema = pricingOverrideSchema.extend({
  /** Price of prompt-cache writes (5-minute cache). */
  cacheWriteInputPerMillion: z.number().min(0).optional(),
});

const batchSchema = z
  .object({
    /**
     * What a plain `batchGenerate` call does, as for every vendor: `concurrent` (default) sends
     * ordinary concurrent calls; `api` submits one Message Batch (half price, results within 24
     * hours; `message-batches` is the same). A batch run (`run.batch`) always asks for the batch API.
     */
    mode: z
      .enum(['concurrent', 'api', 'message-batches'])
      .default('concurrent')
      .transform((mode) => (mode === 'message-batches' ? 'api' : mode)),
    /** First wait between status polls, in milliseconds. Default 5,000. */
    pollIntervalMs: z.number().int().positive().default(5_000),
    /** Longest wait between polls (the wait grows by half each poll). Default 60,000. */
    maxPollIntervalMs: z.number().int().positive().default(60_000),
    /** Longest time to wait for a batch to end before cancelling it, in milliseconds. Default 24 hours. */
    maxWaitMs: z.number().int().positive().default(24 * 3_600_000),
  })
  .strict();

/**
 * The `config:` block of an `anthropic:<model>` provider (and the settings of `createAnthropic`).
 * Every field is optional. `apiKey` defaults to the `ANTHROPIC_API_KEY` environment variable;
 * `baseURL` to `ANTHROPIC_BASE_URL`, else `https://api.anthropic.com` (without `/v1`).
 * `timeoutMs` (default 600,000), `maxRetries` (default 0: LLM Lab's provider manager owns
 * retries), `headers` (e.g. `anthropic-beta`) and `contextWindow` are the common provider fields.
 */
export const anthropicConfigSchema = z
  .object({
    ...providerConfigFields('apiKey', 'baseURL', 'timeoutMs', 'maxRetries'),
    /**
     * The `anthropic-version` sent. Default `2026-10-21` (what the SDK sends), which removed
     * `temperature`, `top_p` and `top_k`: LLM Lab leaves them out with a warning. `2023-06-01` sends
     * them, for models that still accept them (Claude 4.6 and earlier).
     */
    apiVersion: z.enum(['2026-10-21', '2023-06-01']).default('2026-10-21'),
    ...providerConfigFields('headers'),
    /**
     * `max_tokens` sent when a request sets no `maxTokens` (Anthropic requires one). Default 4,096,
     * or the model's maximum output when that is lower.
     */
    defaultMaxTokens: z.number().int().positive().optional(),
    /** Prices per million tokens, for models LLM Lab does not know or to correct the built-in ones. */
    pricing: pricingSchema.optional(),
    ...providerConfigFields('contextWindow'),
    /** Most output tokens of the model, for models LLM Lab does not know. */
    maxOutputTokens: z.number().int().positive().optional(),
    /** How `batchGenerate` runs. */
    batch: batchSchema.default({ mode: 'concurrent', pollIntervalMs: 5_000, maxPollIntervalMs: 60_000, maxWaitMs: 24 * 3_600_000 }),
  })
  .strict();

/** The settings as written (before defaults). */
export type AnthropicProviderSettings = z.input<typeof anthropicConfigSchema>;

/** Settings after defaults and environment variables are applied. */
export interface ResolvedAnthropicSettings extends Omit<z.output<typeof anthropicConfigSchema>, 'apiKey' | 'baseURL'> {
  apiKey: string;
  baseURL: string;
  /** True when `baseURL` is Anthropic's own API. */
  isAnthropicHost: boolean;
}

/** True for `api.anthropic.com` and other `*.anthropic.com` hosts. */
export function isAnthropicHost(baseURL: string): boolean {
  return isHostWithin(baseURL, 'anthropic.com');
}

/**
 * Validates the settings and fills in defaults: the API key from `ANTHROPIC_API_KEY`, the base
 * URL from `ANTHROPIC_BASE_URL`. Throws a ConfigError naming `ANTHROPIC_API_KEY` when Anthropic's
 * API is used without a key, and one naming the field for any invalid setting. The key is
 * registered as a secret, so it is redacted from every log line and error message.
 */
export function resolveAnthropicSettings(
  settings: unknown,
  options: { providerId?: string; env?: NodeJS.ProcessEnv } = {},
): ResolvedAnthropicSettings {
  const providerId = options.providerId ?? 'anthropic';
  const env = options.env ?? process.env;
  const parsed = parseProviderConfig(anthropicConfigSchema, settings, providerId);
  const baseURL = resolveBaseURL(parsed.baseURL, ANTHROPIC_DEFAULT_BASE_URL, 'ANTHROPIC_BASE_URL', env);
  const anthropicHost = isAnthropicHost(baseURL);
  const apiKey = resolveApiKey({
    providerId,
    configured: parsed.apiKey,
    envVars: ['ANTHROPIC_API_KEY'],
    env,
    required: anthropicHost,
    keyName: 'Anthropic API key',
    hint: 'Keys are created at https://console.anthropic.com/settings/keys.',
  });
  if (parsed.batch.maxPollIntervalMs < parsed.batch.pollIntervalMs) {
    throw new ConfigError({
      path: 'config.batch.maxPollIntervalMs',
      message: `maxPollIntervalMs (${parsed.batch.maxPollIntervalMs}) is below pollIntervalMs (${parsed.batch.pollIntervalMs}) (provider ${providerId}); raise it or lower pollIntervalMs.`,
    });
  }
  return { ...parsed, apiKey: apiKey ?? PLACEHOLDER_API_KEY, baseURL, isAnthropicHost: anthropicHost };
}

/**
 * The `providerOptions` an Anthropic request accepts, sent to the API as noted. Anything else is
 * refused with a bad-request naming it.
 */
export const anthropicRequestOptionsSchema = z
  .object({
    /** `metadata.user_id`: an opaque id of the end user, for abuse detection. */
    userId: z.string().max(256).optional(),
    /** `service_tier`: `auto` (priority capacity when available) or `standard_only`. */
    serviceTier: z.enum(['auto', 'standard_only']).optional(),
    /** Marks the system prompt for prompt caching (`cache_control: { type: 'ephemeral' }`). */
    cacheSystemPrompt: z.boolean().optional(),
    /**
     * `thinking`: extended thinking. `{ type: 'enabled', budgetTokens }` (at least 1,024 and below
     * `maxTokens`), `{ type: 'adaptive' }` (Claude decides; newer models) or `{ type: 'disabled' }`.
     * The thinking comes back as `reasoning`, its signatures as `reasoningSignatures`.
     */
    thinking: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('enabled'), budgetTokens: z.number().int().min(1024) }).strict(),
        z.object({ type: z.literal('adaptive') }).strict(),
        z.object({ type: z.literal('disabled') }).strict(),
      ])
      .optional(),
  })
  .strict();

export type AnthropicRequestOptions = z.output<typeof anthropicRequestOptionsSchema>;
