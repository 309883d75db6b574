import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import { CircuitBreaker, createProviderManager, type ManagerEvents } from '../src/index.js';
import { ask, chatRequests, closeServers, FAST_RETRY, freezeDate, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));


describe('circuit breaker and fallbacks through the real OpenAI SDK', () => {
  it('a provider that is down: the breaker opens, calls go to the fallback, and responses say so', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.unavailable() });
    const backup = await startServer();
    const primary = openaiAt(down, 'gpt-4o-mini');
    const fallback = openaiAt(backup, 'gpt-4o');
    const manager = createProviderManager({
      providers: [
        {
          provider: primary,
          retry: { ...FAST_RETRY, maxAttempts: 2 },
          breaker: { failureThreshold: 3, cooldownMs: 60_000 },
          fallbacks: ['openai:gpt-4o'],
        },
        fallback,
      ],
      cache: false,
    });
    const changes: Array<ManagerEvents['breaker-state-change']> = [];
    const fallbacks: Array<ManagerEvents['fallback']> = [];
    manager.on('breaker-state-change', (event) => changes.push(event));
    manager.on('fallback', (event) => fallbacks.push(event));
    const provider = manager.get('openai:gpt-4o-mini');

    const responses = [];
    for (let index = 0; index < 6; index++) responses.push(await provider.generate(ask(`case ${index}`)));
    for (const [index, response] of responses.entries()) {
      expect(response.text).toBe(`case ${index}`);
      expect(response.answeredBy).toBe('openai:gpt-4o');
      expect(response.providerId).toBe('openai:gpt-4o');
    }
    // 2 attempts for case 0, 1 more for case 1 opens the breaker (3 consecutive failures); after that, none.
    expect(chatRequests(down)).toBe(3);
    expect(chatRequests(backup)).toBe(6);
    // attempts count the calls to the primary and to the fallback.
    expect(responses.map((response) => response.attempts)).toEqual([3, 2, 1, 1, 1, 1]);
    expect(changes).toEqual([expect.objectContaining({ member: 'openai:gpt-4o-mini', from: 'closed', to: 'open' })]);
    expect(fallbacks).toHaveLength(6);
    expect(fallbacks[5]?.error.vendorCode).toBe('circuit_open');
    expect(fallbacks[5]?.error.message).toMatch(/circuit open for openai:gpt-4o-mini after 3 consecutive failures; retrying in \d+ s/);
    expect(manager.breakers().find((breaker) => breaker.name === 'openai:gpt-4o-mini')?.state).toBe('open');
  });

  it('a failure after the fallbacks too carries the attempts of the whole chain', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.serverError() });
    const alsoDown = await startServer({ faultRate: 1, fault: faults.unavailable() });
    const manager = createProviderManager({
      providers: [
        { provider: openaiAt(down), retry: { ...FAST_RETRY, maxAttempts: 3 }, breaker: { enabled: false }, fallbacks: ['openai:gpt-4o'] },
        { provider: openaiAt(alsoDown, 'gpt-4o'), retry: { ...FAST_RETRY, maxAttempts: 2 }, breaker: { enabled: false } },
      ],
      cache: false,
    });
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('nobody answers')));
    expect(error.statusCode).toBe(503);
    expect(error.attempts).toBe(5);
    expect(chatRequests(down) + chatRequests(alsoDown)).toBe(5);
  });

  it('without a fallback, an open breaker fails fast with a clear error', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.serverError() });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(down), retry: { ...FAST_RETRY, maxAttempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 28_000 } }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    // The wall clock stands still (timers and I/O stay real), so the cooldown left is exact however slow the calls are.
    freezeDate();
    try {
      await providerErrorOf(() => provider.generate(ask('one')));
      await providerErrorOf(() => provider.generate(ask('two')));
      // The 28 s cooldown does not fit in the 20 s retry budget: no wait (the test's timeout would catch one).
      const error = await providerErrorOf(() => provider.generate(ask('three')));
      expect(error.message).toMatch(/^circuit open for openai:gpt-4o-mini after 2 consecutive failures; retrying in 28 s/);
      expect(error.attempts).toBe(0);
      expect(error.isRetryable).toBe(false);
      // Failing fast: the third call never reached the server.
      expect(chatRequests(down)).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('half-opens after the cooldown, lets one probe through, and closes when it succeeds', async () => {
    const server = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxAttempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 300 } }],
      cache: false,
    });
    const states: string[] = [];
    manager.on('breaker-state-change', (event) => states.push(event.to));
    const provider = manager.get('openai:gpt-4o-mini');
    server.enqueueFault(faults.serverError());
    server.enqueueFault(faults.serverError());
    await providerErrorOf(() => provider.generate(ask('a')));
    await providerErrorOf(() => provider.generate(ask('b')));
    expect(states).toEqual(['open']);
    await sleep(350);
    // The probe fails: open again.
    server.enqueueFault(faults.serverError());
    await providerErrorOf(() => provider.generate(ask('probe 1')));
    expect(states).toEqual(['open', 'half-open', 'open']);
    await sleep(350);
    const response = await provider.generate(ask('probe 2'));
    expect(response.text).toBe('probe 2');
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect((await provider.generate(ask('normal again'))).text).toBe('normal again');
  });

  it('bad requests and rate limits do not count against the provider’s health', async () => {
    const server = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxAttempts: 1 }, breaker: { failureThreshold: 2 } }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    for (const fault of [faults.badRequest(), faults.contentFilter(), faults.rateLimited(), faults.rateLimited(), faults.unauthorized()]) {
      server.enqueueFault(fault);
      await providerErrorOf(() => provider.generate(ask('not a health failure')));
    }
    expect(manager.breakers()[0]?.state).toBe('closed');
  });

  it('does not fall back on a bad request (the fallback would get the same bad request)', async () => {
    const primaryServer = await startServer();
    const backup = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(primaryServer), fallbacks: ['openai:gpt-4o'] }, openaiAt(backup, 'gpt-4o')],
      cache: false,
    });
    primaryServer.enqueueFault(faults.badRequest('messages'));
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('bad')));
    expect(error.kind).toBe('bad-request');
    expect(chatRequests(backup)).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  const settings = { enabled: true, failureThreshold: 100, failureRate: 0.5, windowMs: 1000, minCalls: 10, cooldownMs: 500, halfOpenMaxCalls: 2 };

  it('opens on a failure rate over the sliding window once minCalls is reached', () => {
    const breaker = new CircuitBreaker('p:m', settings);
    const now = 1_000_000;
    for (let index = 0; index < 4; index++) breaker.recordFailure('call', now);
    for (let index = 0; index < 5; index++) breaker.recordSuccess('call', now);
    expect(breaker.state).toBe('closed'); // 4 of 9: under minCalls
    breaker.recordFailure('call', now); // 5 of 10 = 50%
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot(now).reason).toBe('5 of 10 calls failed in the last 1 s');
  });

  it('forgets failures that slid out of the window', () => {
    const breaker = new CircuitBreaker('p:m', settings);
    for (let index = 0; index < 9; index++) breaker.recordFailure('call', 1_000_000);
    for (let index = 0; index < 10; index++) breaker.recordSuccess('call', 1_002_000);
    breaker.recordFailure('call', 1_002_000);
    expect(breaker.state).toBe('closed');
  });

  it('limits half-open probes to halfOpenMaxCalls', () => {
    const breaker = new CircuitBreaker('p:m', { ...settings, failureThreshold: 1 });
    breaker.recordFailure('call', 1_000_000);
    expect(breaker.acquire(1_000_100)).toBeUndefined();
    expect(breaker.acquire(1_000_600)).toBe('probe');
    expect(breaker.acquire(1_000_600)).toBe('probe');
    expect(breaker.acquire(1_000_600)).toBeUndefined();
    breaker.recordSuccess('probe', 1_000_700);
    expect(breaker.state).toBe('closed');
  });
});
