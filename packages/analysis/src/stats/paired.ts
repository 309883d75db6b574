/**
 * Tests on per-case differences d = score(B) − score(A) of paired cases: the paired t-test, the
 * clustered (cluster-robust) version of it, and the seeded percentile bootstrap of cases and of
 * clusters. Every function takes sufficient statistics (sums, a histogram of values, per-cluster
 * totals), which storage computes in SQL, so a million cases never become a million JavaScript
 * objects.
 */
import { seededRandom } from '@llm-lab/evaluation';
import { normalCdf, normalQuantile, studentTQuantile, studentTTwoSided } from './distributions.js';

/** n, Σd and Σd² of the per-case differences. */
export interface DifferenceSums {
  n: number;
  sum: number;
  sumSquares: number;
}

/** One cluster's cases and Σd (a subject, a passage, the repeats of a case). */
export interface ClusterTotal {
  n: number;
  sum: number;
}

/** How many cases had each difference (the binary case has at most three values: −1, 0, 1). */
export interface ValueCount {
  value: number;
  count: number;
}

/** An estimated mean difference, its interval and its test of "no difference". */
export interface DifferenceTest {
  method: 'paired-t' | 'clustered-t' | 'paired-bootstrap' | 'cluster-bootstrap';
  /** The mean difference, B − A. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  /** Two-sided p-value of "the mean difference is 0". */
  pValue: number;
  /** Paired cases. */
  n: number;
  /** The standard error (for the bootstrap, the resampled estimates' standard deviation). */
  standardError: number;
  /** Degrees of freedom of the t reference (n − 1, or clusters − 1). */
  df?: number;
  /** Clusters, for the clustered methods. */
  clusters?: number;
  /** Resamples and seed, for the bootstrap. */
  resamples?: number;
  seed?: number;
  /**
   * `normal`: the sample was too large for resampling within the work budget and the bootstrap
   * distribution was taken as its normal limit (mean ± z·s/√n).
   */
  approximation?: 'normal';
}

function checkSums({ n, sum, sumSquares }: DifferenceSums): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isFinite(sum) || !Number.isFinite(sumSquares)) {
    throw new RangeError(`paired test: needs a whole n ≥ 0 and finite sums, got n=${n}, sum=${sum}, sumSquares=${sumSquares}.`);
  }
}

/** The sums of a list of differences (for callers holding the values). */
export function differenceSums(differences: ArrayLike<number>): DifferenceSums {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < differences.length; i++) {
    const d = differences[i] as number;
    sum += d;
    sumSquares += d * d;
  }
  return { n: differences.length, sum, sumSquares };
}

/** The sample variance (n − 1 divisor) from sums, never negative. */
export function sampleVariance({ n, sum, sumSquares }: DifferenceSums): number {
  if (n < 2) return 0;
  return Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
}

function tResult(method: DifferenceTest['method'], estimate: number, se: number, df: number, n: number, confidence: number): DifferenceTest {
  if (se === 0 || !(df > 0)) {
    return { method, estimate, lower: estimate, upper: estimate, confidence, pValue: estimate === 0 || !(df > 0) ? 1 : 0, n, standardError: se, df: Math.max(0, df) };
  }
  const critical = studentTQuantile(1 - (1 - confidence) / 2, df);
  return {
    method,
    estimate,
    lower: estimate - critical * se,
    upper: estimate + critical * se,
    confidence,
    pValue: studentTTwoSided(estimate / se, df),
    n,
    standardError: se,
    df,
  };
}

/** The paired t-test: mean d over its standard error s/√n, against Student's t with n − 1 df. */
export function pairedTTest(sums: DifferenceSums, confidence = 0.95): DifferenceTest {
  checkSums(sums);
  if (sums.n === 0) return { method: 'paired-t', estimate: 0, lower: 0, upper: 0, confidence, pValue: 1, n: 0, standardError: 0, df: 0 };
  const estimate = sums.sum / sums.n;
  return tResult('paired-t', estimate, Math.sqrt(sampleVariance(sums) / sums.n), sums.n - 1, sums.n, confidence);
}

