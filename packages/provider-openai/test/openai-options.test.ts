import { describe, expect, it } from '@jest/globals';
import { ConfigError, ProviderRegistry, isLLMLabError } from '@llm-lab/core';
import { startFakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createOpenAI, openaiProvider, PLACEHOLDER_API_KEY, resolveOpenAISettings } from '../src/index.js';

describe('OpenAI settings', () => {
  it('takes the key from OPENAI_API_KEY and defaults to OpenAI with max_completion_tokens and no retries', () => {
    const settings = resolveOpenAISettings({}, { env: { OPENAI_API_KEY: 'sk-from-env-0123456789abcdef' } });
    expect(settings).toMatchObject({
      apiKey: 'sk-from-env-0123456789abcdef',
      baseURL: 'https://api.openai.com/v1',
      isOpenAIHost: true,
      maxRetries: 0,
      timeoutMs: 600_000,
      maxTokensParameter: 'max_completion_tokens',
    });
  });

  it('fails with a ConfigError naming OPENAI_API_KEY when OpenAI is used without a key', () => {
    let caught: unknown;
    try {
      resolveOpenAISettings({}, { env: {}, providerId: 'openai:gpt-4o' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain('OPENAI_API_KEY');
    expect((caught as ConfigError).message).toContain('openai:gpt-4o');
    expect((caught as ConfigError).path).toBe('config.apiKey');
  });

  it('uses a placeholder key and max_tokens for a non-OpenAI baseURL', () => {
    const settings = resolveOpenAISettings({ baseURL: 'http://localhost:8000/v1/' }, { env: {} });
    expect(settings).toMatchObject({ apiKey: PLACEHOLDER_API_KEY, baseURL: 'http://localhost:8000/v1', isOpenAIHost: false, maxTokensParameter: 'max_tokens' });
    expect(resolveOpenAISettings({}, { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } }).baseURL).toBe('http://127.0.0.1:9/v1');
  });

  it('refuses invalid settings with the path of the bad field', () => {
    const bad = (config: Record<string, unknown>) => {
      try {
        resolveOpenAISettings(config, { env: { OPENAI_API_KEY: 'sk-x-0123456789abcdefgh' } });
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad({ timeoutMs: -1 }).path).toBe('config.timeoutMs');
    expect(bad({ baseURL: 'not a url' }).path).toBe('config.baseURL');
    expect(bad({ apiKeyy: 'typo' }).message).toContain('apiKeyy');
    expect(isLLMLabError(bad({ maxRetries: 99 }))).toBe(true);
  });
});

describe('openaiProvider in the registry', () => {
  it('registers as openai and makes working models from a config block', async () => {
    const server = await startFakeOpenAIServer();
    try {
      const registry = new ProviderRegistry().register(openaiProvider);
      expect(registry.list().map((entry) => entry.name)).toEqual(['openai']);
      const provider = registry.create('openai:gpt-4.1-nano', { baseURL: server.url, timeoutMs: 5000 });
      expect(provider.id).toBe('openai:gpt-4.1-nano');
      const response = await provider.generate({ messages: [{ role: 'user', content: 'via registry' }] });
      expect(response.text).toBe('via registry');
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
      expect(() => registry.create('openai:gpt-4o', { timeoutMs: 'soon' })).toThrow(/config\.timeoutMs/);
    } finally {
      await server.close();
    }
  });

  it('createOpenAI keeps the key out of its visible settings', () => {
    const openai = createOpenAI({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-visible-check-0123456789' });
    expect(JSON.stringify(openai.settings)).not.toContain('sk-visible-check');
    expect(openai.settings.baseURL).toBe('http://127.0.0.1:9/v1');
  });
});
