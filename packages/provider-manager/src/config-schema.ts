import { z } from '@llm-lab/core';

/**
 * The provider manager's settings as they appear in a config file. Every field is optional and
 * has a documented default (see README.md, "Defaults"); `parse` fills them in.
 */

export const providerIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*:.+$/i, 'a provider id of the form <provider>:<model>, e.g. openai:gpt-4o-mini');

/** Retries of one provider: exponential backoff with full jitter, honouring the vendor's retry-after. */
export const retrySettingsSchema = z
  .object({
    /** Calls made at most, the first included (1 = no retry). Default 5. */
    maxAttempts: z.number().int().min(1).max(50).default(5),
    /** Backoff base: attempt n waits up to `baseDelayMs * 2^(n-1)` (full jitter). Default 250. */
    baseDelayMs: z.number().int().min(0).default(250),
    /** Ceiling of one backoff wait (a vendor's retry-after may ask for longer and is honoured). Default 20,000. */
    maxDelayMs: z.number().int().min(0).default(20_000),
    /** No retry starts after this many milliseconds since the first attempt. Default 120,000. */
    maxTotalMs: z.number().int().min(0).default(120_000),
  })
  .strict();

/** The circuit breaker of each underlying provider. */
export const breakerSettingsSchema = z
  .object({
    /** Set false to never open the breaker. Default true. */
    enabled: z.boolean().default(true),
    /** Opens after this many consecutive health failures. Default 5. */
    failureThreshold: z.number().int().min(1).default(5),
    /** Opens when this share (0–1] of the calls in the window failed... Default 0.5. */
    failureRate: z.number().gt(0).max(1).default(0.5),
    /** ...over a sliding window of this many milliseconds... Default 60,000. */
    windowMs: z.number().int().positive().default(60_000),
    /** ...once the window holds at least this many calls. Default 20. */
    minCalls: z.number().int().min(1).default(20),
    /** Milliseconds an open breaker waits before letting probe calls through (half-open). Default 30,000. */
    cooldownMs: z.number().int().min(0).default(30_000),
    /** Probe calls allowed at once while half-open. Default 1. */
    halfOpenMaxCalls: z.number().int().min(1).default(1),
  })
  .strict();

/** Request and token budgets of each underlying provider (token buckets). */
export const rateLimitSettingsSchema = z
  .object({
    /** Requests per minute. Default: no limit. */
    rpm: z.number().positive().optional(),
    /** Tokens (prompt estimate + maxTokens, corrected by the reported usage) per minute. Default: no limit. */
    tpm: z.number().positive().optional(),
    /**
     * Seconds of budget that may be spent at once after an idle spell. Default 0: calls are spaced
     * evenly at the budget's rate, which never overshoots a vendor's sliding-window limit (a burst
     * on top of a full window is answered with 429s).
     */
    burstSeconds: z.number().min(0).default(0),
  })
  .strict();

/** Calls in flight at once to each underlying provider. */
export const concurrencySettingsSchema = z
  .object({
    /** The ceiling. Default 256. */
    max: z.number().int().min(1).default(256),
    /** AIMD: a 429 halves the limit, each success raises it by about one per round trip, up to `max`. Default true. */
    adaptive: z.boolean().default(true),
  })
  .strict();

/** The response cache as used by one provider. */
export const providerCacheSettingsSchema = z
  .object({
    /** Set false to neither read nor write the cache for this provider. Default true. */
    enabled: z.boolean().default(true),
    /** Lifetime of an entry in milliseconds. Default: the run-wide `cache.ttlMs` (none = no expiry). */
    ttlMs: z.number().int().positive().optional(),
  })
  .strict();

