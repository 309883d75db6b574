import { passAtK } from '../../metrics/pass-at-k.js';

/**
 * pass@k for code evaluation. The per-problem estimator is the metrics module's `passAtK` (Chen et
 * al. 2021, unbiased: 1 − C(n−c, k)/C(n, k), computed as a running product); this module adds
 * the averages over problems that a HumanEval report needs.
 */
export { passAtK };

/** pass@k averaged over problems, each given as its sample count `n` and passing count `c`. NaN for no problems. */
export function meanPassAtK(problems: ReadonlyArray<{ n: number; c: number }>, k: number): number {
  if (problems.length === 0) return Number.NaN;
  return problems.reduce((sum, { n, c }) => sum + passAtK(n, c, k), 0) / problems.length;
}

/** What {@link passAtKFromResults} computed. */
export interface PassAtKSummary {
  k: number;
  /** Mean pass@k over the problems with at least k samples. NaN when there are none. */
  value: number;
  /** Problems counted. */
  problems: number;
  /** Problems left out because they had fewer than k samples. */
  skipped: number;
}

/**
 * pass@k from result rows (one per sample, e.g. per repeat): rows are grouped by `caseId`; a row
 * with `passed: null` (an error) counts as a failed sample. Problems with fewer than k samples
 * are skipped and counted in `skipped`.
 */
export function passAtKFromResults(results: Iterable<{ caseId: string; passed: boolean | null }>, k: number): PassAtKSummary {
  const byCase = new Map<string, { n: number; c: number }>();
  for (const { caseId, passed } of results) {
    const entry = byCase.get(caseId) ?? { n: 0, c: 0 };
    entry.n++;
    if (passed === true) entry.c++;
    byCase.set(caseId, entry);
  }
  const eligible = [...byCase.values()].filter(({ n }) => n >= k);
  return { k, value: meanPassAtK(eligible, k), problems: eligible.length, skipped: byCase.size - eligible.length };
}
