import { afterEach, describe, expect, it } from '@jest/globals';
import { mapConcurrent } from '@llm-lab/core';
import { faults } from '@llm-lab/provider-testkit';
import { createProviderManager, retryDelayMs, type ManagerEvents } from '../src/index.js';
import { ask, chatRequests, closeServers, FAST_RETRY, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

describe('retries through the real OpenAI SDK against the fake server', () => {
  it.each([
    ['429 with retry-after-ms', faults.rateLimited({ retryAfterMs: 15 })],
    ['429 with retry-after (seconds: 0)', faults.rateLimited({ retryAfterSeconds: 0 })],
    ['500', faults.serverError()],
    ['503', faults.unavailable()],
  ])('30%% of calls failing with %s: every case still gets an answer', async (_name, fault) => {
    const server = await startServer({ faultRate: 0.3, fault, seed: 42 });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: FAST_RETRY, breaker: { enabled: false } }],
      cache: false,
    });
    const retries: Array<ManagerEvents['retry']> = [];
    manager.on('retry', (event) => retries.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    const results = await mapConcurrent(
      Array.from({ length: 60 }, (_, index) => index),
      16,
      async (index) => provider.generate(ask(`case ${index}`)).then((response) => ({ index, response })),
    );
    for (const { index, response } of results) {
      expect(response.text).toBe(`case ${index}`);
      expect(response.cached).toBe(false);
      expect(response.answeredBy).toBe('openai:gpt-4o-mini');
    }
    const totalAttempts = results.reduce((sum, { response }) => sum + (response.attempts ?? 0), 0);
    expect(totalAttempts).toBe(chatRequests(server));
    expect(retries.length).toBe(totalAttempts - 60);
    expect(retries.length).toBeGreaterThan(5);
    expect(results.some(({ response }) => (response.attempts ?? 0) > 1)).toBe(true);
    for (const retry of retries) {
      expect(['rate-limit', 'server']).toContain(retry.error.kind);
      expect(retry.delayMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('does not retry errors that cannot be fixed by retrying (bad request, auth, content filter)', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    for (const fault of [faults.badRequest('temperature'), faults.unauthorized(), faults.contentFilter()]) {
      server.reset();
      server.enqueueFault(fault);
      const error = await providerErrorOf(() => provider.generate(ask('no retry')));
      expect(error.isRetryable).toBe(false);
      expect(chatRequests(server)).toBe(1);
    }
  });

  it('gives up after maxAttempts and says how many attempts it made', async () => {
    const server = await startServer({ faultRate: 1, fault: faults.serverError() });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxAttempts: 3 }, breaker: { enabled: false } }],
      cache: false,
    });
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('always 500')));
    expect(error.kind).toBe('server');
    expect(error.statusCode).toBe(500);
    expect(error.message).toMatch(/gave up after 3 attempts/);
    expect(error.attempts).toBe(3);
    expect(chatRequests(server)).toBe(3);
  });

  it('stops retrying when the next wait would pass maxTotalMs (a long retry-after is not slept through)', async () => {
    const server = await startServer({ faultRate: 1, fault: faults.rateLimited({ retryAfterSeconds: 30 }) });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxTotalMs: 2000 } }],
      cache: false,
    });
    const retries: Array<ManagerEvents['retry']> = [];
    const controller = new AbortController();
    // Were a retry scheduled, the call would be cancelled at once rather than sleep for 30 s.
    manager.on('retry', (event) => {
      retries.push(event);
      controller.abort();
    });
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('told to wait 30 s'), { signal: controller.signal }));
    expect(error.kind).toBe('rate-limit');
    expect(error.retryAfterMs).toBe(30_000);
    expect(retries).toEqual([]);
    expect(chatRequests(server)).toBe(1);
  });

  it('honours retry-after: the retry waits at least as long as the server asked', async () => {
    const server = await startServer();
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 300 }));
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    const response = await manager.get('openai:gpt-4o-mini').generate(ask('wait for me'));
    expect(response.attempts).toBe(2);
    const [first, second] = server.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(295);
  });

  it('cancels the wait between attempts when the caller aborts', async () => {
    const server = await startServer({ faultRate: 1, fault: faults.rateLimited({ retryAfterMs: 5000 }) });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    const controller = new AbortController();
    // Abort once the manager has started waiting the 5 s the server asked for (a fixed delay could
    // fire before the first answer arrives on a busy machine).
    manager.on('retry', () => setImmediate(() => controller.abort()));
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('abort me'), { signal: controller.signal }));
    expect(error.kind).toBe('cancelled');
    expect(error.message).toBe('openai:gpt-4o-mini: the call was cancelled while waiting to retry openai:gpt-4o-mini.');
    expect(chatRequests(server)).toBe(1);
  });
});

describe('retryDelayMs', () => {
  const settings = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxTotalMs: 60_000 };
  const error = (retryAfterMs?: number) => ({ retryAfterMs }) as Parameters<typeof retryDelayMs>[2];

  it('draws full jitter from [0, min(maxDelayMs, base × 2^(attempt-1)))', () => {
    expect(retryDelayMs(settings, 1, error(), () => 0.999)).toBeCloseTo(99.9);
    expect(retryDelayMs(settings, 3, error(), () => 0.5)).toBe(200);
    expect(retryDelayMs(settings, 10, error(), () => 0.5)).toBe(500);
    expect(retryDelayMs(settings, 2, error(), () => 0)).toBe(0);
  });

  it('waits at least retry-after, even beyond maxDelayMs, with a little jitter', () => {
    expect(retryDelayMs(settings, 1, error(5000), () => 0)).toBe(5000);
    const delay = retryDelayMs(settings, 1, error(5000), () => 0.999);
    expect(delay).toBeGreaterThan(5000);
    expect(delay).toBeLessThanOrEqual(5100);
  });
});
