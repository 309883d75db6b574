/**
 * Latency and cost as paired distributions: p50 and p95 of each side (exact, from SQL) with
 * percentile-bootstrap intervals resampled from a bounded sample of paired cases, and the
 * difference of B's percentile and A's with a paired bootstrap (cases drawn together, so the
 * pairing is kept).
 */
import { percentile, seededRandom } from '@llm-lab/evaluation';
import type { PairedDistribution, PercentileEstimate } from './types.js';

const RESAMPLES = 200;

/**
 * The 50th and 95th percentiles (as `percentile` computes them: linear between ranks) of a
 * resample of `n` values given as how many times each value was drawn, walking the values once
 * in ascending order (`order`: their indexes by value), where sorting each resample cost most of a
 * comparison's JavaScript time. The four ranks read are the same for every resample.
 */
function percentileWalker(n: number): (values: Float64Array, order: Int32Array, counts: Int32Array, out: Float64Array) => void {
  const positions = [50, 95].map((p) => ((n - 1) * p) / 100);
  // The rank below and above each position, and the order to read them in (for two or three
  // values, p95's rank below is p50's, not past its rank above).
  const ranks = positions.flatMap((position) => [Math.floor(position), Math.min(n - 1, Math.floor(position) + 1)]);
  const byRank = [...ranks.keys()].sort((x, y) => (ranks[x] as number) - (ranks[y] as number));
  const at = new Float64Array(ranks.length);
  return (values, order, counts, out) => {
    let seen = 0;
    let next = 0;
    for (let i = 0; i < n && next < byRank.length; i++) {
      const index = order[i] as number;
      seen += counts[index] as number;
      while (next < byRank.length && (ranks[byRank[next] as number] as number) < seen) at[byRank[next++] as number] = values[index] as number;
    }
    positions.forEach((position, k) => {
      const below = at[2 * k] as number;
      out[k] = below + ((at[2 * k + 1] as number) - below) * (position - Math.floor(position));
    });
  };
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
  const valuesA = Float64Array.from(usable, (pair) => pair[0]);
  const valuesB = Float64Array.from(usable, (pair) => pair[1]);
  const orderOf = (values: Float64Array) => Int32Array.from(values.keys()).sort((x, y) => (values[x] as number) - (values[y] as number));
  const [orderA, orderB] = [orderOf(valuesA), orderOf(valuesB)];
  const counts = new Int32Array(n);
  const quantiles = new Float64Array(2);
  const percentilesOf = percentileWalker(n);
  const estimates = { a50: new Float64Array(RESAMPLES), a95: new Float64Array(RESAMPLES), b50: new Float64Array(RESAMPLES), b95: new Float64Array(RESAMPLES) };
  for (let r = 0; r < RESAMPLES; r++) {
    // Cases drawn together (the pairing kept): how many times each was drawn.
    counts.fill(0);
    for (let i = 0; i < n; i++) (counts[Math.floor(random() * n)] as number)++;
    percentilesOf(valuesA, orderA, counts, quantiles);
    [estimates.a50[r], estimates.a95[r]] = [quantiles[0] as number, quantiles[1] as number];
    percentilesOf(valuesB, orderB, counts, quantiles);
    [estimates.b50[r], estimates.b95[r]] = [quantiles[0] as number, quantiles[1] as number];
  }
  const d50 = estimates.b50.map((value, r) => value - (estimates.a50[r] as number));
  const d95 = estimates.b95.map((value, r) => value - (estimates.a95[r] as number));
  const withInterval = (estimate: PercentileEstimate, draws: Float64Array): PercentileEstimate => ({ ...estimate, ...interval(draws, options.confidence) });
  result.a = { p50: withInterval(result.a.p50, estimates.a50), p95: withInterval(result.a.p95, estimates.a95) };
  result.b = { p50: withInterval(result.b.p50, estimates.b50), p95: withInterval(result.b.p95, estimates.b95) };
  result.difference = { p50: withInterval(result.difference.p50, d50), p95: withInterval(result.difference.p95, d95) };
  return result;
}
