import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MetricStore, Storage } from '@llm-lab/storage';
import { emptyBucket, type MetricBucket, type SeriesKey } from '../src/collect/bucket.js';
import { compactMetrics, createBucketSink, HOUR_MS, MINUTE_MS, readSeries } from '../src/store/index.js';
import { backends } from './support/backends.js';
import { seededRandom } from '@llm-lab/provider-testkit';

const DAY_MS = 86_400_000;
/** Time allowed per test: a safety net for a loaded machine, not a measure. */
const TIMEOUT_MS = 300_000;

/** A seeded generator (the testkit's): the same values on every run. */
const random = seededRandom;

let providerCounter = 0;
const seriesKey = (overrides: Partial<SeriesKey> = {}): SeriesKey => {
  providerCounter += 1;
  return { source: 'gateway', providerId: `fast-${providerCounter}`, provider: 'openai', model: 'gpt-4o-mini', route: 'fast', key: '', ...overrides };
};

function bucket(key: SeriesKey, start: number, latencies: number[], extra: Partial<Omit<MetricBucket, 'latency' | 'ttft'>> = {}): MetricBucket {
  const made = emptyBucket(key, start);
  for (const latency of latencies) made.latency.accept(latency);
  made.count = latencies.length;
  return Object.assign(made, extra);
}

