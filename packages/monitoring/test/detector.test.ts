import { describe, expect, it } from '@jest/globals';
import { detectSeries, OnlineDetector, RollingWindow } from '../src/detect/index.js';
import { seededRandom } from '@llm-lab/provider-testkit';

/** Noise in [-0.5, 0.5) from the testkit's seeded generator: the same on every run. */
function noise(seed: number) {
  const next = seededRandom(seed);
  return () => next() - 0.5;
}
const noisy = (rows: number, seed = 1, level = 100) => {
  const next = noise(seed);
  return Array.from({ length: rows }, () => level + 10 * next());
};
const detected = (scores: Float64Array) => [...scores.keys()].filter((i) => scores[i]! >= 0.5);

describe('OnlineDetector', () => {
  it('reports nothing on steady noise after the warm-up', () => {
    expect(detected(detectSeries(noisy(2000), { warmup: 300 }))).toEqual([]);
  });

  it('reports a step change once, within a few rows of it', () => {
    const values = noisy(2000);
    for (let i = 1200; i < 2000; i++) values[i]! += 40;
    const rows = detected(detectSeries(values, { warmup: 300 }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toBeGreaterThanOrEqual(1200);
    expect(rows[0]).toBeLessThan(1210);
  });

  it('judges each row only from the rows before it', () => {
    const values = noisy(1000);
    const before = detectSeries(values);
    values[700] = 10_000;
    const after = detectSeries(values);
    expect(Array.from(after.subarray(0, 700))).toEqual(Array.from(before.subarray(0, 700)));
    expect(after[700]).toBeGreaterThanOrEqual(0.5);
  });

  it('pages nobody while the volume is under the minimum', () => {
    const values = noisy(1000, 3, 2);
    values[800] = 50;
    expect(detected(detectSeries(values, { minVolume: 5 }))).toEqual([]);
    expect(detected(detectSeries(values))).toEqual([800]);
  });

  it('reports a flat series leaving its value', () => {
    const values = Array.from({ length: 600 }, (_, i) => (i < 500 ? 3 : 3.01));
    expect(detected(detectSeries(values))).toEqual([500]);
  });

  it('keeps scores in [0, 1]', () => {
    const detector = new OnlineDetector({ pointZ: 3 });
    for (const value of [...noisy(500), 1e12, -1e12, 0]) {
      const score = detector.update(value);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
  });
});

describe('RollingWindow', () => {
  it('keeps the median and MAD of the last values', () => {
    const window = new RollingWindow(5);
    for (const value of [100, 1, 2, 3, 4, 50]) window.push(value);
    // Holds 1, 2, 3, 4, 50: median 3, deviations 2, 1, 0, 1, 47 → MAD 1.
    expect(window.median()).toBe(3);
    expect(window.mad(3)).toBe(1);
  });
});
