import { describe, expect, it } from '@jest/globals';
import { detectSeries, periodFromTimestamps } from '../src/detect/index.js';
import { seededRandom } from '@llm-lab/provider-testkit';

/** Noise in [-0.5, 0.5) from the testkit's seeded generator: the same on every run. */
function noise(seed: number) {
  const next = seededRandom(seed);
  return () => next() - 0.5;
}
const PERIOD = 96; // a day of 15-minute points
/** Twelve days of a daily pattern: 20 at night, 200 for five hours of the afternoon, noise of ±5. */
function daily(days = 12, seed = 7): number[] {
  const next = noise(seed);
  return Array.from({ length: days * PERIOD }, (_, i) => {
    const hour = ((i % PERIOD) / PERIOD) * 24;
    return 20 + (hour >= 13 && hour < 18 ? 180 : 0) + 10 * next();
  });
}
const detected = (scores: Float64Array) => [...scores.keys()].filter((i) => scores[i]! >= 0.5);

describe('the seasonal baseline', () => {
  it('stops the daily peak from paging every afternoon', () => {
    const values = daily();
    const warmup = 3 * PERIOD;
    // The plain baseline sees an afternoon peak as a step: a page, then another after the cooldown.
    expect(detected(detectSeries(values, { warmup })).length).toBeGreaterThanOrEqual(2);
    expect(detected(detectSeries(values, { warmup, period: PERIOD }))).toEqual([]);
  });

  it('reports a missing daily peak, which the plain baseline cannot see', () => {
    const values = daily();
    const day9 = 9 * PERIOD;
    for (let i = day9; i < day9 + PERIOD; i++) values[i] = 20 + (values[i]! > 100 ? values[i]! - 180 : values[i]! - 20);
    const rows = detected(detectSeries(values, { warmup: 3 * PERIOD, period: PERIOD }));
    const peakStart = day9 + (13 / 24) * PERIOD;
    expect(rows.filter((row) => row >= peakStart && row < peakStart + 20)).toHaveLength(1);
    expect(rows.filter((row) => row < day9)).toEqual([]);
    const plain = detected(detectSeries(values, { warmup: 3 * PERIOD }));
    expect(plain.filter((row) => row >= day9 && row < day9 + PERIOD)).toEqual([]);
  });

  it('judges each row only from the rows before it', () => {
    const values = daily();
    const before = detectSeries(values, { period: PERIOD });
    values[1000] = 5_000;
    const after = detectSeries(values, { period: PERIOD });
    expect(Array.from(after.subarray(0, 1000))).toEqual(Array.from(before.subarray(0, 1000)));
  });
});

describe('periodFromTimestamps', () => {
  const every = (minutes: number, rows: number, format: (d: Date) => string) =>
    Array.from({ length: rows }, (_, i) => format(new Date(Date.UTC(2026, 0, 1) + i * minutes * 60_000)));
  const nab = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

  it('counts the rows of a day from the median step, in NAB and ISO formats', () => {
    expect(periodFromTimestamps(every(5, 4000, nab))).toBe(288);
    expect(periodFromTimestamps(every(60, 200, (d) => d.toISOString()))).toBe(24);
    expect(periodFromTimestamps(every(60, 24 * 21, nab), 7 * 86_400)).toBe(168);
  });

  it('is 0 when fewer than three seasons fit or the timestamps are not times', () => {
    expect(periodFromTimestamps(every(5, 800, nab))).toBe(0);
    expect(periodFromTimestamps(['a', 'b', 'c'])).toBe(0);
    expect(periodFromTimestamps([])).toBe(0);
  });
});
