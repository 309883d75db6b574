import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  isHostWithin,
  parseProviderConfig,
  pricingOverrideSchema,
  providerConfigFields,
  sanitise,
  resolveApiKey,
  resolveBaseURL,
  z,
} from '../src/index.js';

describe('providerConfigFields', () => {
  const schema = z.object({ ...providerConfigFields('apiKey', 'timeoutMs', 'maxRetries', 'headers', 'pricing', 'contextWindow') }).strict();

  it('fills in the standard defaults and leaves the rest unset', () => {
    expect(schema.parse({})).toEqual({ timeoutMs: 600_000, maxRetries: 0 });
  });

  it('picks only the fields asked for', () => {
    expect(Object.keys(providerConfigFields('timeoutMs', 'headers')).sort()).toEqual(['headers', 'timeoutMs']);
  });

  it('validates each field, naming it in the ConfigError path', () => {
    expect(() => parseProviderConfig(schema, { timeoutMs: 0 }, 'p')).toThrow(/config\.timeoutMs/);
    expect(() => parseProviderConfig(schema, { maxRetries: 11 }, 'p')).toThrow(/config\.maxRetries/);
    expect(() => parseProviderConfig(schema, { pricing: { inputPerMillion: 1 } }, 'p')).toThrow(/config\.pricing\.outputPerMillion/);
  });

  it('refuses unknown pricing keys, and an extension adds a vendor price', () => {
    expect(pricingOverrideSchema.safeParse({ inputPerMillion: 1, outputPerMillion: 2, bogus: 3 }).success).toBe(false);
    const extended = pricingOverrideSchema.extend({ cacheWriteInputPerMillion: z.number().min(0).optional() });
    expect(extended.parse({ inputPerMillion: 1, outputPerMillion: 2, cacheWriteInputPerMillion: 3 })).toEqual({ inputPerMillion: 1, outputPerMillion: 2, cacheWriteInputPerMillion: 3 });
    expect(extended.safeParse({ inputPerMillion: 1, outputPerMillion: 2, bogus: 3 }).success).toBe(false);
  });
});

describe('resolveApiKey', () => {
  const lookup = { providerId: 'acme:big', envVars: ['ACME_API_KEY', 'ACME_KEY'], required: true, keyName: 'Acme API key' } as const;

  it('prefers the configured key, then the environment variables in order (empty ones skipped)', () => {
    expect(resolveApiKey({ ...lookup, configured: 'configured-key-0123', env: { ACME_API_KEY: 'env-key-0123' } })).toBe('configured-key-0123');
    expect(resolveApiKey({ ...lookup, configured: undefined, env: { ACME_API_KEY: '', ACME_KEY: 'second-key-0123' } })).toBe('second-key-0123');
  });

  it('registers the key as a secret', () => {
    const key = 'acme-secret-key-5f3a9c';
    resolveApiKey({ ...lookup, configured: key, env: {} });
    expect(sanitise(`sent ${key}`)).not.toContain(key);
  });

  it('returns undefined without a key when none is required', () => {
    expect(resolveApiKey({ ...lookup, required: false, configured: undefined, env: {} })).toBeUndefined();
  });

  it('throws the standard ConfigError at config.apiKey naming the variables when one is required', () => {
    let caught: unknown;
    try {
      resolveApiKey({ ...lookup, configured: undefined, env: {}, hint: 'Keys are made at https://acme.example/keys.' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).path).toBe('config.apiKey');
    expect((caught as ConfigError).detail).toBe(
      "No Acme API key for provider acme:big. Set the ACME_API_KEY (or ACME_KEY) environment variable, or set 'apiKey' in the provider's config (e.g. apiKey: ${ACME_API_KEY}). Keys are made at https://acme.example/keys.",
    );
  });
});

describe('resolveBaseURL and isHostWithin', () => {
  it('takes the configured URL, else the environment variable, else the fallback, without trailing slashes', () => {
    expect(resolveBaseURL('http://configured/v1/', 'https://fallback', 'ACME_BASE_URL', { ACME_BASE_URL: 'http://env' })).toBe('http://configured/v1');
    expect(resolveBaseURL(undefined, 'https://fallback', 'ACME_BASE_URL', { ACME_BASE_URL: 'http://env//' })).toBe('http://env');
    expect(resolveBaseURL(undefined, 'https://fallback/', 'ACME_BASE_URL', { ACME_BASE_URL: '' })).toBe('https://fallback');
  });

  it('matches the domain and its subdomains only', () => {
    expect(isHostWithin('https://api.openai.com/v1', 'openai.com')).toBe(true);
    expect(isHostWithin('https://openai.com', 'openai.com')).toBe(true);
    expect(isHostWithin('https://notopenai.com', 'openai.com')).toBe(false);
    expect(isHostWithin('not a url', 'openai.com')).toBe(false);
  });
});
