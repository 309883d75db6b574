import { describe, expect, it } from '@jest/globals';
import { ConfigError, ProviderRegistry, isLLMLabError } from '@llm-lab/core';
import { anthropicProvider, createAnthropic, findAnthropicModel, resolveAnthropicSettings } from '../src/index.js';

describe('Anthropic settings', () => {
  it('reads the key and base URL from the environment, with defaults', () => {
    const settings = resolveAnthropicSettings({}, { env: { ANTHROPIC_API_KEY: 'sk-ant-env-key-0123456789' } });
    expect(settings).toMatchObject({
      apiKey: 'sk-ant-env-key-0123456789',
      baseURL: 'https://api.anthropic.com',
      isAnthropicHost: true,
      timeoutMs: 600_000,
      maxRetries: 0,
      apiVersion: '2026-10-21',
      batch: { mode: 'concurrent', pollIntervalMs: 5_000, maxPollIntervalMs: 60_000, maxWaitMs: 86_400_000 },
    });
    const proxied = resolveAnthropicSettings({ baseURL: 'http://127.0.0.1:9/' }, { env: {} });
    expect(proxied).toMatchObject({ baseURL: 'http://127.0.0.1:9', isAnthropicHost: false, apiKey: 'llm-lab-no-key' });
  });

  it('without a key for Anthropic’s API, fails naming ANTHROPIC_API_KEY', () => {
    let caught: unknown;
    try {
      createAnthropic({}, { env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).path).toBe('config.apiKey');
    expect((caught as ConfigError).message).toContain('ANTHROPIC_API_KEY');
  });

  it('names the field of an invalid setting', () => {
    const bad = (settings: unknown) => {
      try {
        resolveAnthropicSettings(settings, { env: { ANTHROPIC_API_KEY: 'sk-ant-x-0123456789' }, providerId: 'anthropic:claude-haiku-4-5' });
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad({ maxRetries: -1 }).path).toBe('config.maxRetries');
    expect(bad({ apiVersion: '2024-01-01' }).path).toBe('config.apiVersion');
    expect(bad({ batch: { mode: 'fast' } }).path).toBe('config.batch.mode');
    expect(bad({ batch: { pollIntervalMs: 1000, maxPollIntervalMs: 10 } }).path).toBe('config.batch.maxPollIntervalMs');
    expect(bad({ temperature: 0 }).message).toContain('anthropic:claude-haiku-4-5');
  });

  it('the plugin registers as `anthropic` and makes models from ids', () => {
    const registry = new ProviderRegistry().register(anthropicProvider);
    const provider = registry.create('anthropic:claude-haiku-4-5', { apiKey: 'sk-ant-registry-0123456789' });
    expect(provider.id).toBe('anthropic:claude-haiku-4-5');
    expect(provider.getModelInfo().pricing?.inputPerMillion).toBe(1);
    expect(() => registry.create('anthropic:claude-haiku-4-5', { apiKey: 'k', unknown: 1 })).toThrow(/config/);
    try {
      registry.create('anthropic:claude-haiku-4-5', { apiKey: 'k', unknown: 1 });
    } catch (error) {
      expect(isLLMLabError(error)).toBe(true);
    }
  });

  it('finds models by alias and dated snapshot, and not unknown ones', () => {
    expect(findAnthropicModel('claude-sonnet-4-20250514')?.maxOutputTokens).toBe(64_000);
    expect(findAnthropicModel('claude-3-5-haiku-20241022')?.maxOutputTokens).toBe(8_192);
    expect(findAnthropicModel('claude-3-5-haiku-latest')?.pricing?.cachedInputPerMillion).toBe(0.08);
    expect(findAnthropicModel('claude-opus-4-1-20250805')?.pricing?.cacheWriteInputPerMillion).toBe(18.75);
    expect(findAnthropicModel('gpt-4o')).toBeUndefined();
    expect(findAnthropicModel('claude-9-99999999')).toBeUndefined();
  });
});
