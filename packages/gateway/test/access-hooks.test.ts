/**
 * Virtual keys and per-key limits through the hooks the server calls, on both storage backends
 * and both limiters (this process; Redis shared by two gateway instances). Clocks are fake:
 * windows and TTLs are asserted by counts, never by waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Storage } from '@llm-lab/storage';
import { createAccessHooks, generateVirtualKey, type AccessHooks, type AccessHooksOptions } from '../src/index.js';
import type { AuthenticateResult, TrafficRecord } from '../src/hooks.js';
import { backends, fakeClock, REDIS_URL, redisPrefix, STORAGE_TIMEOUT_MS } from './storage-helpers.js';

let counter = 0;
async function newKey(storage: Storage, limits: { budgetUsd?: number; rpm?: number; models?: string[] } = {}) {
  counter += 1;
  const made = generateVirtualKey();
  const record = await storage.createKey({ name: `app-${counter}-${made.prefix}`, keyHash: made.hash, prefix: made.prefix, ...limits });
  return { ...record, key: made.key, bearer: `Bearer ${made.key}` };
}

function call(keyId: string, overrides: Partial<TrafficRecord> = {}): TrafficRecord {
  return { time: Date.now(), keyId, endpoint: 'chat.completions', route: 'fast', provider: 'openai:gpt-4o-mini', status: 200, latencyMs: 20, overheadMs: 0.2, cacheHit: false, stream: false, ...overrides };
}

const statuses = (results: AuthenticateResult[]) => results.map((result) => (result.ok ? 200 : result.status));

for (const backend of backends()) {
  describe(`access hooks on ${backend.name}`, () => {
    let storage: Storage;
    const opened: AccessHooks[] = [];
    const hooks = (options: Partial<AccessHooksOptions> = {}) => {
      const made = createAccessHooks({ storage, spendFlushMs: 0, keyMissRefreshMs: 0, traffic: { flushMs: 0 }, log: () => undefined, ...options });
      opened.push(made);
      return made;
    };

    beforeAll(async () => {
      storage = await backend.open();
    }, STORAGE_TIMEOUT_MS);
    afterAll(async () => {
      await Promise.all(opened.map((made) => made.close()));
      await storage?.close();
      await backend.cleanup();
    }, STORAGE_TIMEOUT_MS);

    describe('keys', () => {
      it('answers 401 to a missing, malformed, unknown or revoked key and 403 to a model the key may not use, in words', async () => {
        const gateway = hooks();
        const key = await newKey(storage, { models: ['fast'] });
        const revoked = await newKey(storage);
        await storage.revokeKey(revoked.id);

        expect(await gateway.authenticate({ model: 'fast', endpoint: 'chat.completions' })).toMatchObject({
          ok: false,
          status: 401,
          code: 'invalid_api_key',
          message: expect.stringContaining("didn't provide an API key"),
        });
        expect(await gateway.authenticate({ authorization: 'Basic abc', model: 'fast', endpoint: 'chat.completions' })).toMatchObject({ status: 401, message: expect.stringContaining("'Bearer <key>'") });
        const malformed = await gateway.authenticate({ authorization: 'Bearer sk-proj-1234567890abcdef', model: 'fast', endpoint: 'chat.completions' });
        expect(malformed).toMatchObject({ status: 401, message: expect.stringContaining('start with llk_') });
        // The key itself is never echoed whole.
        expect(JSON.stringify(malformed)).not.toContain('1234567890abcdef');
        const unknown = generateVirtualKey().key;
        expect(await gateway.authenticate({ authorization: `Bearer ${unknown}`, model: 'fast', endpoint: 'chat.completions' })).toMatchObject({
          status: 401,
          message: expect.stringContaining('not a key of this gateway'),
        });
        expect(await gateway.authenticate({ authorization: revoked.bearer, model: 'fast', endpoint: 'chat.completions' })).toMatchObject({
          status: 401,
          message: expect.stringContaining('was revoked'),
        });
        expect(await gateway.authenticate({ authorization: key.bearer, model: 'smart', endpoint: 'chat.completions' })).toEqual({
          ok: false,
          status: 403,
          code: 'model_not_allowed',
          message: `The key "${key.name}" may not use model "smart"; it may use: fast.`,
          keyId: key.id,
          keyName: key.name,
        });
        expect(await gateway.authenticate({ authorization: key.bearer, model: 'fast', endpoint: 'chat.completions' })).toEqual({ ok: true, keyId: key.id, keyName: key.name });
      });

      it('reads keys from memory: 200 calls cost one read, and a revocation is seen once the TTL has passed', async () => {
        const clock = fakeClock();
        const gateway = hooks({ now: clock.now, keyTtlMs: 5_000 });
        const key = await newKey(storage);
        const request = { authorization: key.bearer, model: 'fast', endpoint: 'chat.completions' as const };
        for (let index = 0; index < 200; index += 1) expect((await gateway.authenticate(request)).ok).toBe(true);
        expect(gateway.stats().keyReads).toBe(1);

        await storage.revokeKey(key.id);
        clock.advance(4_999);
        expect((await gateway.authenticate(request)).ok).toBe(true);
        expect(gateway.stats().keyReads).toBe(1);
        clock.advance(1);
        expect(await gateway.authenticate(request)).toMatchObject({ ok: false, status: 401 });
        expect(gateway.stats().keyReads).toBe(2);
      });

      it('serves from the last read while a fresh read hangs, and picks up the read when it lands', async () => {
        const clock = fakeClock();
        const gate: { hang?: Promise<void> } = {};
        let release!: () => void;
        const slow = {
          ...storage,
          listKeys: async (options?: { includeRevoked?: boolean }) => {
            await gate.hang;
            return storage.listKeys(options);
          },
          addKeySpend: (spend: Parameters<Storage['addKeySpend']>[0]) => storage.addKeySpend(spend),
          insertRequests: (requests: Parameters<Storage['insertRequests']>[0]) => storage.insertRequests(requests),
        };
        const gateway = hooks({ storage: slow, now: clock.now, keyTtlMs: 5_000, keyStaleWaitMs: 20 });
        const key = await newKey(storage);
        const request = { authorization: key.bearer, model: 'fast', endpoint: 'chat.completions' as const };
        expect((await gateway.authenticate(request)).ok).toBe(true);
        gate.hang = new Promise((resolve) => (release = resolve));
        await storage.revokeKey(key.id);
        clock.advance(5_000);
        // The read hangs: the call is answered from the last one instead of waiting on storage.
        expect((await gateway.authenticate(request)).ok).toBe(true);
        release();
        // The read in flight lands (this call waits for it, or finds it done): the revocation is seen.
        expect(await gateway.authenticate(request)).toMatchObject({ status: 401 });
      });

      it("with requireKeys 'once-made': open while no key exists, required from a key's first call on, and revoking the last key does not open it", async () => {
        const clock = fakeClock();
        // The key table as a gateway of its own sees it: only this test's keys (the others' share the database).
        const tag = `once-${generateVirtualKey().prefix}-`;
        const view = {
          listKeys: async (options?: { includeRevoked?: boolean }) => (await storage.listKeys(options)).filter((key) => key.name.startsWith(tag)),
          addKeySpend: (spend: Parameters<Storage['addKeySpend']>[0]) => storage.addKeySpend(spend),
          insertRequests: (requests: Parameters<Storage['insertRequests']>[0]) => storage.insertRequests(requests),
        };
        const gateway = hooks({ storage: view, requireKeys: 'once-made', now: clock.now, keyTtlMs: 5_000, keyMissRefreshMs: 1_000 });
        const ask = (authorization?: string) => gateway.authenticate({ ...(authorization ? { authorization } : {}), model: 'fast', endpoint: 'chat.completions' });
        expect(await gateway.keyStatus()).toEqual({ required: false, live: 0, revoked: 0 });
        expect(await ask()).toEqual({ ok: true });
        expect(await ask('Bearer unused')).toEqual({ ok: true });
        expect(await ask(`Bearer ${generateVirtualKey().key}`)).toEqual({ ok: true });
        // The default stays strict: no key, no call.
        expect(await hooks({ storage: view, now: clock.now }).authenticate({ model: 'fast', endpoint: 'chat.completions' })).toMatchObject({ ok: false, status: 401 });

        // A key made now (no time has passed: the table is not due for a read) is checked from its first call.
        const made = generateVirtualKey();
        const key = await storage.createKey({ name: `${tag}app`, keyHash: made.hash, prefix: made.prefix, models: ['fast'] });
        expect(await ask(`Bearer ${made.key}`)).toEqual({ ok: true, keyId: key.id, keyName: key.name });
        expect(await gateway.authenticate({ authorization: `Bearer ${made.key}`, model: 'smart', endpoint: 'chat.completions' })).toMatchObject({ status: 403 });
        expect(await ask()).toMatchObject({ ok: false, status: 401 });
        expect(await ask('Bearer unused')).toMatchObject({ ok: false, status: 401 });
        expect(await gateway.keyStatus()).toEqual({ required: true, live: 1, revoked: 0 });

        await storage.revokeKey(key.id);
        clock.advance(5_000);
        expect(await ask(`Bearer ${made.key}`)).toMatchObject({ ok: false, status: 401, message: expect.stringContaining('was revoked') });
        expect(await ask()).toMatchObject({ ok: false, status: 401 });
        expect(await gateway.keyStatus()).toEqual({ required: true, live: 0, revoked: 1 });
      });

      it('finds a key made after the last read at once, while unknown keys cost at most one read per second', async () => {
        const clock = fakeClock();
        const gateway = hooks({ now: clock.now, keyTtlMs: 60_000, keyMissRefreshMs: 1_000 });
        const first = await newKey(storage);
        expect((await gateway.authenticate({ authorization: first.bearer, model: 'fast', endpoint: 'chat.completions' })).ok).toBe(true);
        clock.advance(1_000);
        const made = await newKey(storage);
        expect((await gateway.authenticate({ authorization: made.bearer, model: 'fast', endpoint: 'chat.completions' })).ok).toBe(true);
        const reads = gateway.stats().keyReads;
        const flood = await Promise.all(
          Array.from({ length: 100 }, () => gateway.authenticate({ authorization: `Bearer ${generateVirtualKey().key}`, model: 'fast', endpoint: 'chat.completions' })),
        );
        expect(new Set(statuses(flood))).toEqual(new Set([401]));
        expect(gateway.stats().keyReads - reads).toBeLessThanOrEqual(1);
      });
    });

    for (const mode of ['memory', 'redis'] as const) {
      describe(`limits (${mode})`, () => {
        /** Two gateway processes' hooks sharing storage (and Redis in redis mode). */
        const pair = (options: Partial<AccessHooksOptions> = {}) => {
          const shared = mode === 'redis' ? { redis: REDIS_URL, redisPrefix: redisPrefix(`pair-${backend.name}`) } : {};
          return [hooks({ ...shared, ...options }), hooks({ ...shared, ...options })] as const;
        };
        const ask = (gateway: AccessHooks, bearer: string) => gateway.authenticate({ authorization: bearer, model: 'fast', endpoint: 'chat.completions' });

        it('admits exactly rpm calls of 50 concurrent ones across two gateways (#26672, #23714), and the window slides', async () => {
          const clock = fakeClock();
          const [a, b] = mode === 'redis' ? pair({ now: clock.now }) : [hooks({ now: clock.now })];
          const gateways = b ? [a, b] : [a];
          const key = await newKey(storage, { rpm: 10 });
          const results = await Promise.all(Array.from({ length: 50 }, (_, index) => ask(gateways[index % gateways.length] as AccessHooks, key.bearer)));
          expect(statuses(results).filter((status) => status === 200)).toHaveLength(10);
          expect(statuses(results).filter((status) => status === 429)).toHaveLength(40);
          expect(results.find((result) => !result.ok)).toMatchObject({
            code: 'rate_limit_exceeded',
            retryAfterSeconds: 60,
            message: `Rate limit reached for key "${key.name}": 10 requests per minute. Try again in 60 s.`,
          });
          clock.advance(59_999);
          expect((await ask(a, key.bearer)).ok).toBe(false);
          clock.advance(1);
          const next = await Promise.all(Array.from({ length: 20 }, () => ask(a, key.bearer)));
          expect(statuses(next).filter((status) => status === 200)).toHaveLength(10);
          // Another key's window is its own.
          const other = await newKey(storage, { rpm: 1 });
          expect((await ask(a, other.bearer)).ok).toBe(true);
        });

        it('reserves budget atomically: 50 concurrent calls reserving $0.10 of a $1 budget admit exactly 10, settled costs free the rest', async () => {
          const [a, b] = pair({ reserveUsd: 0.1 });
          const key = await newKey(storage, { budgetUsd: 1 });
          const gateways = mode === 'redis' ? [a, b] : [a];
          const results = await Promise.all(Array.from({ length: 50 }, (_, index) => ask(gateways[index % gateways.length] as AccessHooks, key.bearer)));
          expect(statuses(results).filter((status) => status === 200)).toHaveLength(10);
          expect(results.find((result) => !result.ok)).toMatchObject({ status: 429, code: 'budget_exceeded', message: expect.stringContaining('calls in flight') });
          // Each admitted call cost $0.05: $0.50 spent, so 5 more reservations fit.
          results.forEach((result, index) => {
            if (result.ok) (gateways[index % gateways.length] as AccessHooks).onCallEnd(call(key.id, { costUsd: 0.05 }));
          });
          const more = await Promise.all(Array.from({ length: 20 }, () => ask(a, key.bearer)));
          expect(statuses(more).filter((status) => status === 200)).toHaveLength(5);
        });

        it('lets a call that crosses the budget finish and refuses the next with 429 saying what was spent', async () => {
          const [gateway] = pair();
          const key = await newKey(storage, { budgetUsd: 0.5 });
          expect((await ask(gateway, key.bearer)).ok).toBe(true);
          expect((await ask(gateway, key.bearer)).ok).toBe(true);
          // The first call's stream ends after costing more than the budget; the second is still streaming.
          gateway.onCallEnd(call(key.id, { costUsd: 0.75, stream: true }));
          expect(await ask(gateway, key.bearer)).toEqual({
            ok: false,
            status: 429,
            code: 'budget_exceeded',
            message: `Budget exceeded for key "${key.name}": it has spent $0.75 of its $0.50 budget. Ask for a key with a larger budget.`,
            keyId: key.id,
            keyName: key.name,
          });
          // The call in flight is not cut: its end is recorded and charged as any other.
          gateway.onCallEnd(call(key.id, { costUsd: 0.25, stream: true }));
          await gateway.flush();
          expect((await storage.listKeys()).find((stored) => stored.id === key.id)?.spendUsd).toBeCloseTo(1, 9);
        });

        it("sees another gateway's spend (#27735): at once through Redis, after one key TTL through storage", async () => {
          const clock = fakeClock();
          const [a, b] = pair({ now: clock.now, keyTtlMs: 5_000 });
          const key = await newKey(storage, { budgetUsd: 1 });
          expect((await ask(a, key.bearer)).ok).toBe(true);
          expect((await ask(b, key.bearer)).ok).toBe(true);
          a.onCallEnd(call(key.id, { costUsd: 1 }));
          await a.flush();
          expect(await ask(a, key.bearer)).toMatchObject({ status: 429, code: 'budget_exceeded' });
          if (mode === 'redis') {
            expect(await ask(b, key.bearer)).toMatchObject({ status: 429, code: 'budget_exceeded' });
          } else {
            clock.advance(5_000);
            expect(await ask(b, key.bearer)).toMatchObject({ status: 429, message: expect.stringContaining('spent $1.00 of its $1.00') });
          }
          // b's own call ends: both gateways' spend reaches storage, none counted twice.
          b.onCallEnd(call(key.id, { costUsd: 0.5 }));
          await b.flush();
          clock.advance(5_000);
          expect(await ask(a, key.bearer)).toMatchObject({ message: expect.stringContaining('spent $1.50 of its $1.00') });
          expect((await storage.listKeys()).find((stored) => stored.id === key.id)?.spendUsd).toBeCloseTo(1.5, 9);
        });

        it('never refuses a key under its budget or without one (#22726), with sums exact to the nano-dollar', async () => {
          const [gateway] = pair({ reserveUsd: 0.1 });
          const budgeted = await newKey(storage, { budgetUsd: 0.3 });
          const unlimited = await newKey(storage);
          const spender = await newKey(storage, { budgetUsd: 0.2 });
          // Another key over its budget changes nothing for these.
          expect((await ask(gateway, spender.bearer)).ok).toBe(true);
          gateway.onCallEnd(call(spender.id, { costUsd: 5 }));
          for (let index = 0; index < 3; index += 1) {
            // 0.1 + 0.1 + reservation 0.1 = 0.3 exactly: within the budget, where floating point says 0.30000000000000004.
            expect(await ask(gateway, budgeted.bearer)).toMatchObject({ ok: true });
            gateway.onCallEnd(call(budgeted.id, { costUsd: 0.1 }));
          }
          expect(await ask(gateway, budgeted.bearer)).toMatchObject({ status: 429, code: 'budget_exceeded' });
          for (let index = 0; index < 100; index += 1) {
            expect(await ask(gateway, unlimited.bearer)).toMatchObject({ ok: true });
            gateway.onCallEnd(call(unlimited.id, { costUsd: 1_000 }));
          }
          // A refusal recorded by the server releases nothing and costs nothing.
          gateway.onCallEnd(call(budgeted.id, { status: 429, errorClass: 'limited', costUsd: 7 }));
          await gateway.flush();
          const stored = await storage.listKeys();
          expect(stored.find((key) => key.id === budgeted.id)?.spendUsd).toBeCloseTo(0.3, 9);
          expect(stored.find((key) => key.id === unlimited.id)?.spendUsd).toBe(100_000);
        });
      });
    }
  });
}
