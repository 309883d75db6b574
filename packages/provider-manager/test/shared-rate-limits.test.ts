import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import { createProviderManager, createRedisRateLimitStore, type RedisRateLimitStore, type SharedBudget, type SharedRateLimitStore } from '../src/index.js';
import { ask, chatRequests, closeServers, openaiAt, providerErrorOf, startServer } from './helpers.js';

// One requests-per-minute budget shared by every process through Redis. Each store below has its
// own connection, as a worker process would. Time is a fake clock given to the stores (moved by
// hand), so what is admitted is counted, never timed.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let prefixes = 0;
const prefix = () => `llm-lab-test:rate:${process.pid}:${Date.now().toString(36)}:${++prefixes}:`;

const stores: RedisRateLimitStore[] = [];
function storesOf(count: number, keyPrefix: string, now: () => number): RedisRateLimitStore[] {
  const made = Array.from({ length: count }, () => createRedisRateLimitStore({ url: REDIS_URL, keyPrefix, now }));
  stores.push(...made);
  return made;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});
afterAll(closeServers);

describe('a rate limit shared through Redis', () => {
  it('ten workers together admit exactly the budget, then one call per refilled token', async () => {
    let clock = 1_000_000;
    const workers = storesOf(10, prefix(), () => clock);
    // 60 a minute with 10 s of burst: 10 at once, then one a second.
    const rpm: SharedBudget[] = [{ name: 'rpm', perMinute: 60, burstSeconds: 10, amount: 1 }];
    const round = () => Promise.all(workers.flatMap((worker) => Array.from({ length: 5 }, () => worker.acquire('openai:gpt-4o-mini', rpm))));

    const first = await round();
    expect(first.filter((wait) => wait === 0)).toHaveLength(10);
    // Those refused are told when the next token comes: within a second.
    expect(first.filter((wait) => wait > 0).every((wait) => wait <= 1000)).toBe(true);

    clock += 1000;
    expect((await round()).filter((wait) => wait === 0)).toHaveLength(1);
    clock += 3500;
    expect((await round()).filter((wait) => wait === 0)).toHaveLength(3);
    // Another provider has a budget of its own.
    expect(await workers[0]?.acquire('anthropic:claude', rpm)).toBe(0);
  });

  it('a token budget takes estimates and gives back what a call did not use', async () => {
    const [one, two] = storesOf(2, prefix(), () => 5_000);
    const tpm = (amount: number): SharedBudget[] => [{ name: 'tpm', perMinute: 6000, burstSeconds: 10, amount }];
    // 1,000 tokens of burst: an estimate of 600 and one of 400 fit, the next does not.
    expect(await one?.acquire('m', tpm(600))).toBe(0);
    expect(await two?.acquire('m', tpm(400))).toBe(0);
    expect(await one?.acquire('m', tpm(300))).toBe(3000);
    // The first call used 300 of its 600: the 300 left go back to every worker.
    await two?.adjust('m', tpm(0)[0] as SharedBudget, 300);
    expect(await one?.acquire('m', tpm(300))).toBe(0);
  });

  it("one worker's 429 holds every worker back for the retry-after", async () => {
    let clock = 10_000;
    const [seen, other] = storesOf(2, prefix(), () => clock);
    const rpm: SharedBudget[] = [{ name: 'rpm', perMinute: 6000, burstSeconds: 1, amount: 1 }];
    expect(await other?.acquire('p', rpm)).toBe(0);
    await seen?.coolDown('p', 30_000);
    expect(await other?.acquire('p', rpm)).toBe(30_000);
    clock += 29_000;
    expect(await other?.acquire('p', rpm)).toBe(1000);
    // A shorter retry-after does not cut a longer cool-down short.
    await seen?.coolDown('p', 10);
    expect(await other?.acquire('p', rpm)).toBe(1000);
    clock += 1000;
    expect(await other?.acquire('p', rpm)).toBe(0);
  });
});

describe('managers sharing a rate-limit store', () => {
  it('two managers (two workers) send no more than the shared budget to the provider', async () => {
    const server = await startServer();
    const keyPrefix = prefix();
    // The clock stands still: the budget never refills, so what reaches the server is the burst.
    const [storeA, storeB] = storesOf(2, keyPrefix, () => 50_000);
    const policy = { rateLimit: { rpm: 60, burstSeconds: 5 }, retry: { maxAttempts: 1 }, cache: { enabled: false } };
    const managers = [storeA, storeB].map((store) =>
      createProviderManager({ providers: [{ provider: openaiAt(server, 'gpt-4o-mini', `openai`), ...policy }], cache: false, sharedRateLimits: store }).get(
        'openai:gpt-4o-mini',
      ),
    );
    const controller = new AbortController();
    const calls = Array.from({ length: 8 }, (_, i) => (managers[i % 2] as (typeof managers)[number]).generate(ask(`question ${i}`), { signal: controller.signal }));
    const settled: Array<'answered' | 'cancelled'> = [];
    for (const call of calls) call.then(() => settled.push('answered'), () => settled.push('cancelled'));
    // Five answered (the burst of 60 a minute over 5 s), split between the two managers as they asked.
    while (settled.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled.filter((outcome) => outcome === 'answered')).toHaveLength(5);
    // The other three wait for a token that never comes (the clock stands still) until cancelled.
    controller.abort();
    await Promise.allSettled(calls);
    expect(settled.filter((outcome) => outcome === 'answered')).toHaveLength(5);
    expect(settled.filter((outcome) => outcome === 'cancelled')).toHaveLength(3);
    expect(chatRequests(server)).toBe(5);
  });

  it("a 429 one manager receives holds the other manager's calls back", async () => {
    const server = await startServer();
    const [storeA, storeB] = storesOf(2, prefix(), () => 90_000) as [RedisRateLimitStore, RedisRateLimitStore];
    // B's store as B's manager uses it, with each answer it gives B recorded.
    const waitsOfB: number[] = [];
    const watchedB: SharedRateLimitStore = {
      acquire: async (key, budgets) => {
        const wait = await storeB.acquire(key, budgets);
        waitsOfB.push(wait);
        return wait;
      },
      adjust: (key, budget, amount) => storeB.adjust(key, budget, amount),
      coolDown: (key, ms) => storeB.coolDown(key, ms),
      close: () => storeB.close(),
    };
    const policy = { rateLimit: { rpm: 6000, burstSeconds: 1 }, retry: { maxAttempts: 1 }, cache: { enabled: false } };
    const [a, b] = [storeA, watchedB].map((store) =>
      createProviderManager({ providers: [{ provider: openaiAt(server), ...policy }], cache: false, sharedRateLimits: store }).get('openai:gpt-4o-mini'),
    );
    // B is served while the provider has said nothing.
    await b?.generate(ask('before'));
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 30 }));
    const refused = await providerErrorOf(() => (a as NonNullable<typeof a>).generate(ask('refused')));
    expect(refused.kind).toBe('rate-limit');
    // The cool-down is written (on A's connection) as the 429 is settled.
    while ((await storeB.acquire('openai:gpt-4o-mini', [])) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // B's next call is told to wait the 30 s A was asked to (the clock stands still), until cancelled.
    const controller = new AbortController();
    const held = b?.generate(ask('after'), { signal: controller.signal });
    while (waitsOfB.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(waitsOfB).toEqual([0, 30_000]);
    controller.abort();
    expect((await providerErrorOf(() => held as Promise<unknown>)).kind).toBe('cancelled');
    // The server saw B's first call and A's refused one, not B's held call.
    expect(chatRequests(server)).toBe(2);
  });
});
