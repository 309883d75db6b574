import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderRegistry, isLLMLabError, type ConfigError } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer, providerErrorOf } from '@llm-lab/provider-testkit';
import { createServer } from 'node:net';
import { createOpenAICompatible, openaiCompatibleProvider } from '../src/index.js';

describe('openai-compatible provider', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
  });
  afterAll(() => server.close());

  it('requires baseURL with a ConfigError naming config.baseURL', () => {
    let error: unknown;
    try {
      new ProviderRegistry().register(openaiCompatibleProvider).create('openai-compatible:llama', {});
    } catch (caught) {
      error = caught;
    }
    expect(isLLMLabError(error)).toBe(true);
    expect((error as ConfigError).path).toBe('config.baseURL');
    expect((error as ConfigError).message).toContain('http://127.0.0.1:8000/v1');
  });

  it('sends max_tokens and top_k, no Authorization key of its own when none is configured, and no pricing', async () => {
    server.reset();
    const model = createOpenAICompatible({ baseURL: `${server.url}/` }).chat('Qwen/Qwen2.5-0.5B-Instruct');
    const response = await model.generate({ messages: [{ role: 'user', content: 'hi there' }], maxTokens: 5, topK: 20, seed: 3 });
    expect(server.requests[0]?.body).toEqual({
      model: 'Qwen/Qwen2.5-0.5B-Instruct',
      messages: [{ role: 'user', content: 'hi there' }],
      max_tokens: 5,
      top_k: 20,
      seed: 3,
      stream: false,
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer llm-lab-no-key');
    expect(response).toMatchObject({ text: 'hi there', providerId: 'openai-compatible:Qwen/Qwen2.5-0.5B-Instruct' });
    expect(response.cost).toBeUndefined();
    expect(model.getModelInfo()).toMatchObject({ contextWindow: 8192 });
    expect(model.getModelInfo().pricing).toBeUndefined();
  });

  it('prices calls when pricing is configured, and redacts the key from errors', async () => {
    const key = 'sk-local-SECRET-0123456789abcdef';
    const keyed = await startFakeOpenAIServer({ apiKey: 'a-different-key-0123456789' });
    try {
      const model = createOpenAICompatible({ baseURL: keyed.url, apiKey: key, pricing: { inputPerMillion: 1, outputPerMillion: 2 }, contextWindow: 32_768 }).chat('m');
      expect(model.getModelInfo()).toMatchObject({ contextWindow: 32_768, pricing: { inputPerMillion: 1, outputPerMillion: 2 } });
      const error = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }] }));
      expect(error.kind).toBe('authentication');
      expect(error.message).not.toContain(key);
      expect(error.responseBody ?? '').not.toContain(key);
    } finally {
      await keyed.close();
    }
  });

  it('a server that is not running is a network error naming the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const error = await providerErrorOf(() => createOpenAICompatible({ baseURL: `http://127.0.0.1:${port}/v1` }).chat('m').generate({ messages: [{ role: 'user', content: 'x' }] }));
    expect(error.kind).toBe('network');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('refuses providerOptions it does not know', async () => {
    const error = await providerErrorOf(() => createOpenAICompatible({ baseURL: server.url }).chat('m').generate({ messages: [{ role: 'user', content: 'x' }], providerOptions: { guided_json: {} } }));
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('guided_json');
  });
});
