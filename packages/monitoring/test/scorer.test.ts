import { describe, expect, it } from '@jest/globals';
import { NAB_PROFILES, normaliseScore, nullAndPerfect, probationaryLength, scaledSigmoid, scoreFile, windowsToRows } from '../src/nab/index.js';

// 20 rows: rows 0-2 are probationary (floor(0.15 * 20) = 3); one window on rows 10..13 (width 4).
const windows = [{ start: 10, end: 13 }];
const scores = (detections: number[]) => Array.from({ length: 20 }, (_, i) => (detections.includes(i) ? 0.9 : 0.1));

describe('NAB scoring rules on a hand-made file', () => {
  it('weights the first detection in a window, a false positive past it and one before any window', () => {
    // Row 1: probationary, ignored. Row 5: before any window, -fpWeight = -0.11.
    // Row 11: y = -(13 - 11 + 1) / 4 = -0.75; (2·sigmoid(3.75) − 1) / (2·sigmoid(5) − 1) = 0.954046 / 0.986614 = 0.966990.
    // Row 12: a later detection in the same window, not counted.
    // Row 16: |13 − 16| / (4 − 1) = 1 past the window; (2·sigmoid(−5) − 1) · 0.11 = −0.108528.
    const result = scoreFile(scores([1, 5, 11, 12, 16]), windows, 0.5, NAB_PROFILES.standard);
    expect(result.score).toBeCloseTo(0.966990 - 0.108528 - 0.11, 5);
    expect(result).toMatchObject({ tp: 2, fp: 2, fn: 2, tn: 17 - 6 });
    const lowFp = scoreFile(scores([1, 5, 11, 12, 16]), windows, 0.5, NAB_PROFILES.reward_low_FP_rate);
    expect(lowFp.score).toBeCloseTo(0.966990 - 0.217055 - 0.22, 5);
  });

  it('counts a missed window at the profile FN weight and a detection at or above the threshold', () => {
    expect(scoreFile(scores([]), windows, 0.5, NAB_PROFILES.standard).score).toBe(-1);
    expect(scoreFile(scores([]), windows, 0.5, NAB_PROFILES.reward_low_FN_rate).score).toBe(-2);
    expect(scoreFile(scores([10]), windows, 0.9, NAB_PROFILES.standard).score).toBeCloseTo(1, 12);
  });

  it('gives a detection far past a window the full false-positive cost', () => {
    // 19 is 6 rows past row 13: 6 / 3 = 2 widths (sigmoid), then beyond 3 widths it is −1.
    expect(scaledSigmoid(3.01)).toBe(-1);
    const result = scoreFile(scores([10, 19]), windows, 0.5, NAB_PROFILES.standard);
    expect(result.score).toBeCloseTo(1 + (2 / (1 + Math.exp(10)) - 1) * 0.11, 12);
  });

  it('caps the probationary period at 750 rows and normalises between the null and perfect detector', () => {
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(22695)).toBe(750);
    const bounds = nullAndPerfect(3, NAB_PROFILES.standard);
    expect(normaliseScore(bounds.null, bounds.null, bounds.perfect)).toBe(0);
    expect(normaliseScore(0, bounds.null, bounds.perfect)).toBe(50);
  });

  it('maps window timestamps to rows and rejects a window outside the file', () => {
    const times = ['2024-01-01 00:00:00', '2024-01-01 00:05:00', '2024-01-01 00:10:00', '2024-01-01 00:15:00'];
    expect(windowsToRows(times, [['2024-01-01 00:05:00.000000', '2024-01-01 00:10:00.000000']])).toEqual([{ start: 1, end: 2 }]);
    expect(() => scoreFile([0, 0], [{ start: 1, end: 4 }], 0.5, NAB_PROFILES.standard)).toThrow(/inside the file's 2 rows/);
  });
});
