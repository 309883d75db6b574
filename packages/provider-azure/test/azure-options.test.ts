import { describe, expect, it } from '@jest/globals';
import { ConfigError, ProviderRegistry } from '@llm-lab/core';
import { AZURE_DEFAULT_API_VERSION, azureProvider, createAzure, resolveAzureSettings } from '../src/index.js';

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Azure settings', () => {
  it('reads the endpoint and key from the environment, defaults to the GA api-version and no retries', () => {
    const settings = resolveAzureSettings({}, { env: { AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com/', AZURE_OPENAI_API_KEY: 'env-key-0123456789abcdef' } });
    expect(settings).toMatchObject({
      endpoint: 'https://res.openai.azure.com',
      apiVersion: AZURE_DEFAULT_API_VERSION,
      maxRetries: 0,
      timeoutMs: 600_000,
      maxTokensParameter: 'max_completion_tokens',
      credential: { type: 'api-key', apiKey: 'env-key-0123456789abcdef' },
    });
    expect(AZURE_DEFAULT_API_VERSION).toBe('2024-10-21');
  });

  it('builds the endpoint from resourceName', () => {
    expect(resolveAzureSettings({ resourceName: 'my-res', apiKey: 'k-0123456789abcdef' }, { env: {} }).endpoint).toBe('https://my-res.openai.azure.com');
  });

  it('refuses missing or conflicting settings with a message saying what to set', () => {
    const noEndpoint = configErrorOf(() => resolveAzureSettings({ apiKey: 'k-0123456789abcdef' }, { env: {}, providerId: 'azure:prod' }));
    expect(noEndpoint.message).toContain('AZURE_OPENAI_ENDPOINT');
    expect(noEndpoint.message).toContain('azure:prod');
    const noKey = configErrorOf(() => resolveAzureSettings({ resourceName: 'r' }, { env: {} }));
    expect(noKey.path).toBe('config.apiKey');
    expect(noKey.message).toContain('AZURE_OPENAI_API_KEY');
    expect(configErrorOf(() => resolveAzureSettings({ resourceName: 'r', endpoint: 'https://x.openai.azure.com' }, { env: {} })).message).toContain('give one');
    expect(configErrorOf(() => resolveAzureSettings({ resourceName: 'r', apiKey: 'k-0123456789', bearerToken: 't-0123456789' }, { env: {} })).message).toContain('exactly one');
    expect(configErrorOf(() => resolveAzureSettings({ resourceName: 'r', apiKey: 'k', apiVersion: 'v1.0' }, { env: {} })).path).toBe('config.apiVersion');
    expect(configErrorOf(() => resolveAzureSettings({ resourceName: 'r', apiKey: 'k', deploymentName: 'x' }, { env: {} })).message).toContain('deploymentName');
  });

  it('a token provider replaces the key, even when AZURE_OPENAI_API_KEY is set', () => {
    const settings = resolveAzureSettings({ resourceName: 'r' }, { env: { AZURE_OPENAI_API_KEY: 'env-key-0123456789' }, azureADTokenProvider: () => Promise.resolve('t') });
    expect(settings.credential.type).toBe('bearer');
  });

  it('keeps the credential out of visible settings, and the registry reports config errors with their path', () => {
    const azure = createAzure({ resourceName: 'r', apiKey: 'visible-check-key-0123456789' });
    expect(JSON.stringify(azure.settings)).not.toContain('visible-check-key');
    expect(azure.settings).toMatchObject({ endpoint: 'https://r.openai.azure.com', auth: 'api-key' });
    const registry = new ProviderRegistry().register(azureProvider);
    expect(() => registry.create('azure:prod', { resourceName: 'r', apiKey: 'k', timeoutMs: 'soon' })).toThrow(/config\.timeoutMs/);
  });
});

describe('Azure cache identity', () => {
  it('names the endpoint, the deployment and the API version, so a cached answer never crosses them', () => {
    const identity = (endpoint: string, deployment: string, apiVersion?: string) =>
      createAzure({ endpoint, apiKey: 'visible-check-key-0123456789', ...(apiVersion ? { apiVersion } : {}) }).chat(deployment).cacheIdentity();
    const base = identity('https://one.openai.azure.com', 'chat-prod');
    expect(base).toEqual({ baseURL: 'https://one.openai.azure.com', endpoint: 'chat/completions', deployment: 'chat-prod', apiVersion: AZURE_DEFAULT_API_VERSION });
    expect(identity('https://two.openai.azure.com', 'chat-prod')).not.toEqual(base);
    expect(identity('https://one.openai.azure.com', 'chat-canary')).not.toEqual(base);
    expect(identity('https://one.openai.azure.com', 'chat-prod', '2025-01-01-preview')).not.toEqual(base);
  });
});
