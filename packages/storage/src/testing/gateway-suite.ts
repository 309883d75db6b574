/**
 * The gateway's part of the storage suite: virtual keys (create, list, revoke, spend) and the
 * traffic summary, the same on every backend.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { NewGatewayKey, NewRequest, Storage } from '../types.js';

let keyCounter = 0;
/** A key to store, with a fresh name and hash; `overrides` change any field. */
export function sampleKey(overrides: Partial<NewGatewayKey> = {}): NewGatewayKey {
  keyCounter += 1;
  const secret = randomBytes(24).toString('base64url');
  return {
    name: `app-${process.pid}-${keyCounter}-${Math.random().toString(36).slice(2, 8)}`,
    keyHash: createHash('sha256').update(secret).digest('hex'),
    prefix: `llk_${secret.slice(0, 6)}`,
    ...overrides,
  };
}

function request(source: string, overrides: Partial<NewRequest>): NewRequest {
  keyCounter += 1;
  return {
    requestId: `gw-${process.pid}-${keyCounter}-${Math.random().toString(36).slice(2, 8)}`,
    source,
    route: 'fast',
    provider: 'openai:gpt-4o-mini',
    latencyMs: 100,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.001,
    status: 'ok',
    httpStatus: 200,
    ...overrides,
  };
}

