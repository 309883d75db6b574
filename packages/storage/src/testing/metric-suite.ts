/**
 * The time-series part of the storage suite: metric points upserted (merged or replaced), read by
 * provider and time range, the roll-up's pending points, retention — the same on every backend.
 */
import { describe, expect, it } from '@jest/globals';
import type { MetricPoint, Storage } from '../types.js';

let seriesCounter = 0;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A point of a fresh provider id (tests share one database), at `start`. */
function point(providerId: string, start: number, overrides: Partial<MetricPoint> = {}): MetricPoint {
  return {
    source: 'gateway',
    providerId,
    provider: 'openai',
    model: 'gpt-4o-mini',
    route: 'fast',
    key: '',
    start: new Date(start),
    count: 10,
    errors: { timeout: 1 },
    latency: [new Uint8Array([1, 2, 3])],
    ttft: [],
    tokensIn: 100,
    tokensOut: 50,
    costUsd: 0.25,
    cacheHits: 2,
    probeScoreSum: 0,
    probeScoreCount: 0,
    ...overrides,
  };
}

function freshProvider(): string {
  seriesCounter += 1;
  return `metric-${process.pid}-${seriesCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function describeMetricSuite(storageOf: () => Storage): void {
  describe('metric points', () => {
    const base = Date.UTC(2026, 11, 7, 10, 0, 0);

    it('merges a point written twice: counts added, error classes summed, both sketch parts kept', async () => {
      const storage = storageOf();
      const id = freshProvider();
      expect(await storage.writeMetricPoints('1m', [point(id, base), point(id, base + MINUTE)])).toBe(2);
      await storage.writeMetricPoints('1m', [point(id, base, { count: 5, errors: { timeout: 2, 'rate-limit': 3 }, latency: [new Uint8Array([9])], costUsd: 0.5 })]);
      const points = await storage.readMetricPoints({ resolution: '1m', provider: id });
      expect(points.map((p) => p.start.getTime())).toEqual([base, base + MINUTE]);
      const [first] = points;
      expect(first).toMatchObject({ count: 15, errors: { timeout: 3, 'rate-limit': 3 }, costUsd: 0.75, tokensIn: 200, cacheHits: 4, revision: 2 });
      expect(first?.latency.map((part) => [...part])).toEqual([[1, 2, 3], [9]]);
      expect(first?.ttft).toEqual([]);
    });

    it('merges points of one series and start within a batch, and replaces on request', async () => {
      const storage = storageOf();
      const id = freshProvider();
      expect(await storage.writeMetricPoints('1h', [point(id, base), point(id, base, { count: 1 })])).toBe(1);
      expect((await storage.readMetricPoints({ resolution: '1h', provider: id }))[0]).toMatchObject({ count: 11, errors: { timeout: 2 } });
      await storage.writeMetricPoints('1h', [point(id, base, { count: 7, errors: {}, latency: [new Uint8Array([4])] })], { replace: true });
      const [replaced] = await storage.readMetricPoints({ resolution: '1h', provider: id });
      expect(replaced).toMatchObject({ count: 7, errors: {} });
      expect(replaced?.latency.map((part) => [...part])).toEqual([[4]]);
    });

    it('reads one provider (by id or family) and model over a time range, oldest first', async () => {
      const storage = storageOf();
      const id = freshProvider();
      const family = `${id}-family`;
      await storage.writeMetricPoints('1m', [
        point(id, base + 2 * MINUTE, { provider: family }),
        point(id, base, { provider: family }),
        point(id, base + MINUTE, { provider: family, model: 'other' }),
        point(id, base + 3 * MINUTE, { provider: family, source: 'probe' }),
      ]);
      const range = await storage.readMetricPoints({ resolution: '1m', provider: family, since: new Date(base), until: new Date(base + 3 * MINUTE) });
      expect(range.map((p) => (p.start.getTime() - base) / MINUTE)).toEqual([0, 1, 2]);
      expect((await storage.readMetricPoints({ resolution: '1m', provider: id, model: 'gpt-4o-mini', source: 'gateway' })).length).toBe(2);
      expect((await storage.readMetricPoints({ resolution: '1m', provider: id, source: 'probe' })).length).toBe(1);
      expect((await storage.readMetricPoints({ resolution: '1h', provider: id })).length).toBe(0);
    });

    it('lists whole hours of pending minute points for the roll-up; a point written after it was read stays pending', async () => {
      const storage = storageOf();
      const id = freshProvider();
      const hour = base - 5 * 24 * HOUR; // far from the other tests' points
      await storage.writeMetricPoints('1m', [point(id, hour), point(id, hour + 30 * MINUTE), point(id, hour + HOUR + MINUTE)]);
      const mine = async (before: number) =>
        (await storage.metricPointsToRollUp({ before: new Date(before), limit: 100_000 })).filter((p) => p.providerId === id);
      const pending = await mine(hour + HOUR);
      expect(pending.map((p) => (p.start.getTime() - hour) / MINUTE)).toEqual([0, 30]);
      // Written again between the read and the mark: its new revision is not marked.
      await storage.writeMetricPoints('1m', [point(id, hour + 30 * MINUTE, { count: 1 })]);
      expect(await storage.markMetricPointsRolledUp(pending.map(({ id: rowId, revision }) => ({ id: rowId, revision })))).toBe(1);
      // The hour comes back whole (both points), since one of them changed.
      const again = await mine(hour + HOUR);
      expect(again.map((p) => [(p.start.getTime() - hour) / MINUTE, p.count])).toEqual([[0, 10], [30, 11]]);
      await storage.markMetricPointsRolledUp(again);
      expect(await mine(hour + HOUR)).toEqual([]);
      expect((await mine(hour + 2 * HOUR)).map((p) => (p.start.getTime() - hour) / MINUTE)).toEqual([61]);
    });

    it('deletes the points that start before a time, per resolution', async () => {
      const storage = storageOf();
      const id = freshProvider();
      const old = base - 400 * 24 * HOUR;
      await storage.writeMetricPoints('1m', [point(id, old), point(id, old + MINUTE)]);
      await storage.writeMetricPoints('1h', [point(id, old)]);
      expect(await storage.deleteMetricPoints('1m', new Date(old + MINUTE))).toBeGreaterThanOrEqual(1);
      expect((await storage.readMetricPoints({ resolution: '1m', provider: id })).map((p) => p.start.getTime())).toEqual([old + MINUTE]);
      expect((await storage.readMetricPoints({ resolution: '1h', provider: id })).length).toBe(1);
    });

    it('refuses an unknown resolution and a point without a valid start, naming them', async () => {
      const storage = storageOf();
      await expect(storage.readMetricPoints({ resolution: '5m' as '1m' })).rejects.toMatchObject({ code: 'storage_invalid_option', message: expect.stringContaining('"5m"') });
      await expect(storage.writeMetricPoints('1m', [point('x', Number.NaN)])).rejects.toMatchObject({ code: 'storage_invalid_option', message: expect.stringContaining('start') });
    });
  });
}
