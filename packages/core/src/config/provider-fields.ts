import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { registerSecret } from '@llm-lab/security';

/** The per-call timeout providers default to: 600,000 ms (10 minutes), covering a streamed answer to its end. */
export const DEFAULT_CALL_TIMEOUT_MS = 600_000;

/**
 * A provider's `config.pricing`: prices per million tokens in US dollars, replacing the built-in
 * ones, or giving a price to a model LLM Lab does not know (e.g. on a self-hosted server, to cost
 * its GPU hours). Unknown keys are refused. Extend it for a vendor's extra prices.
 */
export const pricingOverrideSchema = z
  .object({
    inputPerMillion: z.number().min(0),
    outputPerMillion: z.number().min(0),
    /** Price of cached input tokens, when the vendor discounts them. */
    cachedInputPerMillion: z.number().min(0).optional(),
  })
  .strict();

const PROVIDER_CONFIG_FIELDS = {
  /** The vendor's API key. Where it defaults from (an environment variable) is the provider's to say; see {@link resolveApiKey}. */
  apiKey: z.string().min(1).optional(),
  /** The server's base URL (a vendor's API, a proxy, or a compatible server). */
  baseURL: z.url().optional(),
  /** Per-call timeout in milliseconds, covering a streamed answer to its end. Default 600,000 (10 minutes). */
  timeoutMs: z.number().int().positive().default(DEFAULT_CALL_TIMEOUT_MS),
  /** Retries inside the vendor SDK. Default 0: LLM Lab's provider manager owns retries. */
  maxRetries: z.number().int().min(0).max(10).default(0),
  /** Extra headers sent with every request. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Prices per million tokens; see {@link pricingOverrideSchema}. */
  pricing: pricingOverrideSchema.optional(),
  /** Context window in tokens, for a model LLM Lab does not know or to replace the built-in one. */
  contextWindow: z.number().int().positive().optional(),
} as const;

/** The names of the `config:` fields providers share. */
export type ProviderConfigFieldName = keyof typeof PROVIDER_CONFIG_FIELDS;

/**
 * The `config:` fields providers share, validated and defaulted the same way everywhere (e.g.
 * `timeoutMs` a positive integer defaulting to 600,000; `maxRetries` 0 to 10 defaulting to 0).
 * Spread the ones a provider has into its schema:
 * `z.object({ ...providerConfigFields('apiKey', 'baseURL', 'timeoutMs'), organization: … }).strict()`.
 */
export function providerConfigFields<K extends ProviderConfigFieldName>(...names: K[]): Pick<typeof PROVIDER_CONFIG_FIELDS, K> {
  const picked: Partial<Pick<typeof PROVIDER_CONFIG_FIELDS, K>> = {};
  for (const name of names) picked[name] = PROVIDER_CONFIG_FIELDS[name];
  return picked as Pick<typeof PROVIDER_CONFIG_FIELDS, K>;
}

/** What {@link resolveApiKey} looks at. */
export interface ApiKeyLookup {
  /** The provider, named in the error, e.g. `openai` or `anthropic:claude-haiku-4-5`. */
  providerId: string;
  /** The key written in the config, if any; it wins over the environment. */
  configured: string | undefined;
  /** Environment variables read in order when no key is configured, e.g. `['GEMINI_API_KEY', 'GOOGLE_API_KEY']`. An empty value counts as unset. */
  envVars: readonly string[];
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Whether the call cannot go without a key (a vendor's own API); when false, a missing key is returned as undefined. */
  required: boolean;
  /** What the key is called in the error, e.g. `OpenAI API key`. */
  keyName: string;
  /** Said after the standard advice, e.g. where keys are made. */
  hint?: string;
}

/**
 * Finds a provider's API key: the configured one, else the first of `envVars` that is set. The
 * key found is registered as a secret, so it is redacted from every log line and error message.
 * Returns undefined when there is none and none is `required`; when one is required, throws a
 * ConfigError at `config.apiKey` of the standard form: `No <keyName> for provider <id>. Set the
 * <VAR> (or <VAR2>) environment variable, or set 'apiKey' in the provider's config (e.g.
 * apiKey: ${<VAR>}). <hint>`.
 */
export function resolveApiKey(lookup: ApiKeyLookup & { required: true }): string;
export function resolveApiKey(lookup: ApiKeyLookup): string | undefined;
export function resolveApiKey(lookup: ApiKeyLookup): string | undefined {
  const env = lookup.env ?? process.env;
  let key = lookup.configured;
  for (const name of lookup.envVars) key ??= env[name] || undefined;
  if (key === undefined && lookup.required) {
    const [first = 'API_KEY', ...others] = lookup.envVars;
    const variables = others.length > 0 ? `${first} (or ${others.join(', or ')})` : first;
    throw new ConfigError({
      path: 'config.apiKey',
      message:
        `No ${lookup.keyName} for provider ${lookup.providerId}. Set the ${variables} environment variable, ` +
        `or set 'apiKey' in the provider's config (e.g. apiKey: \${${first}}).${lookup.hint ? ` ${lookup.hint}` : ''}`,
    });
  }
  registerSecret(key);
  return key;
}

/**
 * A provider's base URL: the configured one, else the environment variable `envVar` (when
 * given and set), else `fallback`; without trailing slashes, so paths can be appended.
 */
export function resolveBaseURL(configured: string | undefined, fallback: string, envVar?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = envVar !== undefined ? env[envVar] || undefined : undefined;
  return (configured ?? fromEnv ?? fallback).replace(/\/+$/, '');
}

/**
 * True when `baseURL`'s host is `domain` or one of its subdomains (e.g. `api.openai.com` for
 * `openai.com`): how a provider tells its vendor's own API from a proxy or compatible server.
 * False for a URL that does not parse.
 */
export function isHostWithin(baseURL: string, domain: string): boolean {
  try {
    const host = new URL(baseURL).hostname.toLowerCase();
    return host === domain || host.endsWith(`.${domain}`);
  } catch {
    return false;
  }
}
