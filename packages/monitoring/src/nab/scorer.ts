/**
 * The Numenta Anomaly Benchmark's scoring rules (github.com/numenta/NAB, `nab/sweeper.py`),
 * written from its documented semantics: windows, the scaled sigmoid, cost profiles, the
 * probationary period, and normalisation between the null and the perfect detector.
 */

/** Weights of one NAB profile (`profiles.json`'s `CostMatrix`). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  tnWeight?: number;
}

export const NAB_PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 },
} as const satisfies Record<string, CostMatrix>;

export type ProfileName = keyof typeof NAB_PROFILES;

/** NAB's probationary period: the first 15% of a file's rows, at most 750, are not scored. */
export const PROBATION_PERCENT = 0.15;

export function probationaryLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * `2·sigmoid(−5·y) − 1`: near 1 for a detection early in a window (y → −1), 0 at its right edge,
 * negative after it, and −1 from three window widths on.
 */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3) return -1;
  return 2 * sigmoid(-5 * relativePosition) - 1;
}

/** A window as row indexes into the file, both ends inclusive. */
export interface RowWindow {
  start: number;
  end: number;
}

export interface FileScore {
  score: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  total: number;
}

/**
 * The weight NAB gives a detection at each row: inside a window, the sigmoid of its position
 * (earlier is better) times the TP weight; outside, the sigmoid of its distance past the
 * previous window's right edge times the FP weight (−FP weight when no window precedes it).
 */
export function rowWeights(rows: number, windows: readonly RowWindow[], profile: CostMatrix): { weight: Float64Array; window: Int32Array } {
  const weight = new Float64Array(rows);
  const window = new Int32Array(rows).fill(-1);
  const tpNorm = scaledSigmoid(-1);
  let next = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < rows; i++) {
    const current = windows[next];
    if (current && i >= current.start && i <= current.end) {
      const width = current.end - current.start + 1;
      const position = -(current.end - i + 1) / width;
      weight[i] = (scaledSigmoid(position) * profile.tpWeight) / tpNorm;
      window[i] = next;
      if (i === current.end) {
        prevRight = i;
        prevWidth = width;
        next++;
      }
    } else if (prevRight < 0) {
      weight[i] = -profile.fpWeight;
    } else {
      weight[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * profile.fpWeight;
    }
  }
  return { weight, window };
}

/**
 * Scores one file: rows whose anomaly score is at or above `threshold` are detections. In each
 * window only the first (best-weighted) detection counts; a window with none costs the FN weight;
 * each detection outside the windows adds its (negative) FP weight. Rows in the probationary
 * period count for nothing.
 */
export function scoreFile(scores: ArrayLike<number>, windows: readonly RowWindow[], threshold: number, profile: CostMatrix): FileScore {
  const rows = scores.length;
  checkWindows(windows, rows);
  const { weight, window } = rowWeights(rows, windows, profile);
  const probation = probationaryLength(rows);
  const best = windows.map(() => Number.NEGATIVE_INFINITY);
  let fpScore = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < rows; i++) {
    if (i < probation) continue;
    const detected = scores[i]! >= threshold;
    const w = window[i]!;
    if (w >= 0) {
      if (detected) {
        tp++;
        best[w] = Math.max(best[w]!, weight[i]!);
      } else fn++;
    } else if (detected) {
      fp++;
      fpScore += weight[i]!;
    } else tn++;
  }
  let score = fpScore;
  for (const value of best) score += Number.isFinite(value) ? value : -profile.fnWeight;
  return { score, tp, fp, fn, tn, total: rows };
}

function checkWindows(windows: readonly RowWindow[], rows: number): void {
  let previousEnd = -1;
  for (const [index, window] of windows.entries()) {
    if (!(window.start <= window.end) || window.start <= previousEnd || window.end >= rows || window.start < 0) {
      throw new Error(`Window ${index + 1} (rows ${window.start}..${window.end}) must lie inside the file's ${rows} rows, in order, without overlapping the one before.`);
    }
    previousEnd = window.end;
  }
}

/** The raw score of a detector that never fires (every window missed) and of one that fires once at the start of every window. */
export function nullAndPerfect(windowCount: number, profile: CostMatrix): { null: number; perfect: number } {
  return { null: -windowCount * profile.fnWeight, perfect: windowCount * profile.tpWeight };
}

/** NAB's normalised score: 0 for the null detector, 100 for the perfect one. */
export function normaliseScore(raw: number, rawNull: number, rawPerfect: number): number {
  return (100 * (raw - rawNull)) / (rawPerfect - rawNull);
}
