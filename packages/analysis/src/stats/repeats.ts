/**
 * Repeated samples of each case (`--repeat`): pass@k and pass^k averaged over cases, with a
 * bootstrap interval across cases. The per-case estimators are the evaluation package's
 * (`passAtK`, `passHatK`: Chen et al. 2021's unbiased pass@k); the cases arrive as a histogram of
 * (samples, passed) pairs, which storage counts in SQL.
 */
import { passAtK, passHatK } from '@llm-lab/evaluation';
import { pairedBootstrap, type BootstrapTestOptions } from './paired.js';

/** How many cases had `passed` of `samples` samples right. */
export interface RepeatCount {
  samples: number;
  passed: number;
  count: number;
}

export interface PassAtKEstimate {
  k: number;
  /** Mean over cases of the per-case estimate. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  /** Cases with at least k samples (the others cannot estimate it). */
  cases: number;
}

function estimateOver(histogram: readonly RepeatCount[], k: number, estimator: (n: number, c: number, k: number) => number, options: BootstrapTestOptions): PassAtKEstimate {
  const cells = new Map<number, number>();
  let cases = 0;
  for (const { samples, passed, count } of histogram) {
    if (samples < k || count <= 0) continue;
    const value = estimator(samples, passed, k);
    cells.set(value, (cells.get(value) ?? 0) + count);
    cases += count;
  }
  const test = pairedBootstrap([...cells].map(([value, count]) => ({ value, count })), options);
  return { k, estimate: test.estimate, lower: test.lower, upper: test.upper, confidence: test.confidence, cases };
}

/** pass@k (at least one of k samples right) with a seeded bootstrap interval across cases. */
export function passAtKWithInterval(histogram: readonly RepeatCount[], k: number, options: BootstrapTestOptions = {}): PassAtKEstimate {
  return estimateOver(histogram, k, passAtK, options);
}

/** pass^k (all k samples right) with a seeded bootstrap interval across cases. */
export function passHatKWithInterval(histogram: readonly RepeatCount[], k: number, options: BootstrapTestOptions = {}): PassAtKEstimate {
  return estimateOver(histogram, k, passHatK, options);
}
