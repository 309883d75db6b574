/** How a percentile is picked from samples. */
export type PercentileMethod = 'linear' | 'nearest-rank';

/**
 * The `p`th percentile (0–100) of `values`; undefined for no values.
 *
 * - `linear` (default): interpolates between the two closest ranks, position `(n - 1) · p / 100`
 *   over the sorted values: NumPy's default, Excel's PERCENTILE.INC.
 * - `nearest-rank`: the smallest value with at least `p`% of values at or below it
 *   (rank `⌈p / 100 · n⌉`); always an observed value.
 *
 * Pass `sorted: true` when `values` is already in ascending order to skip the copy and sort.
 */
export function percentile(
  values: ArrayLike<number>,
  p: number,
  options: { method?: PercentileMethod; sorted?: boolean } = {},
): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile needs 0 ≤ p ≤ 100, got ${p}.`);
  const count = values.length;
  if (count === 0) return undefined;
  const sorted = options.sorted ? values : Float64Array.from(values).sort();
  if (options.method === 'nearest-rank') {
    const rank = Math.max(1, Math.ceil((p / 100) * count));
    return sorted[rank - 1] as number;
  }
  const position = ((count - 1) * p) / 100;
  const below = Math.floor(position);
  const above = Math.min(count - 1, below + 1);
  const fraction = position - below;
  return (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * fraction;
}
