import { afterEach, describe, expect, it } from '@jest/globals';
import type { EmbeddingProvider, LanguageModelProvider } from '@llm-lab/core';
import type { OpenAIChatModel } from '@llm-lab/provider-openai';
import { createProviderManager, type ManagedEmbedResult, type ManagerEvents } from '../src/index.js';
import { startFakeOpenAIServer } from '@llm-lab/provider-testkit';
import { closeServers, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

/** Each member's embedding model: the OpenAI chat model's sibling on the same client. */
const embedderFor = (provider: LanguageModelProvider): EmbeddingProvider => (provider as OpenAIChatModel).embedding();
const embeddingCalls = (server: { requests: ReadonlyArray<{ path: string }> }) => server.requests.filter((request) => request.path.endsWith('/embeddings')).length;

describe('embeddings through a managed provider (the real OpenAI SDK against the fake server)', () => {
  it('opens the breaker on failing embeddings, then goes to the fallback, and says who answered', async () => {
    // A server that is down: every embeddings call fails to connect, which counts against the breaker.
    const refusing = await startFakeOpenAIServer();
    await refusing.close();
    const backup = await startServer();
    const manager = createProviderManager({
      providers: [
        { provider: openaiAt(refusing, 'text-embedding-3-small'), retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 60_000 }, fallbacks: ['openai:text-embedding-3-large'] },
        openaiAt(backup, 'text-embedding-3-large'),
      ],
      cache: false,
    });
    const fallbacks: Array<ManagerEvents['fallback']> = [];
    manager.on('fallback', (event) => fallbacks.push(event));
    const embedding = manager.get('openai:text-embedding-3-small').embedding(embedderFor);
    const answers: ManagedEmbedResult[] = [];
    for (const text of ['one', 'two', 'three', 'four']) answers.push((await embedding.embed([text])) as ManagedEmbedResult);
    expect(answers.map((answer) => answer.answeredBy)).toEqual(Array(4).fill('openai:text-embedding-3-large'));
    expect(answers.map((answer) => answer.embeddings[0]?.length)).toEqual([3072, 3072, 3072, 3072]);
    // Two failures opened the breaker: the last two calls went to the fallback without trying the primary.
    expect(embeddingCalls(backup)).toBe(4);
    expect(answers.map((answer) => answer.attempts)).toEqual([2, 2, 1, 1]);
    expect(fallbacks.map((event) => event.error.kind)).toEqual(['network', 'network', 'server', 'server']);
    expect(fallbacks[2]?.error.vendorCode).toBe('circuit_open');
  });

  it('answers the same texts from the response cache, apart from other dimensions or other texts', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server, 'text-embedding-3-small')], cache: { kind: 'memory' } });
    const provider = manager.get('openai:text-embedding-3-small');
    const embedding = provider.embedding(embedderFor);
    const first = (await embedding.embed(['a', 'b'])) as ManagedEmbedResult;
    const again = (await embedding.embed(['a', 'b'])) as ManagedEmbedResult;
    const shorter = (await embedding.embed(['a', 'b'], { dimensions: 8 })) as ManagedEmbedResult;
    const split = (await embedding.embed(['ab'])) as ManagedEmbedResult;
    expect([first.cached, again.cached, shorter.cached, split.cached]).toEqual([false, true, false, false]);
    expect(again.embeddings).toEqual(first.embeddings);
    expect(again.attempts).toBe(0);
    expect(shorter.embeddings[0]).toHaveLength(8);
    expect(embeddingCalls(server)).toBe(3);
    const error = await providerErrorOf(() => embedding.embed([]));
    expect(error.kind).toBe('bad-request');
  });
});
