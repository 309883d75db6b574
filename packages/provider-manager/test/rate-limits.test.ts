import { afterEach, describe, expect, it } from '@jest/globals';
import { mapConcurrent } from '@llm-lab/core';
import { createProviderManager, type ManagerEvents } from '../src/index.js';
import { ask, chatRequests, closeServers, openaiAt, startServer } from './helpers.js';

afterEach(closeServers);

describe('rate limits against a fake server that enforces an RPM limit', () => {
  it('a run at the provider’s limit finishes with zero failed cases and ≥ 90% of the allowed throughput', async () => {
    // The fake admits 20 requests per sliding 1-second window (1,200 per minute) and answers 429 + retry-after past it.
    const limit = 20;
    const windowMs = 1000;
    const server = await startServer({ rpmLimit: limit, rpmWindowMs: windowMs });
    const manager = createProviderManager({
      providers: [
        {
          provider: openaiAt(server),
          rateLimit: { rpm: (limit * 60_000) / windowMs },
          retry: { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 500, maxTotalMs: 30_000 },
        },
      ],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    const cases = 60;
    const startedAt = performance.now();
    const results = await mapConcurrent(Array.from({ length: cases }, (_, index) => index), 64, async (index) => {
      try {
        return { ok: true as const, response: await provider.generate(ask(`case ${index}`)) };
      } catch (error) {
        return { ok: false as const, error };
      }
    });
    const elapsedMs = performance.now() - startedAt;
    expect(results.filter((result) => !result.ok)).toEqual([]);
    const throughputPerWindow = (cases / elapsedMs) * windowMs;
    expect(throughputPerWindow).toBeGreaterThanOrEqual(0.9 * limit);
    // The token bucket kept the client under the limit: (almost) no 429s were needed.
    expect(chatRequests(server)).toBeLessThanOrEqual(cases + 5);
  });

  it('adaptive concurrency halves on 429 and the run still completes without failures', async () => {
    const server = await startServer({ rpmLimit: 10, rpmWindowMs: 500, latencyMs: 20 });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), concurrency: { max: 32, adaptive: true }, retry: { maxAttempts: 20, baseDelayMs: 10, maxDelayMs: 200, maxTotalMs: 30_000 } }],
      cache: false,
    });
    const changes: Array<ManagerEvents['concurrency-change']> = [];
    manager.on('concurrency-change', (event) => changes.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    const responses = await mapConcurrent(Array.from({ length: 40 }, (_, index) => index), 32, (index) => provider.generate(ask(`n${index}`)));
    expect(responses.map((response) => response.text)).toEqual(Array.from({ length: 40 }, (_, index) => `n${index}`));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]?.limit).toBeLessThanOrEqual(16);
  });

  it('a tokens-per-minute budget spaces calls out by their tokens, corrected by the reported usage', async () => {
    // Each answer reports 200 tokens; the estimate before the call is far lower (a short prompt + maxTokens 10),
    // so it is the correction after each call that holds the next one back: 60,000 per minute = 200 tokens per 200 ms.
    const server = await startServer({ responder: () => ({ text: 'ok', usage: { promptTokens: 100, completionTokens: 100 } }) });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), rateLimit: { tpm: 60_000 } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const startedAt = performance.now();
    const responses = await mapConcurrent(Array.from({ length: 4 }, (_, index) => index), 4, (index) =>
      provider.generate(ask(`t${index}`, { maxTokens: 10 })),
    );
    expect(responses.every((response) => response.usage.totalTokens === 200)).toBe(true);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(550);
    expect(chatRequests(server)).toBe(4);
  });
});

describe('time waiting for a slot is queueMs, apart from the call’s latency', () => {
  it('8 calls at once through a concurrency of 1: each latency is its own call, and 7 of them queued', async () => {
    const server = await startServer({ latencyMs: 25 });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), concurrency: { max: 1, adaptive: false } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const startedAt = performance.now();
    const responses = await Promise.all(Array.from({ length: 8 }, (_, index) => provider.generate(ask(`q${index}`))));
    const elapsedMs = performance.now() - startedAt;
    expect(server.stats.maxInFlight).toBe(1);
    // The calls ran one after another, so their latencies cannot add up to more than the whole
    // batch took; with the wait for the slot counted in, they would add up to about 4.5 times it.
    const latencies = responses.map((response) => response.latencyMs);
    expect(latencies.reduce((sum, latency) => sum + latency, 0)).toBeLessThanOrEqual(elapsedMs);
    const queued = responses.map((response) => response.queueMs ?? -1).sort((a, b) => a - b);
    expect(queued[0]).toBe(0);
    expect(queued.slice(1).every((queueMs) => queueMs > 0)).toBe(true);
    // The last call waited for the seven before it.
    expect(queued[7]).toBeGreaterThanOrEqual(latencies.sort((a, b) => a - b).slice(0, 7).reduce((sum, latency) => sum + latency, 0) * 0.9);
  });

  it('a wait for the requests-per-minute budget is queueMs too', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), rateLimit: { rpm: 600 } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const responses = await Promise.all(Array.from({ length: 3 }, (_, index) => provider.generate(ask(`r${index}`))));
    const queued = responses.map((response) => response.queueMs ?? -1).sort((a, b) => a - b);
    expect(queued[0]).toBe(0);
    // 600 per minute: one every 100 ms.
    expect(queued[2]).toBeGreaterThan(queued[1] as number);
    expect(queued[1]).toBeGreaterThan(0);
  });
});