/** The value at the rank DDSketch's quantile uses (q·(n−1), rounded down), from every raw value. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

const hour0 = Date.UTC(2026, 11, 7, 9, 0, 0);

for (const backend of backends()) {
  describe(`time-series store on ${backend.name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await backend.open();
    }, TIMEOUT_MS);
    afterAll(async () => {
      await storage?.close();
      await backend.cleanup();
    }, TIMEOUT_MS);

    it('writes buffered buckets in one upsert; a bucket written again (another process, a restart) merges', async () => {
      const key = seriesKey();
      const first = createBucketSink(storage, { flushEvery: 0 });
      const second = createBucketSink(storage, { flushEvery: 0 });
      expect(first.write(bucket(key, hour0, [100, 200], { errors: { timeout: 1 }, tokensIn: 30, costUsd: 0.01 }))).toBe(true);
      expect(first.write(bucket(key, hour0, [300], { errors: { timeout: 1, server: 2 } }))).toBe(true); // merged in the buffer
      expect(first.write(bucket(key, hour0 + MINUTE_MS, [400]))).toBe(true);
      expect(first.stats()).toMatchObject({ accepted: 3, buffered: 2, written: 0 });
      await first.flush();
      second.write(bucket(key, hour0, [500], { tokensIn: 12, cacheHits: 1 }));
      await second.close();
      const now = hour0 + 10 * MINUTE_MS;
      const count = await readSeries(storage, { metric: 'count', provider: key.providerId, sinceMs: HOUR_MS, now });
      expect(count.step).toBe('1m');
      expect(count.points.map((p) => [p.start, p.value])).toEqual([
        [hour0, 4],
        [hour0 + MINUTE_MS, 1],
      ]);
      const errors = await readSeries(storage, { metric: 'error_rate', provider: key.providerId, sinceMs: HOUR_MS, now });
      expect(errors.points[0]?.value).toBeCloseTo(4 / 4);
      const p50 = await readSeries(storage, { metric: 'latency_p50', provider: key.providerId, sinceMs: HOUR_MS, now });
      // Median of 100, 200, 300, 500 at DDSketch's rank: 200, within 1%.
      expect(Math.abs((p50.points[0]?.value as number) - 200)).toBeLessThanOrEqual(2);
      const hits = await readSeries(storage, { metric: 'cache_hit_rate', provider: key.providerId, sinceMs: HOUR_MS, now });
      expect(hits.points[0]?.value).toBeCloseTo(0.25);
      expect(first.stats()).toMatchObject({ written: 2, dropped: 0, buffered: 0 });
      await first.close();
    }, TIMEOUT_MS);

    it('adds up one minute written at once by two connections (two monitor processes), none lost', async () => {
      const key = seriesKey();
      const second = await backend.open(); // PGlite: a client of the first over its socket; PostgreSQL: a second pool
      try {
        const writes = [storage, second].flatMap((store) =>
          Array.from({ length: 10 }, (_, index) => {
            const sink = createBucketSink(store, { flushEvery: 0 });
            sink.write(bucket(key, hour0, [10 + index, 20 + index], { errors: { server: 1 } }));
            return sink.close();
          }),
        );
        await Promise.all(writes);
      } finally {
        await second.close();
      }
      const [point] = await storage.readMetricPoints({ resolution: '1m', provider: key.providerId });
      expect(point).toMatchObject({ count: 40, errors: { server: 20 }, revision: 20 });
      expect(point?.latency).toHaveLength(20);
    }, TIMEOUT_MS);

    it('never waits for the database: a full buffer drops and counts, a failed write keeps the buckets for the next', async () => {
      const key = seriesKey();
      const sink = createBucketSink(storage, { flushEvery: 0, maxBuffered: 2 });
      expect(sink.write(bucket(key, hour0, [1]))).toBe(true);
      expect(sink.write(bucket(key, hour0 + MINUTE_MS, [1]))).toBe(true);
      expect(sink.write(bucket(key, hour0 + 2 * MINUTE_MS, [1]))).toBe(false);
      expect(sink.write(bucket(key, hour0, [1]))).toBe(true); // same series and minute: merged, no room needed
      expect(sink.stats()).toMatchObject({ accepted: 4, dropped: 1, buffered: 2 });
      await sink.close();
      expect(sink.write(bucket(key, hour0, [1]))).toBe(false);
      expect(sink.stats()).toMatchObject({ written: 2, dropped: 2 });

      // A store that is down: the write fails, the buckets wait, and go out once it is back.
      let down = true;
      const errors: unknown[] = [];
      const flaky: Pick<MetricStore, 'writeMetricPoints'> = {
        writeMetricPoints: (...args) => (down ? Promise.reject(new Error('connection refused')) : storage.writeMetricPoints(...args)),
      };
      const other = seriesKey();
      const retrying = createBucketSink(flaky, { flushEvery: 0, onError: (error) => errors.push(error) });
      retrying.write(bucket(other, hour0, [5, 6]));
      await retrying.flush();
      expect(retrying.stats()).toMatchObject({ failedWrites: 1, buffered: 1, written: 0 });
      expect(String(errors[0])).toMatch(/connection refused/);
      down = false;
      await retrying.close();
      expect(retrying.stats()).toMatchObject({ written: 1, buffered: 0 });
      const stored = await readSeries(storage, { metric: 'count', provider: other.providerId, sinceMs: HOUR_MS, now: hour0 + 5 * MINUTE_MS });
      expect(stored.points.map((p) => p.value)).toEqual([2]);
    }, TIMEOUT_MS);

    it('rolls an hour of minute buckets up with merged sketches (hourly p99 = p99 of every call, within 1%), then expires old points', async () => {
      const key = seriesKey();
      const next = random(7);
      const all: number[] = [];
      const sink = createBucketSink(storage, { flushEvery: 0 });
      const minuteP99s: number[] = [];
      for (let minute = 0; minute < 60; minute++) {
        // Log-normal latencies, with a slow stretch in minutes 40–44: the hour's tail lives there.
        const scale = minute >= 40 && minute < 45 ? 2_000 : 200;
        const values = Array.from({ length: 40 }, () => scale * Math.exp(0.5 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())));
        all.push(...values);
        minuteP99s.push(exactQuantile(values, 0.99));
        sink.write(bucket(key, hour0 + minute * MINUTE_MS, values, { tokensOut: 10 }));
      }
      await sink.close();

      // A fake clock: 20 minutes after the hour ended.
      const now = hour0 + HOUR_MS + 20 * MINUTE_MS;
      const report = await compactMetrics(storage, now);
      expect(report.hoursRolledUp).toBeGreaterThanOrEqual(1);
      const hourly = await storage.readMetricPoints({ resolution: '1h', provider: key.providerId });
      expect(hourly.map((p) => [p.start.getTime(), p.count, p.tokensOut])).toEqual([[hour0, 2_400, 600]]);
      const exact = exactQuantile(all, 0.99);
      const hourlyP99 = await readSeries(storage, { metric: 'latency_p99', provider: key.providerId, sinceMs: 31 * DAY_MS, now: now + 30 * DAY_MS, retention: { minuteDays: 14 } });
      expect(hourlyP99.step).toBe('1h');
      expect(hourlyP99.points).toHaveLength(1);
      const fromSketch = hourlyP99.points[0]?.value as number;
      expect(Math.abs(fromSketch - exact) / exact).toBeLessThanOrEqual(0.01);
      // What a roll-up without sketches would have said instead: the mean of the minutes' p99s is far off.
      const meanOfP99s = minuteP99s.reduce((a, b) => a + b, 0) / minuteP99s.length;
      expect(Math.abs(meanOfP99s - exact) / exact).toBeGreaterThan(0.2);

      // Compacting again changes nothing (the hour is recomputed only when a minute changes).
      expect((await compactMetrics(storage, now)).hoursRolledUp).toBe(0);
      // A late bucket for that hour: the hour is recomputed, not added to twice.
      const late = createBucketSink(storage, { flushEvery: 0 });
      late.write(bucket(key, hour0 + 59 * MINUTE_MS, [100]));
      await late.close();
      await compactMetrics(storage, now + MINUTE_MS);
      expect((await storage.readMetricPoints({ resolution: '1h', provider: key.providerId }))[0]?.count).toBe(2_401);

      // 15 days on, the minute points are gone and the hour stays; a year and a day on, it goes too.
      await compactMetrics(storage, hour0 + 15 * DAY_MS);
      expect(await storage.readMetricPoints({ resolution: '1m', provider: key.providerId })).toEqual([]);
      expect((await storage.readMetricPoints({ resolution: '1h', provider: key.providerId })).length).toBe(1);
      const keptHourly = await readSeries(storage, { metric: 'count', provider: key.providerId, sinceMs: 20 * DAY_MS, now: hour0 + 15 * DAY_MS });
      expect(keptHourly.points.map((p) => [p.start, p.value])).toEqual([[hour0, 2_401]]);
      await compactMetrics(storage, hour0 + 366 * DAY_MS);
      expect(await storage.readMetricPoints({ resolution: '1h', provider: key.providerId })).toEqual([]);
    }, TIMEOUT_MS);

    it('answers hourly steps from the minute points before the roll-up has run, filtered by model and source', async () => {
      const key = seriesKey({ model: 'gpt-4o' });
      const sink = createBucketSink(storage, { flushEvery: 0 });
      sink.write(bucket(key, hour0 + 5 * MINUTE_MS, [10, 20], { costUsd: 0.5 }));
      sink.write(bucket(key, hour0 + 65 * MINUTE_MS, [30], { costUsd: 0.25 }));
      sink.write(bucket({ ...key, model: 'gpt-4o-mini' }, hour0 + 5 * MINUTE_MS, [1], { costUsd: 9 }));
      sink.write(bucket({ ...key, source: 'probe' }, hour0 + 5 * MINUTE_MS, [1], { probeScoreSum: 0.75, probeScoreCount: 1, count: 0 }));
      await sink.close();
      const now = hour0 + 2 * HOUR_MS;
      const cost = await readSeries(storage, { metric: 'cost_usd', provider: key.providerId, model: 'gpt-4o', source: 'gateway', sinceMs: 24 * HOUR_MS, now });
      expect(cost.step).toBe('1h');
      expect(cost.points.map((p) => [p.start, p.value])).toEqual([
        [hour0, 0.5],
        [hour0 + HOUR_MS, 0.25],
      ]);
      const probe = await readSeries(storage, { metric: 'probe_score', provider: key.providerId, source: 'probe', sinceMs: 24 * HOUR_MS, now, step: '1m' });
      expect(probe.points.map((p) => p.value)).toEqual([0.75]);
    }, TIMEOUT_MS);
  });
}
