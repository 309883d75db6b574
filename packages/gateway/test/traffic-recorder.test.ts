/**
 * The traffic record through the hooks: batched writes that never hold up a call, bodies only
 * where switched on, and a storage outage that fails no request and loses nothing uncounted.
 * The outage is storage's own methods failing (a wrapper over the real storage); everything
 * written lands in the real database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import type { Storage } from '@llm-lab/storage';
import { createAccessHooks, generateVirtualKey, registerAccessMetrics, type AccessHooks, type AccessHooksOptions } from '../src/index.js';
import type { TrafficRecord } from '../src/hooks.js';
import { backends, STORAGE_TIMEOUT_MS } from './storage-helpers.js';

/** The real storage, with a switch that makes its writes fail (or wait) as a database outage would. */
function flakyStorage(storage: Storage) {
  const state = { down: false, gate: undefined as Promise<void> | undefined, inserts: 0, spendWrites: 0 };
  const failing = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  return {
    state,
    storage: {
      listKeys: (options?: { includeRevoked?: boolean }) => storage.listKeys(options),
      addKeySpend: async (spend: Parameters<Storage['addKeySpend']>[0]) => {
        if (state.down) return failing();
        state.spendWrites += 1;
        return storage.addKeySpend(spend);
      },
      insertRequests: async (requests: Parameters<Storage['insertRequests']>[0]) => {
        await state.gate;
        if (state.down) return failing();
        state.inserts += 1;
        return storage.insertRequests(requests);
      },
    },
  };
}

let counter = 0;
function call(overrides: Partial<TrafficRecord> = {}): TrafficRecord {
  counter += 1;
  return { time: Date.UTC(2033, 0, 1) + counter, endpoint: 'chat.completions', route: 'fast', provider: 'openai:gpt-4o-mini', status: 200, latencyMs: 20, overheadMs: 0.3, cacheHit: false, stream: false, ...overrides };
}