export function describeGatewaySuite(storageOf: () => Storage): void {
  describe('gateway keys', () => {
    it('stores a key with its limits, lists it, and refuses a second live key of the same name', async () => {
      const storage = storageOf();
      const stored = await storage.createKey(sampleKey({ name: 'alpha-' + keyCounter, budgetUsd: 50, rpm: 600, models: ['fast', 'smart'] }));
      expect(stored).toEqual({
        id: expect.stringMatching(/^key_[a-z0-9]{12}$/),
        name: expect.stringMatching(/^alpha-/),
        keyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prefix: expect.stringMatching(/^llk_/),
        createdAt: expect.any(Date),
        revokedAt: null,
        budgetUsd: 50,
        rpm: 600,
        models: ['fast', 'smart'],
        spendUsd: 0,
      });
      expect((await storage.listKeys()).find((key) => key.id === stored.id)).toEqual(stored);
      await expect(storage.createKey(sampleKey({ name: stored.name }))).rejects.toMatchObject({
        code: 'key_exists',
        message: expect.stringContaining(`llm-lab gateway keys revoke ${stored.name}`),
      });
      const unlimited = await storage.createKey(sampleKey({ models: [] }));
      expect(unlimited).toMatchObject({ budgetUsd: null, rpm: null, models: null });
    });

    it('revokes by id, name or prefix; a revoked key is listed only on request and its name is free again', async () => {
      const storage = storageOf();
      const [byId, byName, byPrefix] = [await storage.createKey(sampleKey()), await storage.createKey(sampleKey()), await storage.createKey(sampleKey())];
      expect((await storage.revokeKey(byId.id))?.revokedAt).toBeInstanceOf(Date);
      expect((await storage.revokeKey(byName.name))?.id).toBe(byName.id);
      expect((await storage.revokeKey(byPrefix.prefix))?.id).toBe(byPrefix.id);
      expect(await storage.revokeKey(byId.id)).toBeUndefined();
      expect(await storage.revokeKey('no-such-key')).toBeUndefined();
      const live = (await storage.listKeys()).map((key) => key.id);
      expect(live).not.toEqual(expect.arrayContaining([byId.id]));
      const all = await storage.listKeys({ includeRevoked: true });
      expect(all.filter((key) => [byId.id, byName.id, byPrefix.id].includes(key.id)).every((key) => key.revokedAt !== null)).toBe(true);
      expect((await storage.createKey(sampleKey({ name: byName.name }))).name).toBe(byName.name);
    });

    it('refuses a prefix that matches several live keys, naming them', async () => {
      const storage = storageOf();
      const shared = `llk_sh${keyCounter}${Math.random().toString(36).slice(2, 6)}`;
      const first = await storage.createKey(sampleKey({ prefix: `${shared}a` }));
      const second = await storage.createKey(sampleKey({ prefix: `${shared}b` }));
      await expect(storage.revokeKey(shared)).rejects.toMatchObject({ code: 'key_ambiguous', message: expect.stringContaining(first.id) });
      expect((await storage.listKeys()).map((key) => key.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    });

    it('checks a new key: empty name, a hash that is not SHA-256, a negative budget, a fractional rpm', async () => {
      const storage = storageOf();
      await expect(storage.createKey(sampleKey({ name: ' ' }))).rejects.toMatchObject({ code: 'storage_invalid_option' });
      await expect(storage.createKey(sampleKey({ keyHash: 'abc' }))).rejects.toMatchObject({ message: expect.stringContaining('SHA-256') });
      await expect(storage.createKey(sampleKey({ budgetUsd: -1 }))).rejects.toMatchObject({ message: expect.stringContaining('budget -1') });
      await expect(storage.createKey(sampleKey({ rpm: 1.5 }))).rejects.toMatchObject({ message: expect.stringContaining('rpm 1.5') });
    });

    it('adds spend in batches, concurrent batches included, without losing an increment', async () => {
      const storage = storageOf();
      const [a, b] = [await storage.createKey(sampleKey()), await storage.createKey(sampleKey())];
      await Promise.all(
        Array.from({ length: 20 }, () =>
          storage.addKeySpend([
            { keyId: a.id, usd: 0.25 },
            { keyId: b.id, usd: 1 },
            { keyId: a.id, usd: 0.25 },
          ]),
        ),
      );
      await storage.addKeySpend([]);
      const keys = await storage.listKeys();
      expect(keys.find((key) => key.id === a.id)?.spendUsd).toBe(10);
      expect(keys.find((key) => key.id === b.id)?.spendUsd).toBe(20);
      await expect(storage.addKeySpend([{ keyId: a.id, usd: Number.NaN }])).rejects.toMatchObject({ code: 'storage_invalid_option' });
    });
  });

  describe('traffic summary', () => {
    it('groups requests by route, provider and key in SQL: counts, errors, latency percentiles, tokens, cost', async () => {
      const storage = storageOf();
      const source = `traffic-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const key = await storage.createKey(sampleKey());
      const base = Date.UTC(2032, 0, 1);
      const batch: NewRequest[] = [
        // 20 calls of key A on `fast`: latencies 10, 20, ..., 200; two failed.
        ...Array.from({ length: 20 }, (_, index) =>
          request(source, {
            keyId: key.id,
            at: new Date(base + index),
            latencyMs: (index + 1) * 10,
            ...(index >= 18 ? { status: 'error' as const, errorClass: 'server', httpStatus: 502, costUsd: null, outputTokens: null } : {}),
          }),
        ),
        // A refused call: no provider answered.
        request(source, { keyId: key.id, at: new Date(base), provider: null, status: 'error', errorClass: 'limited', httpStatus: 429, latencyMs: 1, inputTokens: null, outputTokens: null, costUsd: null }),
        // Another route with no key, from the cache; one before the window.
        request(source, { route: 'smart', provider: 'anthropic:claude-haiku', keyId: null, cacheHit: true, at: new Date(base + 5), latencyMs: 2 }),
        request(source, { route: 'smart', provider: 'anthropic:claude-haiku', keyId: null, at: new Date(base - 60_000) }),
      ];
      await storage.insertRequests(batch);

      const rows = await storage.summariseRequests({ source, since: new Date(base) });
      expect(rows).toHaveLength(3);
      const [fast, ...others] = rows;
      expect(fast).toEqual({
        route: 'fast',
        provider: 'openai:gpt-4o-mini',
        keyId: key.id,
        keyName: key.name,
        requests: 20,
        errors: 2,
        cacheHits: 0,
        p50LatencyMs: 105,
        p95LatencyMs: expect.closeTo(190.5, 6),
        inputTokens: 200,
        outputTokens: 90,
        costUsd: expect.closeTo(0.018, 9),
      });
      expect(others).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ route: 'fast', provider: null, keyName: key.name, requests: 1, errors: 1, inputTokens: 0, costUsd: 0 }),
          expect.objectContaining({ route: 'smart', keyId: null, keyName: null, requests: 1, cacheHits: 1, p50LatencyMs: 2 }),
        ]),
      );
      const everything = await storage.summariseRequests({ source });
      expect(everything.find((row) => row.route === 'smart')?.requests).toBe(2);
      expect(await storage.summariseRequests({ source, until: new Date(base - 1) })).toEqual([expect.objectContaining({ route: 'smart', requests: 1 })]);
      expect(await storage.summariseRequests({ source: `${source}-none` })).toEqual([]);
    });

    it('keeps bodies given with a request and the key that made it', async () => {
      const storage = storageOf();
      const source = `bodies-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const body = { model: 'fast', messages: [{ role: 'user', content: 'hi\u0000there' }] };
      await storage.insertRequests([request(source, { keyId: 'key_x', requestBody: body, responseBody: { choices: [] } }), request(source, {})]);
      const [withoutBodies, withBodies] = (await storage.listRequests({ source })).requests.sort((a, b) => (a.requestBody === null ? -1 : 1) - (b.requestBody === null ? -1 : 1));
      expect(withBodies).toMatchObject({ keyId: 'key_x', requestBody: { model: 'fast', messages: [{ role: 'user', content: 'hi\uFFFDthere' }] }, responseBody: { choices: [] } });
      expect(withoutBodies).toMatchObject({ keyId: null, requestBody: null, responseBody: null });
    });
  });
}
