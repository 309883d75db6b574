import { describe, expect, it } from '@jest/globals';
import { RepeatTracker, bootstrapMean, passAtK, passHatK } from '../src/index.js';

describe('pass@k and pass^k', () => {
  it('match the combinatorial definitions on hand-computed values', () => {
    // n=5, c=2: pass@1 = 2/5; pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7; pass^2 = C(2,2)/C(5,2) = 0.1
    expect(passAtK(5, 2, 1)).toBeCloseTo(0.4, 12);
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12);
    expect(passHatK(5, 2, 2)).toBeCloseTo(0.1, 12);
    expect(passHatK(5, 2, 3)).toBe(0);
    expect(passAtK(5, 0, 3)).toBe(0);
    expect(passAtK(5, 3, 3)).toBe(1); // n - c < k: some passing sample is always drawn
    expect(passHatK(5, 5, 5)).toBe(1);
  });

  it('stays exact for large n (HumanEval uses n = 200)', () => {
    // 1 - C(150,10)/C(200,10), computed independently with BigInt binomials.
    const choose = (n: bigint, k: bigint): bigint => {
      let result = 1n;
      for (let i = 0n; i < k; i++) result = (result * (n - i)) / (i + 1n);
      return result;
    };
    const expected = 1 - Number((choose(150n, 10n) * 10n ** 15n) / choose(200n, 10n)) / 1e15;
    expect(passAtK(200, 50, 10)).toBeCloseTo(expected, 12);
  });

  it('refuses impossible arguments with the values in the message', () => {
    expect(() => passAtK(3, 4, 1)).toThrow(/n=3, c=4, k=1/);
    expect(() => passHatK(3, 1, 0)).toThrow(RangeError);
  });
});

describe('bootstrapMean', () => {
  it('gives a reproducible interval around the mean', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 10) * 10); // mean 45, sd ~28.7
    const first = bootstrapMean(values);
    expect(first).toMatchObject({ mean: 45, n: 200, method: 'bootstrap', confidence: 0.95 });
    // Standard error ~2.03: the 95% interval is about ±4.
    expect(first?.lower).toBeGreaterThan(40);
    expect(first?.lower).toBeLessThan(43);
    expect(first?.upper).toBeGreaterThan(47);
    expect(first?.upper).toBeLessThan(50);
    expect(bootstrapMean(values)).toEqual(first);
  });

  it('uses the normal approximation for large samples and handles tiny ones', () => {
    const large = Array.from({ length: 10_000 }, (_, i) => i % 2);
    const estimate = bootstrapMean(large);
    expect(estimate?.method).toBe('normal');
    expect(estimate?.mean).toBe(0.5);
    expect(estimate?.upper).toBeCloseTo(0.5 + 1.96 * Math.sqrt(0.25 / 10_000), 3);
    expect(bootstrapMean([])).toBeNull();
    expect(bootstrapMean([7])).toMatchObject({ mean: 7, lower: 7, upper: 7, n: 1 });
  });
});

describe('RepeatTracker', () => {
  it('summarises consistency across repeats and flags flaky cases', () => {
    const tracker = new RepeatTracker();
    const outcomes: Record<string, boolean[]> = {
      stable: [true, true, true],
      never: [false, false, false],
      flaky: [true, false, true],
    };
    for (const [caseId, results] of Object.entries(outcomes)) for (const passed of results) tracker.add(caseId, passed);
    const summary = tracker.summary();
    expect(summary).toMatchObject({ repeats: 3, cases: 3, flakyCases: ['flaky'], flakyCount: 1 });
    // pass@1 = mean(1, 0, 2/3); pass^3 = mean(1, 0, 0); pass@3 = mean(1, 0, 1)
    expect(summary?.passAtK[1]).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(summary?.passHatK[3]).toBeCloseTo(1 / 3, 12);
    expect(summary?.passAtK[3]).toBeCloseTo(2 / 3, 12);
    expect(summary?.meanCaseVariance).toBeCloseTo(((2 / 3) * (1 / 3)) / 3, 12);
  });

  it('has nothing to say without repeats', () => {
    const tracker = new RepeatTracker();
    tracker.add('a', true);
    expect(tracker.summary()).toBeNull();
  });
});
