import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, type LanguageModelProvider } from '@llm-lab/core';
import { faults } from '@llm-lab/provider-testkit';
import {
  createProviderManager,
  createProviderManagerFromConfig,
  providerManagerConfigSchema,
  providerPolicySchema,
  type ManagerEventName,
  type ManagerEvents,
} from '../src/index.js';
import { ask, chatRequests, closeServers, collect, FAST_RETRY, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

describe('observers', () => {
  it('see request-start, attempt, retry, request-end and cache-hit, in order, with latency, usage and attempts', async () => {
    const server = await startServer();
    const seen: Array<[ManagerEventName, unknown]> = [];
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: FAST_RETRY }],
      observer: {
        'request-start': (event) => seen.push(['request-start', event]),
        attempt: (event) => seen.push(['attempt', event]),
        retry: (event) => seen.push(['retry', event]),
        'request-end': (event) => seen.push(['request-end', event]),
        'cache-hit': (event) => seen.push(['cache-hit', event]),
      },
    });
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 10 }));
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate(ask('observed'));
    await provider.generate(ask('observed'));
    expect(seen.map(([name]) => name)).toEqual(['request-start', 'attempt', 'retry', 'attempt', 'request-end', 'request-start', 'cache-hit', 'request-end']);
    expect(seen[2]?.[1]).toMatchObject({ attempt: 1, member: 'openai:gpt-4o-mini', error: { kind: 'rate-limit' } });
    expect(seen[4]?.[1]).toMatchObject({ providerId: 'openai:gpt-4o-mini', cached: false, attempts: 2, answeredBy: 'openai:gpt-4o-mini', usage: { totalTokens: expect.any(Number) } });
    expect((seen[4]?.[1] as { latencyMs: number }).latencyMs).toBeGreaterThanOrEqual(10);
    expect(seen[7]?.[1]).toMatchObject({ cached: true, attempts: 0 });
  });

  it('name each call: one request id from start to end, its source, provider, model, time to first token and tokens', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: false });
    const starts: Array<ManagerEvents['request-start']> = [];
    const ends: Array<ManagerEvents['request-end']> = [];
    manager.observe({ 'request-start': (event) => starts.push(event), 'request-end': (event) => ends.push(event) });
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate({ ...ask('from a run'), context: { runId: 'run-1', caseId: 'c1' } });
    await collect(provider.streamGenerate(ask('from a route'), { source: 'route:/v1/chat/completions' }));
    expect(starts.map((event) => event.source)).toEqual(['run:run-1', 'route:/v1/chat/completions']);
    expect(ends.map((event) => event.requestId)).toEqual(starts.map((event) => event.requestId));
    expect(new Set(ends.map((event) => event.requestId)).size).toBe(2);
    expect(ends[0]).toMatchObject({ source: 'run:run-1', providerId: 'openai:gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', stream: false, cached: false, attempts: 1 });
    expect(ends[0]).toMatchObject({ usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
    expect(ends[0]).not.toHaveProperty('errorKind');
    expect(ends[1]).toMatchObject({ stream: true, timeToFirstTokenMs: expect.any(Number) });
  });

  it('see the calls of every group added to one manager, and closing a group leaves the manager and other groups working', async () => {
    const server = await startServer();
    const manager = createProviderManager();
    const sources: Array<string | undefined> = [];
    manager.on('request-end', (event) => sources.push(event.source));
    const first = manager.add({ providers: [openaiAt(server)], cache: false });
    await first.get('openai:gpt-4o-mini').generate({ ...ask('one'), context: { runId: 'first' } });
    await first.close();
    const second = manager.add({ providers: [openaiAt(server)], cache: false });
    await second.get('openai:gpt-4o-mini').generate({ ...ask('two'), context: { runId: 'second' } });
    expect(sources).toEqual(['run:first', 'run:second']);
    expect(() => manager.get('openai:gpt-4o-mini')).toThrow(/created without providers/);
    await manager.close();
  });

  it('report failures in request-end; a listener that throws does not break the call; off() unsubscribes', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: { maxAttempts: 1 } }], cache: false });
    const ends: unknown[] = [];
    manager.on('request-start', () => {
      throw new Error('a broken observer');
    });
    const off = manager.on('request-end', (event) => ends.push(event));
    server.enqueueFault(faults.badRequest());
    await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('bad')));
    expect(ends).toEqual([
      expect.objectContaining({ cached: false, attempts: 1, errorKind: 'bad-request', error: expect.objectContaining({ kind: 'bad-request' }) }),
    ]);
    off();
    expect((await manager.get('openai:gpt-4o-mini').generate(ask('fine'))).text).toBe('fine');
    expect(ends).toHaveLength(1);
  });

  it('report only failures in request-failed: a successful call emits nothing, a failed one its request-end payload, once', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: { maxAttempts: 1 } }], cache: false });
    const failed: Array<ManagerEvents['request-failed']> = [];
    const everything: string[] = [];
    manager.on('request-failed', (event) => failed.push(event));
    // The all-events form does not get request-failed on top of request-end.
    manager.observe((event) => everything.push(event.type));
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate(ask('fine'));
    await collect(provider.streamGenerate(ask('fine too')));
    expect(failed).toEqual([]);
    server.enqueueFault(faults.badRequest());
    await providerErrorOf(() => provider.generate(ask('bad')));
    server.enqueueFault(faults.badRequest());
    await expect(collect(provider.streamGenerate(ask('bad stream'), { source: 'route:/v1/chat/completions' }))).rejects.toMatchObject({ kind: 'bad-request' });
    expect(failed).toEqual([
      expect.objectContaining({ stream: false, cached: false, attempts: 1, errorKind: 'bad-request', providerId: 'openai:gpt-4o-mini', model: 'gpt-4o-mini', requestId: expect.any(String) }),
      expect.objectContaining({ stream: true, attempts: 1, errorKind: 'bad-request', source: 'route:/v1/chat/completions' }),
    ]);
    expect(failed[0]?.error.kind).toBe('bad-request');
    expect(failed[0]?.latencyMs).toBeGreaterThan(0);
    expect(failed[0]?.requestId).not.toBe(failed[1]?.requestId);
    expect(everything.filter((type) => type === 'request-end')).toHaveLength(4);
    expect(everything).not.toContain('request-failed');
  });

  it('pair a failure with its request-start when both are subscribed', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: { maxAttempts: 1 } }], cache: false });
    const starts: string[] = [];
    const failures: string[] = [];
    manager.observe({ 'request-start': (event) => starts.push(event.requestId), 'request-failed': (event) => failures.push(event.requestId) });
    server.enqueueFault(faults.badRequest());
    await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('bad')));
    expect(failures).toEqual(starts);
    expect(failures).toHaveLength(1);
  });

  it('a stream that already delivered text is not retried when it breaks', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    server.enqueueFault(faults.truncateStream(3));
    const error = await providerErrorOf(() => collect(manager.get('openai:gpt-4o-mini').streamGenerate(ask('one two three four five six'))));
    expect(error.kind).toBe('network');
    expect(chatRequests(server)).toBe(1);
  });
});

