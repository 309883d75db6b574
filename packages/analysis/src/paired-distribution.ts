/**
 * Latency and cost as paired distributions: p50 and p95 of each side (exact, from SQL) with
 * percentile-bootstrap intervals resampled from a bounded sample of paired cases, and the
 * difference of B's percentile and A's with a paired bootstrap (cases drawn together, so the
 * pairing is kept).
 */
import { percentile, seededRandom } from '@llm-lab/evaluation';
import type { PairedDistribution, PercentileEstimate } from './types.js';

const RESAMPLES = 200;

function quantileOf(values: Float64Array, count: number, p: number): number {
  const sorted = values.subarray(0, count).sort();
  return percentile(sorted, p, { sorted: true }) as number;
}

function interval(estimates: Float64Array, confidence: number): { lower: number; upper: number } {
  estimates.sort();
  const alpha = (1 - confidence) / 2;
  const at = (share: number) => estimates[Math.min(estimates.length - 1, Math.max(0, Math.floor(share * estimates.length)))] as number;
  return { lower: at(alpha), upper: at(1 - alpha) };
}

/**
 * `exact` are the percentiles over every paired case (SQL); `pairs` the sampled (a, b) values.
 * Pairs where either value is missing are left out of the resampling.
 */
export function pairedDistribution(
  given: { a: { p50: number | null; p95: number | null }; b: { p50: number | null; p95: number | null } },
  pairs: ReadonlyArray<readonly [number | null, number | null]>,
  options: { seed: number; confidence: number; exact: boolean },
): PairedDistribution {
  let exact = given;
  const usable = pairs.filter((pair): pair is readonly [number, number] => pair[0] !== null && pair[1] !== null);
  const n = usable.length;
  if (!options.exact && n > 0) {
    // Too many paired cases for exact percentiles in SQL: the sample's stand for them.
    const sideOf = (index: 0 | 1) => Float64Array.from(usable, (pair) => pair[index]).sort();
    const [a, b] = [sideOf(0), sideOf(1)];
    exact = { a: { p50: percentile(a, 50, { sorted: true }) ?? null, p95: percentile(a, 95, { sorted: true }) ?? null }, b: { p50: percentile(b, 50, { sorted: true }) ?? null, p95: percentile(b, 95, { sorted: true }) ?? null } };
  }
  const empty = (value: number | null): PercentileEstimate => ({ value, lower: null, upper: null });
  const differenceOf = (b: number | null, a: number | null) => (a === null || b === null ? null : b - a);
  const result: PairedDistribution = {
    a: { p50: empty(exact.a.p50), p95: empty(exact.a.p95) },
    b: { p50: empty(exact.b.p50), p95: empty(exact.b.p95) },
    difference: { p50: empty(differenceOf(exact.b.p50, exact.a.p50)), p95: empty(differenceOf(exact.b.p95, exact.a.p95)) },
    sampled: n,
    exact: options.exact,
  };
  if (n < 2) return result;
  const random = seededRandom(options.seed);
  const drawnA = new Float64Array(n);
  const drawnB = new Float64Array(n);
  const estimates = { a50: new Float64Array(RESAMPLES), a95: new Float64Array(RESAMPLES), b50: new Float64Array(RESAMPLES), b95: new Float64Array(RESAMPLES) };
  for (let r = 0; r < RESAMPLES; r++) {
    for (let i = 0; i < n; i++) {
      const pair = usable[Math.floor(random() * n)] as readonly [number, number];
      drawnA[i] = pair[0];
      drawnB[i] = pair[1];
    }
    estimates.a50[r] = quantileOf(drawnA, n, 50);
    estimates.a95[r] = quantileOf(drawnA, n, 95);
    estimates.b50[r] = quantileOf(drawnB, n, 50);
    estimates.b95[r] = quantileOf(drawnB, n, 95);
  }
  const d50 = estimates.b50.map((value, r) => value - (estimates.a50[r] as number));
  const d95 = estimates.b95.map((value, r) => value - (estimates.a95[r] as number));
  const withInterval = (estimate: PercentileEstimate, draws: Float64Array): PercentileEstimate => ({ ...estimate, ...interval(draws, options.confidence) });
  result.a = { p50: withInterval(result.a.p50, estimates.a50), p95: withInterval(result.a.p95, estimates.a95) };
  result.b = { p50: withInterval(result.b.p50, estimates.b50), p95: withInterval(result.b.p95, estimates.b95) };
  result.difference = { p50: withInterval(result.difference.p50, d50), p95: withInterval(result.difference.p95, d95) };
  return result;
}
