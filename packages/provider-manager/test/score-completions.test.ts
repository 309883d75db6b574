import { afterEach, describe, expect, it } from '@jest/globals';
import { createOpenAI, OpenAIChatModel } from '@llm-lab/provider-openai';
import { createProviderManager } from '../src/index.js';
import { closeServers, openaiAt, startServer } from './helpers.js';

afterEach(closeServers);

describe('scoreCompletions through the manager', () => {
  it('is passed through to the member that implements it, and absent when the member has none', async () => {
    const server = await startServer({ promptLogprob: (token) => -token.length });
    const { client } = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-manager', maxRetries: 0 });
    // An OpenAI-compatible model whose server echoes prompt log-probabilities (as vLLM does), scoring through them.
    const settings = { timeoutMs: 10_000, baseURL: server.url, isOpenAIHost: false, maxTokensParameter: 'max_tokens' as const, promptLogprobs: true };
    const scoring = new OpenAIChatModel('vllm-model', { client, settings, provider: 'vllm' });
    const manager = createProviderManager({ providers: [scoring, openaiAt(server)], cache: false });
    const managed = manager.get('vllm:vllm-model');
    expect(await managed.scoreCompletions?.({ messages: [{ role: 'user', content: 'Once upon a' }], completions: [' time', ' hill top'] })).toEqual([
      { completion: ' time', logprob: -5, tokens: 1 },
      { completion: ' hill top', logprob: -9, tokens: 2 },
    ]);
    expect(server.requests.at(-1)?.path).toBe('/v1/completions');
    expect(manager.get('openai:gpt-4o-mini').scoreCompletions).toBeUndefined();
    await manager.close();
  });
});
