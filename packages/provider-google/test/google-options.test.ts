import { describe, expect, it } from '@jest/globals';
import { ConfigError, ProviderRegistry } from '@llm-lab/core';
import { startFakeGeminiServer } from '@llm-lab/provider-testkit';
import { createGoogle, googleProvider, PLACEHOLDER_GOOGLE_API_KEY, resolveGoogleSettings } from '../src/index.js';

function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Google settings', () => {
  it('takes the key from GEMINI_API_KEY, else GOOGLE_API_KEY, and defaults to the Gemini API v1beta', () => {
    expect(resolveGoogleSettings({}, { env: { GEMINI_API_KEY: 'gemini-env-key-0123', GOOGLE_API_KEY: 'google-env-key-0123' } })).toMatchObject({
      apiKey: 'gemini-env-key-0123',
      baseURL: 'https://generativelanguage.googleapis.com',
      apiVersion: 'v1beta',
      isGoogleHost: true,
      timeoutMs: 600_000,
    });
    expect(resolveGoogleSettings({}, { env: { GOOGLE_API_KEY: 'google-env-key-0123' } }).apiKey).toBe('google-env-key-0123');
    expect(resolveGoogleSettings({ apiKey: 'explicit-key-0123' }, { env: { GEMINI_API_KEY: 'gemini-env-key-0123' } }).apiKey).toBe('explicit-key-0123');
  });

  it('fails with a ConfigError naming both variables when the Gemini API is used without a key', () => {
    const error = configErrorOf(() => resolveGoogleSettings({}, { env: {}, providerId: 'google:gemini-2.5-pro' }));
    expect(error.message).toContain('GEMINI_API_KEY');
    expect(error.message).toContain('GOOGLE_API_KEY');
    expect(error.message).toContain('google:gemini-2.5-pro');
    expect(error.path).toBe('config.apiKey');
  });

  it('uses a placeholder key for another baseURL, and GOOGLE_GEMINI_BASE_URL', () => {
    expect(resolveGoogleSettings({ baseURL: 'http://localhost:8080/' }, { env: {} })).toMatchObject({ apiKey: PLACEHOLDER_GOOGLE_API_KEY, baseURL: 'http://localhost:8080', isGoogleHost: false });
    expect(resolveGoogleSettings({}, { env: { GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9' } }).baseURL).toBe('http://127.0.0.1:9');
  });

  it('refuses invalid settings with the path of the bad field', () => {
    const env = { GEMINI_API_KEY: 'key-0123456789' };
    expect(configErrorOf(() => resolveGoogleSettings({ timeoutMs: -1 }, { env })).path).toBe('config.timeoutMs');
    expect(configErrorOf(() => resolveGoogleSettings({ baseURL: 'not a url' }, { env })).path).toBe('config.baseURL');
    expect(configErrorOf(() => resolveGoogleSettings({ apiVersion: 'beta' }, { env })).path).toBe('config.apiVersion');
    expect(configErrorOf(() => resolveGoogleSettings({ apiKeyy: 'typo' }, { env })).message).toContain('apiKeyy');
  });

  it('sends requests under the configured apiVersion', async () => {
    const server = await startFakeGeminiServer();
    try {
      await createGoogle({ baseURL: server.url, apiVersion: 'v1' }).chat('gemini-2.0-flash').generate({ messages: [{ role: 'user', content: 'hi' }] });
      expect(server.requests[0]?.path).toBe('/v1/models/gemini-2.0-flash:generateContent');
    } finally {
      await server.close();
    }
  });
});

describe('googleProvider in the registry', () => {
  it('registers as google and makes working models from a config block', async () => {
    const server = await startFakeGeminiServer();
    try {
      const registry = new ProviderRegistry().register(googleProvider);
      expect(registry.list().map((entry) => entry.name)).toEqual(['google']);
      const provider = registry.create('google:gemini-2.5-flash-lite', { baseURL: server.url, timeoutMs: 5000 });
      expect(provider.id).toBe('google:gemini-2.5-flash-lite');
      const response = await provider.generate({ messages: [{ role: 'user', content: 'via registry' }] });
      expect(response.text).toBe('via registry');
      expect(server.requests[0]?.headers['x-goog-api-key']).toBe(PLACEHOLDER_GOOGLE_API_KEY);
      expect(() => registry.create('google:gemini-2.5-flash', { timeoutMs: 'soon' })).toThrow(/config\.timeoutMs/);
    } finally {
      await server.close();
    }
  });

  it('createGoogle keeps the key out of its visible settings', () => {
    const google = createGoogle({ baseURL: 'http://127.0.0.1:9', apiKey: 'visible-check-0123456789' });
    expect(JSON.stringify(google.settings)).not.toContain('visible-check');
    expect(google.settings.baseURL).toBe('http://127.0.0.1:9');
  });
});
