import { normalQuantile } from './wilson.js';

/** A mean with a two-sided confidence interval and the sample it came from. */
export interface MeanEstimate {
  mean: number;
  lower: number;
  upper: number;
  /** Sample size. */
  n: number;
  confidence: number;
  /** `bootstrap` (percentile bootstrap) or `normal` (large samples: mean ± z·s/√n). */
  method: 'bootstrap' | 'normal';
}

export interface BootstrapOptions {
  /** Default 0.95. */
  confidence?: number;
  /** Resamples. Default 1,000. */
  resamples?: number;
  /** Seed for the resampling, so a report is reproducible. Default 1. */
  seed?: number;
  /**
   * Above this sample size the normal approximation is used instead (the bootstrap's cost grows
   * with n × resamples, and by the central limit theorem the two agree there). Default 2,000.
   */
  maxBootstrapN?: number;
}

/** A small, fast, seedable PRNG (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The mean of `values` with a confidence interval: a percentile bootstrap (seeded, so the same
 * data always gives the same interval) for samples up to `maxBootstrapN`, the normal
 * approximation above. Returns null for an empty sample; a single value gives a zero-width
 * interval.
 */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions = {}): MeanEstimate | null {
  const n = values.length;
  if (n === 0) return null;
  const confidence = options.confidence ?? 0.95;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  if (n === 1) return { mean, lower: mean, upper: mean, n, confidence, method: 'bootstrap' };

  if (n > (options.maxBootstrapN ?? 2_000)) {
    let squares = 0;
    for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
    const standardError = Math.sqrt(squares / (n - 1) / n);
    const z = normalQuantile(1 - (1 - confidence) / 2);
    return { mean, lower: mean - z * standardError, upper: mean + z * standardError, n, confidence, method: 'normal' };
  }

  const resamples = options.resamples ?? 1_000;
  const random = seededRandom(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += values[Math.floor(random() * n)] as number;
    means[r] = total / n;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  const at = (share: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(share * resamples)))] as number;
  return { mean, lower: at(alpha), upper: at(1 - alpha), n, confidence, method: 'bootstrap' };
}
