import { afterEach, describe, expect, it } from '@jest/globals';
import { mapConcurrent } from '@llm-lab/core';
import { faults } from '@llm-lab/provider-testkit';
import { createProviderManager } from '../src/index.js';
import { ask, chatRequests, closeServers, FAST_RETRY, openaiAt, startServer } from './helpers.js';

afterEach(closeServers);

describe('single flight', () => {
  it('identical requests in flight at once are sent once; different ones are not merged', async () => {
    const server = await startServer({ latencyMs: 100 });
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const same = await Promise.all(Array.from({ length: 10 }, () => provider.generate(ask('same question'))));
    expect(same.every((response) => response.text === 'same question')).toBe(true);
    expect(chatRequests(server)).toBe(1);
    await Promise.all([provider.generate(ask('q', { context: { repeat: 0 } })), provider.generate(ask('q', { context: { repeat: 1 } }))]);
    expect(chatRequests(server)).toBe(3);
  });

  it('is off with singleFlight: false', async () => {
    const server = await startServer({ latencyMs: 50 });
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: false, singleFlight: false });
    await Promise.all(Array.from({ length: 4 }, () => manager.get('openai:gpt-4o-mini').generate(ask('same'))));
    expect(chatRequests(server)).toBe(4);
  });
});

describe('load balancing across members (deployments or keys) behind one id', () => {
  async function threeServers(latencies: number[]) {
    return Promise.all(latencies.map((latencyMs) => startServer({ latencyMs })));
  }

  it('round-robin spreads calls evenly', async () => {
    const servers = await threeServers([0, 0, 0]);
    const manager = createProviderManager({
      providers: [{ id: 'openai:gpt-4o-mini', members: servers.map((server, index) => ({ provider: openaiAt(server), name: `key-${index}` })), strategy: 'round-robin' }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    expect(provider.members).toEqual(['key-0', 'key-1', 'key-2']);
    const responses = await mapConcurrent(Array.from({ length: 30 }, (_, index) => index), 1, (index) => provider.generate(ask(`rr ${index}`)));
    expect(servers.map(chatRequests)).toEqual([10, 10, 10]);
    expect(new Set(responses.map((response) => response.answeredBy))).toEqual(new Set(['key-0', 'key-1', 'key-2']));
  });

  it('least-busy sends more calls to the member that frees up sooner', async () => {
    // Far apart, so a busy machine slowing every call cannot blur which member frees up sooner.
    const servers = await threeServers([5, 300, 300]);
    const manager = createProviderManager({
      providers: [{ id: 'openai:gpt-4o-mini', members: servers.map((server) => openaiAt(server)), strategy: 'least-busy' }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await mapConcurrent(Array.from({ length: 30 }, (_, index) => index), 3, (index) => provider.generate(ask(`lb ${index}`)));
    const [fast, slowA, slowB] = servers.map(chatRequests) as [number, number, number];
    expect(fast).toBeGreaterThan(slowA + slowB);
  });

  it('lowest-latency prefers the fastest member once measured', async () => {
    // Far apart, so a stall during a call to the fast member does not make it look slower than the others.
    const servers = await threeServers([400, 5, 400]);
    const manager = createProviderManager({
      providers: [{ id: 'openai:gpt-4o-mini', members: servers.map((server) => openaiAt(server)), strategy: 'lowest-latency' }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await mapConcurrent(Array.from({ length: 20 }, (_, index) => index), 1, (index) => provider.generate(ask(`ll ${index}`)));
    const counts = servers.map(chatRequests);
    expect(counts[1]).toBeGreaterThanOrEqual(17);
    expect(counts[0]).toBeGreaterThanOrEqual(1); // each member is measured once
  });

  it('takes a member out while its breaker is open; the others carry the load', async () => {
    const servers = await threeServers([0, 0, 0]);
    const down = await startServer({ faultRate: 1, fault: faults.serverError() });
    const manager = createProviderManager({
      providers: [
        {
          id: 'openai:gpt-4o-mini',
          members: [...servers, down].map((server, index) => ({ provider: openaiAt(server), name: `m${index}` })),
          breaker: { failureThreshold: 2, cooldownMs: 60_000 },
          retry: FAST_RETRY,
        },
      ],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    const responses = await mapConcurrent(Array.from({ length: 40 }, (_, index) => index), 2, (index) => provider.generate(ask(`m ${index}`)));
    expect(responses.every((response, index) => response.text === `m ${index}` && response.answeredBy !== 'm3')).toBe(true);
    expect(chatRequests(down)).toBe(2);
    expect(manager.breakers().find((breaker) => breaker.name === 'm3')?.state).toBe('open');
  });
});