/**
 * The clustered t-test (Miller 2024, "Adding Error Bars to Evals", §2.2, eq. 4): the standard
 * error of the mean difference with cases correlated inside clusters,
 * SE² = C/(C−1) · Σ_c (S_c − n_c·d̄)² / n², where S_c is cluster c's Σd (the cluster-robust
 * "CR1" estimator; C/(C−1) is its small-sample correction), against t with C − 1 df.
 * With one case per cluster it is the paired t-test's standard error times √(n/(n−1))·√((n−1)/n) = the same.
 */
export function clusteredTTest(clusters: readonly ClusterTotal[], confidence = 0.95): DifferenceTest {
  let n = 0;
  let sum = 0;
  for (const cluster of clusters) {
    if (!Number.isInteger(cluster.n) || cluster.n < 0 || !Number.isFinite(cluster.sum)) throw new RangeError(`clusteredTTest: a cluster needs a whole n ≥ 0 and a finite sum, got n=${cluster.n}, sum=${cluster.sum}.`);
    n += cluster.n;
    sum += cluster.sum;
  }
  const used = clusters.filter((cluster) => cluster.n > 0);
  const count = used.length;
  if (n === 0) return { method: 'clustered-t', estimate: 0, lower: 0, upper: 0, confidence, pValue: 1, n: 0, standardError: 0, df: 0, clusters: 0 };
  const estimate = sum / n;
  let squares = 0;
  for (const cluster of used) squares += (cluster.sum - cluster.n * estimate) ** 2;
  const se = count < 2 ? 0 : Math.sqrt(((count / (count - 1)) * squares) / (n * n));
  return { ...tResult('clustered-t', estimate, se, count - 1, n, confidence), clusters: count };
}

export interface BootstrapTestOptions {
  confidence?: number;
  /** Default 2,000. */
  resamples?: number;
  /** Default 1. */
  seed?: number;
  /**
   * Most random draws to spend (resamples × draws per resample) before the normal limit is used
   * instead. Default 50,000,000 (about a second).
   */
  workBudget?: number;
}

/** The percentile interval and p-value (twice the smaller share of resamples on one side of 0, ties half). */
function percentileOutcome(estimates: Float64Array, confidence: number): { lower: number; upper: number; pValue: number; sd: number } {
  const resamples = estimates.length;
  let below = 0;
  let above = 0;
  let mean = 0;
  for (let i = 0; i < resamples; i++) {
    const value = estimates[i] as number;
    mean += value;
    if (value < 0) below++;
    else if (value > 0) above++;
    else {
      below += 0.5;
      above += 0.5;
    }
  }
  mean /= resamples;
  let squares = 0;
  for (let i = 0; i < resamples; i++) squares += ((estimates[i] as number) - mean) ** 2;
  estimates.sort();
  const alpha = (1 - confidence) / 2;
  const at = (share: number) => estimates[Math.min(resamples - 1, Math.max(0, Math.floor(share * resamples)))] as number;
  return { lower: at(alpha), upper: at(1 - alpha), pValue: Math.min(1, (2 * Math.min(below, above)) / resamples), sd: Math.sqrt(squares / Math.max(1, resamples - 1)) };
}

/**
 * A Binomial(n, p) draw: inversion from 0 (exact) while n·min(p, 1−p) ≤ 500, else the normal
 * limit rounded (where the two differ by less than the draw's own granularity matters).
 */
function binomialDraw(n: number, p: number, random: () => number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const flip = p > 0.5;
  const q = flip ? 1 - p : p;
  let drawn: number;
  if (n * q > 500) {
    // Box–Muller.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    drawn = Math.min(n, Math.max(0, Math.round(n * q + z * Math.sqrt(n * q * (1 - q)))));
  } else {
    const ratio = q / (1 - q);
    let pmf = Math.pow(1 - q, n);
    let cdf = pmf;
    const u = random();
    drawn = 0;
    while (u > cdf && drawn < n) {
      pmf *= (ratio * (n - drawn)) / (drawn + 1);
      drawn++;
      cdf += pmf;
    }
  }
  return flip ? n - drawn : drawn;
}

/**
 * The paired bootstrap: cases resampled with replacement, the mean difference of each resample,
 * the percentile interval, and the p-value of "no difference" as twice the smaller share of
 * resampled means on one side of zero. The cases are given as a histogram of their differences:
 * a resample is a multinomial draw of counts over the histogram's values (drawn as successive
 * binomials), which is the same distribution as drawing n cases one by one, at a cost that grows
 * with the number of distinct values rather than with n. Seeded: the same data and seed always
 * give the same interval.
 */
