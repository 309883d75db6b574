/** Multiple-comparison corrections of a family of p-values (adjusted p-values, same order). */
export type Correction = 'holm' | 'bh' | 'none';

/**
 * Holm's step-down adjustment (Holm 1979): controls the family-wise error rate, with no
 * assumption about how the tests depend on each other; uniformly more powerful than Bonferroni.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg's step-up adjustment (1995): controls the false discovery rate (the
 * expected share of "significant" findings that are not), for independent or positively
 * dependent tests. Less strict than Holm; for screening many categories.
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => b.p - a.p);
  const adjusted = new Array<number>(m);
  let running = 1;
  order.forEach(({ p, index }, position) => {
    const rank = m - position;
    running = Math.min(running, (m * p) / rank);
    adjusted[index] = Math.min(1, running);
  });
  return adjusted;
}

/** Adjusts with the named correction (`none` returns the p-values as they are). */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  if (correction === 'holm') return holmAdjust(pValues);
  if (correction === 'bh') return benjaminiHochbergAdjust(pValues);
  if (correction === 'none') return [...pValues];
  throw new RangeError(`correction must be holm, bh or none, got ${String(correction)}.`);
}

/** The correction's name in words, for reports. */
export function describeCorrection(correction: Correction): string {
  return correction === 'holm' ? 'Holm (family-wise error rate)' : correction === 'bh' ? 'Benjamini–Hochberg (false discovery rate)' : 'none';
}