/** A load-balanced member in a config file: a provider id, or an id with its `config:` block and a label. */
export const memberEntrySchema = z.union([
  providerIdSchema,
  z
    .object({
      id: providerIdSchema,
      /** The member's name in events, errors and `answeredBy`. Default the id (with `#n` when ids repeat). */
      label: z.string().min(1).optional(),
      /** Passed to the provider factory (apiKey, baseURL, ...). */
      config: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
]);

/** How a call picks a member of a load-balanced provider. */
export const balancingStrategySchema = z.enum(['round-robin', 'least-busy', 'lowest-latency']);

/** A Presidio analyzer asked alongside the PII rules (presidio-analyzer's REST API). */
export const presidioSettingsSchema = z
  .object({
    /** The analyzer's base URL, e.g. http://localhost:5002 (`POST <url>/analyze`). */
    // A pattern, not z.url(): its JSON Schema `format: uri` is unknown to some validators (editors warn).
    url: z.string().regex(/^https?:\/\/[^\s/]+\S*$/, 'expected the Presidio analyzer base URL, e.g. http://localhost:5002'),
    /** Default `en`. */
    language: z.string().min(2).default('en'),
    /** Results scoring lower are dropped by the analyzer. Default its own. */
    scoreThreshold: z.number().min(0).max(1).optional(),
    /** Milliseconds before a call to the analyzer is given up. Default 10,000. */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/**
 * PII detection and masking for one provider entry (or gateway route): what is replaced, how,
 * and before which step. See docs/security.md, "PII detection and masking".
 */
export const piiPolicySchema = z
  .object({
    /** `mask` (`<EMAIL_ADDRESS>`), `tokenize` (`<EMAIL_ADDRESS_1>` to the provider, originals restored in the answer), or `off`. Default `mask`. */
    mode: z.enum(['off', 'mask', 'tokenize'], { error: 'expected off, mask or tokenize' }).default('mask'),
    /** Before which steps: `provider` (the request sent), `store` (results and traffic stored), `log` (request events and log lines). Default all three. */
    before: z
      .array(z.enum(['store', 'log', 'provider'], { error: 'expected store, log or provider' }))
      .min(1)
      .default(['store', 'log', 'provider']),
    /** Entity types replaced (Presidio's names). Default EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS. */
    entities: z.array(z.string().min(1)).min(1).optional(),
    /** Spans scoring below this are left alone. Default 0. */
    minScore: z.number().min(0).max(1).optional(),
    /** Also ask a Presidio analyzer (names, places, organisations by NER). Default none. */
    presidio: presidioSettingsSchema.optional(),
  })
  .strict();

/** The manager's policy for one provider entry of a config file. */
export const providerPolicySchema = z
  .object({
    cache: providerCacheSettingsSchema.default({ enabled: true }),
    retry: retrySettingsSchema.default({ maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 20_000, maxTotalMs: 120_000 }),
    breaker: breakerSettingsSchema.default({
      enabled: true,
      failureThreshold: 5,
      failureRate: 0.5,
      windowMs: 60_000,
      minCalls: 20,
      cooldownMs: 30_000,
      halfOpenMaxCalls: 1,
    }),
    rateLimit: rateLimitSettingsSchema.default({ burstSeconds: 0 }),
    concurrency: concurrencySettingsSchema.default({ max: 256, adaptive: true }),
    /**
     * Per-call timeout in milliseconds. The call's own `timeoutMs` wins, unless the manager was made
     * with `callTimeout: 'default'` (as the lab does: then this wins over `run.timeoutMs`). Default: the provider's.
     */
    timeoutMs: z.number().int().positive().optional(),
    /**
     * Providers tried in order when this provider fails (or its breaker is open), each named by
     * its label, or by its id when no label matches (see createProviderManagerFromConfig). Default none.
     */
    fallbacks: z.array(z.string().min(1, 'a provider label or id')).default([]),
    /** Deployments or keys behind this one logical provider. Default: the provider alone. */
    members: z.array(memberEntrySchema).min(1).optional(),
    /** How members are picked. Default `round-robin`. */
    strategy: balancingStrategySchema.default('round-robin'),
    /** PII masking or tokenisation of this provider's calls. Default none. */
    pii: piiPolicySchema.optional(),
  })
  .strict();

/** The run-wide response cache. */
export const managerCacheSchema = z
  .object({
    /**
     * `memory` (in-process LRU), `disk` (persists between runs), `redis`, or `none`. Default
     * `memory` here; the lab fills in its own default (`redis` with REDIS_URL, else `disk`) before parsing.
     */
    kind: z.enum(['memory', 'disk', 'redis', 'none']).default('memory'),
    /**
     * Folder of the disk cache, relative to the cache context's `cwd`. Default `.llm-lab/cache`
     * there. With `redis`: the disk cache used instead when Redis cannot be reached (default none:
     * the run goes on without a cache).
     */
    dir: z.string().min(1).optional(),
    /** Redis URL. Default the `REDIS_URL` environment variable, else `redis://127.0.0.1:6379`. */
    url: z.string().min(1).optional(),
    /** Prefix of every Redis key, to keep projects apart. Default `llm-lab:cache:`. */
    keyPrefix: z.string().min(1).optional(),
    /** Lifetime of an entry in milliseconds. Default: no expiry. */
    ttlMs: z.number().int().positive().optional(),
    /** Most entries in the memory cache. Default 10,000. */
    maxEntries: z.number().int().positive().optional(),
    /** Approximate most bytes in the memory cache. Default 256 MiB. */
    maxBytes: z.number().int().positive().optional(),
  })
  .strict();

/** Everything the manager reads from a config file: the run-wide cache and a policy per provider id. */
export const providerManagerConfigSchema = z
  .object({
    cache: managerCacheSchema.default({ kind: 'memory' }),
    /** Identical requests in flight at once are sent once. Default true. */
    singleFlight: z.boolean().default(true),
    /** Policies keyed by provider id (or label). */
    providers: z.record(z.string().min(1), providerPolicySchema).default({}),
  })
  .strict();

export type RetrySettings = z.output<typeof retrySettingsSchema>;
export type BreakerSettings = z.output<typeof breakerSettingsSchema>;
export type RateLimitSettings = z.output<typeof rateLimitSettingsSchema>;
export type ConcurrencySettings = z.output<typeof concurrencySettingsSchema>;
export type ProviderCacheSettings = z.output<typeof providerCacheSettingsSchema>;
export type BalancingStrategy = z.output<typeof balancingStrategySchema>;
export type PiiPolicySettings = z.output<typeof piiPolicySchema>;
export type MemberEntry = z.output<typeof memberEntrySchema>;
/** A provider policy as written (every field optional). */
export type ProviderPolicyInput = z.input<typeof providerPolicySchema>;
/** A provider policy with defaults filled in. */
export type ProviderPolicy = z.output<typeof providerPolicySchema>;
export type ManagerCacheInput = z.input<typeof managerCacheSchema>;
export type ManagerCacheSettings = z.output<typeof managerCacheSchema>;
export type ProviderManagerConfigInput = z.input<typeof providerManagerConfigSchema>;
export type ProviderManagerConfig = z.output<typeof providerManagerConfigSchema>;
