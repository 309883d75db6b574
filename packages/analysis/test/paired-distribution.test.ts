import { describe, expect, it } from '@jest/globals';
import { percentile, seededRandom } from '@llm-lab/evaluation';
import { pairedDistribution } from '../src/paired-distribution.js';

/**
 * The bootstrap by definition: each resample drawn case by case (the pairing kept), sorted, and
 * its percentiles taken; the intervals are the 2.5th and 97.5th of the 200 estimates.
 */
function referenceIntervals(pairs: Array<[number, number]>, seed: number) {
  const random = seededRandom(seed);
  const n = pairs.length;
  const estimates = { a50: [] as number[], a95: [] as number[], b50: [] as number[], b95: [] as number[], d50: [] as number[], d95: [] as number[] };
  for (let r = 0; r < 200; r++) {
    const drawn = Array.from({ length: n }, () => pairs[Math.floor(random() * n)]!);
    const a = Float64Array.from(drawn, (pair) => pair[0]).sort();
    const b = Float64Array.from(drawn, (pair) => pair[1]).sort();
    const [a50, a95, b50, b95] = [percentile(a, 50, { sorted: true })!, percentile(a, 95, { sorted: true })!, percentile(b, 50, { sorted: true })!, percentile(b, 95, { sorted: true })!];
    estimates.a50.push(a50);
    estimates.a95.push(a95);
    estimates.b50.push(b50);
    estimates.b95.push(b95);
    estimates.d50.push(b50 - a50);
    estimates.d95.push(b95 - a95);
  }
  const bounds = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    return { lower: sorted[Math.floor(0.025 * 200)], upper: sorted[Math.floor(0.975 * 200)] };
  };
  return { a50: bounds(estimates.a50), a95: bounds(estimates.a95), b50: bounds(estimates.b50), b95: bounds(estimates.b95), d50: bounds(estimates.d50), d95: bounds(estimates.d95) };
}

describe('pairedDistribution', () => {
  it.each([
    ['continuous latencies', 1, (i: number, random: () => number): [number, number] => [100 + random() * 900, 80 + random() * 1000 + (i % 7)]],
    ['many ties (costs in a few steps)', 7, (_i: number, random: () => number): [number, number] => [0.0001 * (1 + Math.floor(random() * 8)), 0.0001 * (1 + Math.floor(random() * 6))]],
    ['two cases', 3, (i: number): [number, number] => [i, 10 - i]],
    ['three cases', 5, (i: number): [number, number] => [i * i, 10 - i]],
  ])('gives the intervals of the bootstrap by definition: %s', (_name, seed, make) => {
    const random = seededRandom(99);
    const size = seed === 3 ? 2 : seed === 5 ? 3 : 1500;
    const pairs = Array.from({ length: size }, (_, i) => make(i, random));
    const result = pairedDistribution({ a: { p50: 1, p95: 2 }, b: { p50: 3, p95: 4 } }, pairs, { seed, confidence: 0.95, exact: true });
    const expected = referenceIntervals(pairs, seed);
    expect(result.sampled).toBe(size);
    expect([result.a.p50.lower, result.a.p50.upper, result.a.p95.lower, result.a.p95.upper]).toEqual([expected.a50.lower, expected.a50.upper, expected.a95.lower, expected.a95.upper]);
    expect([result.b.p50.lower, result.b.p50.upper, result.b.p95.lower, result.b.p95.upper]).toEqual([expected.b50.lower, expected.b50.upper, expected.b95.lower, expected.b95.upper]);
    expect([result.difference.p50.lower, result.difference.p50.upper, result.difference.p95.lower, result.difference.p95.upper]).toEqual([expected.d50.lower, expected.d50.upper, expected.d95.lower, expected.d95.upper]);
    // The exact percentiles given are the estimates; the intervals come from the resamples.
    expect([result.a.p50.value, result.b.p95.value, result.difference.p50.value]).toEqual([1, 4, 2]);
  });

  it('leaves pairs with a missing side out of the resampling', () => {
    const pairs: Array<[number | null, number | null]> = [[1, 2], [null, 3], [4, null], [5, 6], [7, 8]];
    const result = pairedDistribution({ a: { p50: null, p95: null }, b: { p50: null, p95: null } }, pairs, { seed: 1, confidence: 0.95, exact: false });
    expect(result.sampled).toBe(3);
    expect(result.a.p50.value).toBe(5);
    expect(result.b.p50.value).toBe(6);
  });
});