describe('configuration', () => {
  it('fills in the documented defaults', () => {
    const policy = providerPolicySchema.parse({});
    expect(policy).toEqual({
      cache: { enabled: true },
      retry: { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 20_000, maxTotalMs: 120_000 },
      breaker: { enabled: true, failureThreshold: 5, failureRate: 0.5, windowMs: 60_000, minCalls: 20, cooldownMs: 30_000, halfOpenMaxCalls: 1 },
      rateLimit: { burstSeconds: 0 },
      concurrency: { max: 256, adaptive: true },
      fallbacks: [],
      strategy: 'round-robin',
    });
    // Partial blocks get the same defaults for their missing fields.
    expect(providerPolicySchema.parse({ retry: { maxAttempts: 2 } }).retry).toEqual({ maxAttempts: 2, baseDelayMs: 250, maxDelayMs: 20_000, maxTotalMs: 120_000 });
    expect(providerManagerConfigSchema.parse({})).toEqual({ cache: { kind: 'memory' }, singleFlight: true, providers: {} });
  });

  it('rejects unknown fields and bad values, naming them', () => {
    expect(providerPolicySchema.safeParse({ retry: { maxAttempt: 3 } }).success).toBe(false);
    expect(providerPolicySchema.safeParse({ breaker: { failureRate: 2 } }).success).toBe(false);
    expect(providerPolicySchema.safeParse({ strategy: 'random' }).success).toBe(false);
    // A fallback may be a label (any text); only an empty name is refused here.
    expect(providerPolicySchema.safeParse({ fallbacks: [''] }).success).toBe(false);
    expect(() => createProviderManager({ providers: [{ provider: {} as LanguageModelProvider, retry: { maxAttempts: 0 } }] })).toThrow(ConfigError);
  });

  it('rejects a fallback that is not a managed provider, and duplicate ids', async () => {
    const server = await startServer();
    expect(() => createProviderManager({ providers: [{ provider: openaiAt(server), fallbacks: ['openai:gpt-4o'] }] })).toThrow(
      /falls back to openai:gpt-4o, which is not a managed provider/,
    );
    expect(() => createProviderManager({ providers: [openaiAt(server), openaiAt(server)] })).toThrow(/two providers have the id openai:gpt-4o-mini/);
  });

  it('createProviderManagerFromConfig applies per-provider policies and makes members and fallbacks', async () => {
    const primary = await startServer({ faultRate: 1, fault: faults.serverError() });
    const backupA = await startServer();
    const backupB = await startServer();
    const made: string[] = [];
    const manager = createProviderManagerFromConfig(
      {
        cache: { kind: 'none' },
        providers: {
          'openai:gpt-4o-mini': { retry: { maxAttempts: 1 }, fallbacks: ['openai:gpt-4o'] },
          'openai:gpt-4o': { members: [{ id: 'openai:gpt-4o', label: 'east', config: { region: 'a' } }, { id: 'openai:gpt-4o', label: 'west' }] },
        },
      },
      {
        providers: new Map([['openai:gpt-4o-mini', openaiAt(primary)]]),
        createProvider: (reference) => {
          made.push(reference.label ?? reference.id);
          return openaiAt(reference.label === 'west' ? backupB : backupA, 'gpt-4o');
        },
      },
    );
    expect(manager.providers.map((provider) => provider.id)).toEqual(['openai:gpt-4o-mini', 'openai:gpt-4o']);
    expect(manager.get('openai:gpt-4o').members).toEqual(['east', 'west']);
    expect(made).toEqual(['east', 'west']);
    const responses = [await manager.get('openai:gpt-4o-mini').generate(ask('a')), await manager.get('openai:gpt-4o-mini').generate(ask('b'))];
    expect(responses.map((response) => response.answeredBy)).toEqual(['east', 'west']);
    expect(manager.cache).toBeUndefined();
  });
});
