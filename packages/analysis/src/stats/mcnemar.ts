import { binomialCdf, binomialPmf, normalQuantile } from './distributions.js';

/**
 * Below this many discordant pairs McNemar's test is the exact conditional binomial test; from it
 * on, the mid-p binomial test. The exact test never rejects more often than α but is conservative
 * (at 100 discordant pairs it rejects 3.5% of the time at α = 0.05); the mid-p test keeps close to
 * α and, in Fagerland, Lydersen & Laake's study of 9,900 designs ("The McNemar test for binary
 * matched-pairs data: mid-p and asymptotic are better than exact conditional", BMC Medical Research
 * Methodology 13:91, 2013), never exceeded it. The threshold of 25 is the usual rule for when the
 * large-sample McNemar statistic may be trusted (b + c ≥ 25); below it the guarantee of the exact
 * test is worth its conservatism.
 */
export const MCNEMAR_MID_P_FROM = 25;

/** McNemar's test on paired pass/fail outcomes. */
export interface McNemarResult {
  /** Cases A passed and B failed. */
  aOnly: number;
  /** Cases B passed and A failed. */
  bOnly: number;
  /** aOnly + bOnly. */
  discordant: number;
  /** `exact` (two-sided exact binomial on the discordant pairs) or `mid-p` (its mid-p version). */
  method: 'exact' | 'mid-p';
  /** Two-sided p-value. */
  pValue: number;
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`mcnemar: ${name} must be a whole number ≥ 0, got ${value}.`);
}

/**
 * McNemar's test: under "A and B are equally accurate" each discordant pair is A's or B's with
 * probability ½, so the smaller count is a Binomial(discordant, ½) tail. The two-sided p-value
 * doubles that tail (exact, symmetric); the mid-p version counts the observed outcome's own
 * probability half. Which one is used is {@link MCNEMAR_MID_P_FROM}'s rule unless `method` says.
 */
export function mcnemarTest(aOnly: number, bOnly: number, options: { method?: 'exact' | 'mid-p' } = {}): McNemarResult {
  checkCount('aOnly', aOnly);
  checkCount('bOnly', bOnly);
  const discordant = aOnly + bOnly;
  const method = options.method ?? (discordant < MCNEMAR_MID_P_FROM ? 'exact' : 'mid-p');
  // Equal counts are the null's most likely outcome: p = 1 exactly (the sum below rounds to 1 − ε).
  if (aOnly === bOnly) return { aOnly, bOnly, discordant, method, pValue: 1 };
  const smaller = Math.min(aOnly, bOnly);
  const tail = binomialCdf(smaller, discordant, 0.5);
  const pValue = method === 'exact' ? 2 * tail : 2 * (tail - 0.5 * binomialPmf(smaller, discordant, 0.5));
  return { aOnly, bOnly, discordant, method, pValue: Math.min(1, pValue) };
}

/** A difference of two paired proportions (B − A) with its interval. */
export interface PairedProportionDifference {
  difference: number;
  lower: number;
  upper: number;
  confidence: number;
  method: 'agresti-min';
}

/**
 * The interval of B's accuracy minus A's on `n` paired cases, from the discordant counts: the
 * Wald interval after adding ½ to each of the four cells (Agresti & Min, "Simple improved
 * confidence intervals for comparing matched proportions", Statistics in Medicine 24:729, 2005),
 * which keeps close to its nominal coverage even with few discordant pairs. The point estimate is
 * the observed difference (bOnly − aOnly) / n.
 */
export function pairedProportionInterval(aOnly: number, bOnly: number, n: number, confidence = 0.95): PairedProportionDifference {
  checkCount('aOnly', aOnly);
  checkCount('bOnly', bOnly);
  if (!Number.isInteger(n) || n < aOnly + bOnly || n < 1) throw new RangeError(`pairedProportionInterval: n (${n}) must be a whole number ≥ the discordant pairs (${aOnly + bOnly}) and ≥ 1.`);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const a = aOnly + 0.5;
  const b = bOnly + 0.5;
  const total = n + 2;
  const centre = (b - a) / total;
  const se = Math.sqrt(a + b - (b - a) ** 2 / total) / total;
  return {
    difference: (bOnly - aOnly) / n,
    lower: Math.max(-1, centre - z * se),
    upper: Math.min(1, centre + z * se),
    confidence,
    method: 'agresti-min',
  };
}