for (const backend of backends()) {
  describe(`traffic record on ${backend.name}`, () => {
    let storage: Storage;
    const opened: AccessHooks[] = [];
    const hooks = (over: AccessHooksOptions['storage'], options: Partial<AccessHooksOptions> = {}, logs: string[] = []) => {
      const made = createAccessHooks({ storage: over, spendFlushMs: 0, log: (line) => logs.push(line), ...options, traffic: { flushMs: 0, ...options.traffic } });
      opened.push(made);
      return made;
    };
    /** The gateway requests stored for a route. */
    const storedFor = async (route: string) => (await storage.listRequests({ source: 'gateway', limit: 10_000 })).requests.filter((request) => request.route === route);

    beforeAll(async () => {
      storage = await backend.open();
    }, STORAGE_TIMEOUT_MS);
    afterAll(async () => {
      await Promise.all(opened.map((made) => made.close()));
      await storage?.close();
      await backend.cleanup();
    }, STORAGE_TIMEOUT_MS);

    it('stores every call in batches, each field as the server reported it', async () => {
      const flaky = flakyStorage(storage);
      const gateway = hooks(flaky.storage, { traffic: { batchSize: 500 } });
      const route = `batched-${backend.name}`;
      for (let index = 0; index < 1_199; index += 1) gateway.onCallEnd(call({ route }));
      gateway.onCallEnd(
        call({
          route,
          keyId: 'key_abc',
          keyName: 'app1',
          provider: 'anthropic:claude-haiku',
          answeredBy: 'backup',
          status: 200,
          errorClass: 'server',
          errorMessage: 'stream broke',
          latencyMs: 812.5,
          ttftMs: 95.25,
          inputTokens: 31,
          outputTokens: 12,
          costUsd: 0.000_42,
          attempts: 3,
          stream: true,
        }),
      );
      await gateway.flush();
      expect(flaky.state.inserts).toBe(3);
      const stored = await storedFor(route);
      expect(stored).toHaveLength(1_200);
      expect(stored.find((request) => request.keyId === 'key_abc')).toEqual({
        id: expect.any(Number),
        requestId: expect.any(String),
        at: new Date(Date.UTC(2033, 0, 1) + counter),
        source: 'gateway',
        route,
        provider: 'anthropic:claude-haiku',
        label: 'backup',
        model: null,
        latencyMs: 812.5,
        timeToFirstTokenMs: 95.25,
        inputTokens: 31,
        outputTokens: 12,
        cachedTokens: null,
        costUsd: 0.000_42,
        cacheHit: false,
        attempts: 3,
        // A stream that failed after its 200 is an error.
        errorClass: 'server',
        status: 'error',
        httpStatus: 200,
        keyId: 'key_abc',
        requestBody: null,
        responseBody: null,
      });
      expect(gateway.stats().traffic).toEqual({ stored: 1_200, buffered: 0, dropped: 0, failedWrites: 0 });
    });

    it('returns from onCallEnd at once while a write is slow', async () => {
      const flaky = flakyStorage(storage);
      let open!: () => void;
      flaky.state.gate = new Promise((resolve) => (open = resolve));
      const gateway = hooks(flaky.storage, { traffic: { batchSize: 10 } });
      const route = `slow-${backend.name}`;
      for (let index = 0; index < 25; index += 1) gateway.onCallEnd(call({ route }));
      // One write of 10 is waiting on storage; the rest wait in the buffer, and the calls went on.
      expect(gateway.stats().traffic).toMatchObject({ stored: 0, buffered: 15 });
      open();
      await gateway.flush();
      expect(await storedFor(route)).toHaveLength(25);
    });

    it('keeps bodies only for the routes that switch them on', async () => {
      const gateway = hooks(storage, { traffic: { bodies: [`debug-${backend.name}`] } });
      expect(gateway.keepBodies(`debug-${backend.name}`)).toBe(true);
      expect(gateway.keepBodies(`fast-${backend.name}`)).toBe(false);
      gateway.onCallEnd(call({ route: `debug-${backend.name}`, requestBody: { messages: [{ role: 'user', content: 'hi' }] }, responseBody: { choices: [{ message: { content: 'hello' } }] } }));
      gateway.onCallEnd(call({ route: `fast-${backend.name}` }));
      await gateway.flush();
      expect(await storedFor(`debug-${backend.name}`)).toEqual([
        expect.objectContaining({ requestBody: { messages: [{ role: 'user', content: 'hi' }] }, responseBody: { choices: [{ message: { content: 'hello' } }] } }),
      ]);
      expect(await storedFor(`fast-${backend.name}`)).toEqual([expect.objectContaining({ requestBody: null, responseBody: null })]);
    });

    it('rides out a storage outage: calls still admitted, records buffered up to the bound, the rest dropped, counted and logged', async () => {
      const made = generateVirtualKey();
      const key = await storage.createKey({ name: `outage-${backend.name}`, keyHash: made.hash, prefix: made.prefix, budgetUsd: 100 });
      const flaky = flakyStorage(storage);
      const logs: string[] = [];
      const gateway = hooks(flaky.storage, { traffic: { batchSize: 20, maxBuffered: 100 } }, logs);
      const registry = new Registry();
      registerAccessMetrics(registry, gateway);
      const scrape = async () => Object.fromEntries((await registry.getMetricsAsJSON()).map((metric) => [metric.name, metric.values[0]?.value]));
      const route = `outage-${backend.name}`;
      expect((await gateway.authenticate({ authorization: `Bearer ${made.key}`, model: 'fast', endpoint: 'chat.completions' })).ok).toBe(true);

      flaky.state.down = true;
      for (let index = 0; index < 150; index += 1) {
        // Keys come from memory: authentication goes on while storage is down.
        expect((await gateway.authenticate({ authorization: `Bearer ${made.key}`, model: 'fast', endpoint: 'chat.completions' })).ok).toBe(true);
        gateway.onCallEnd(call({ route, keyId: key.id, costUsd: 0.01 }));
      }
      await gateway.flush();
      expect(gateway.stats().traffic).toMatchObject({ stored: 0, buffered: 100, dropped: 50 });
      expect(gateway.stats().traffic.failedWrites).toBeGreaterThan(0);
      expect(gateway.stats().spendWriteFailures).toBe(1);
      expect(await scrape()).toMatchObject({
        llm_lab_gateway_traffic_records_stored_total: 0,
        llm_lab_gateway_traffic_records_buffered: 100,
        llm_lab_gateway_traffic_records_dropped_total: 50,
        llm_lab_gateway_spend_write_failures_total: 1,
      });
      expect(logs).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^gateway traffic record: storing 20 records failed \(connect ECONNREFUSED.*keeping up to 100 records/),
          expect.stringMatching(/^gateway traffic record: dropped 1 record: its buffer is full \(100 records\) \(1 dropped since start\)$/),
          expect.stringContaining('gateway keys: writing spend to storage failed'),
        ]),
      );

      flaky.state.down = false;
      await gateway.flush();
      expect(gateway.stats().traffic).toMatchObject({ stored: 100, buffered: 0, dropped: 50 });
      expect(await scrape()).toMatchObject({ llm_lab_gateway_traffic_records_stored_total: 100, llm_lab_gateway_traffic_records_buffered: 0, llm_lab_gateway_traffic_records_dropped_total: 50 });
      expect(await registry.metrics()).toContain('llm_lab_gateway_traffic_records_dropped_total 50');
      expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/writing again; .* 50 dropped meanwhile/)]));
      expect(await storedFor(route)).toHaveLength(100);
      // Spend is kept through the outage and written once: every call's cost, the dropped records' too.
      expect((await storage.listKeys()).find((stored) => stored.id === key.id)?.spendUsd).toBeCloseTo(1.5, 9);
    });

    it('counts and logs what it cannot store when the gateway stops during an outage', async () => {
      const flaky = flakyStorage(storage);
      const logs: string[] = [];
      const gateway = hooks(flaky.storage, {}, logs);
      flaky.state.down = true;
      for (let index = 0; index < 7; index += 1) gateway.onCallEnd(call({ route: `stop-${backend.name}` }));
      await gateway.close();
      expect(gateway.stats().traffic).toMatchObject({ stored: 0, buffered: 0, dropped: 7 });
      expect(logs).toEqual(expect.arrayContaining(['gateway traffic record: dropped 7 records: storage could not be reached when the gateway stopped (7 dropped since start)']));
      gateway.onCallEnd(call());
      expect(gateway.stats().traffic.dropped).toBe(8);
    });
  });
}