export function pairedBootstrap(histogram: readonly ValueCount[], options: BootstrapTestOptions = {}): DifferenceTest {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 2_000;
  const seed = options.seed ?? 1;
  const cells = histogram.filter((cell) => cell.count > 0);
  let n = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const cell of cells) {
    if (!Number.isInteger(cell.count) || !Number.isFinite(cell.value)) throw new RangeError(`pairedBootstrap: a histogram cell needs a whole count and a finite value, got ${cell.count} × ${cell.value}.`);
    n += cell.count;
    sum += cell.count * cell.value;
    sumSquares += cell.count * cell.value * cell.value;
  }
  const base = { method: 'paired-bootstrap' as const, confidence, n, resamples, seed };
  if (n === 0) return { ...base, estimate: 0, lower: 0, upper: 0, pValue: 1, standardError: 0 };
  const estimate = sum / n;
  // Draws per resample: one binomial per cell; inversion costs about n·p steps each.
  const work = resamples * (cells.length + Math.min(n, 500 * cells.length));
  if (work > (options.workBudget ?? 50_000_000)) {
    const se = Math.sqrt(sampleVariance({ n, sum, sumSquares }) / n);
    const z = normalQuantile(1 - (1 - confidence) / 2);
    const pValue = se === 0 ? (estimate === 0 ? 1 : 0) : Math.min(1, 2 * (1 - normalCdf(Math.abs(estimate) / se)));
    return { ...base, estimate, lower: estimate - z * se, upper: estimate + z * se, pValue, standardError: se, approximation: 'normal' };
  }
  const random = seededRandom(seed);
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let remaining = n;
    let remainingShare = 1;
    let total = 0;
    for (let i = 0; i < cells.length && remaining > 0; i++) {
      const cell = cells[i] as ValueCount;
      const share = cell.count / n;
      const drawn = i === cells.length - 1 ? remaining : binomialDraw(remaining, Math.min(1, share / remainingShare), random);
      total += drawn * cell.value;
      remaining -= drawn;
      remainingShare -= share;
    }
    estimates[r] = total / n;
  }
  const outcome = percentileOutcome(estimates, confidence);
  return { ...base, estimate, lower: outcome.lower, upper: outcome.upper, pValue: outcome.pValue, standardError: outcome.sd };
}

/**
 * The cluster bootstrap: whole clusters resampled with replacement (Miller 2024, §2.2: the
 * bootstrap's answer to correlated cases), the estimate of each resample being Σ sums / Σ cases of
 * the drawn clusters. Percentile interval and two-sided p-value as in {@link pairedBootstrap}.
 */
export function clusterBootstrap(clusters: readonly ClusterTotal[], options: BootstrapTestOptions = {}): DifferenceTest {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 2_000;
  const seed = options.seed ?? 1;
  const used = clusters.filter((cluster) => cluster.n > 0);
  const count = used.length;
  let n = 0;
  let sum = 0;
  for (const cluster of used) {
    n += cluster.n;
    sum += cluster.sum;
  }
  const base = { method: 'cluster-bootstrap' as const, confidence, n, resamples, seed, clusters: count };
  if (n === 0) return { ...base, estimate: 0, lower: 0, upper: 0, pValue: 1, standardError: 0 };
  const estimate = sum / n;
  if (resamples * count > (options.workBudget ?? 50_000_000)) {
    const clustered = clusteredTTest(used, confidence);
    return { ...clustered, ...base, approximation: 'normal' };
  }
  const sizes = Float64Array.from(used, (cluster) => cluster.n);
  const sums = Float64Array.from(used, (cluster) => cluster.sum);
  const random = seededRandom(seed);
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let drawnCases = 0;
    let drawnSum = 0;
    for (let i = 0; i < count; i++) {
      const pick = Math.floor(random() * count);
      drawnCases += sizes[pick] as number;
      drawnSum += sums[pick] as number;
    }
    estimates[r] = drawnSum / drawnCases;
  }
  const outcome = percentileOutcome(estimates, confidence);
  return { ...base, estimate, lower: outcome.lower, upper: outcome.upper, pValue: outcome.pValue, standardError: outcome.sd };
}
