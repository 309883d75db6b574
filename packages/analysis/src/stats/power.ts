/**
 * Power, minimum detectable effect and sample size for paired comparisons (normal
 * approximations, as in Miller 2024, "Adding Error Bars to Evals", §5, and Connor 1987 for
 * McNemar's test). Differences are on the 0–1 scale (0.03 = 3 points of accuracy).
 */
import { normalCdf, normalQuantile } from './distributions.js';

function zTwoSided(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${alpha}.`);
  return normalQuantile(1 - alpha / 2);
}
function zPower(power: number): number {
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be between 0 and 1, got ${power}.`);
  return normalQuantile(power);
}

/**
 * The power of McNemar's test on `n` paired cases when a share `discordance` of them are
 * discordant (A right and B wrong, or the reverse) and B's accuracy exceeds A's by `effect`:
 * Φ((|δ|·√n − z_{α/2}·√ψ) / √(ψ − δ²)) (Connor, "Sample size for testing differences in
 * proportions for the paired-sample design", Biometrics 43:207, 1987).
 */
export function mcnemarPower(n: number, discordance: number, effect: number, alpha = 0.05): number {
  const delta = Math.abs(effect);
  if (!(discordance > 0 && discordance <= 1)) throw new RangeError(`discordance must be in (0, 1], got ${discordance}.`);
  if (delta >= discordance) return 1;
  return normalCdf((delta * Math.sqrt(n) - zTwoSided(alpha) * Math.sqrt(discordance)) / Math.sqrt(discordance - delta * delta));
}

/** Paired cases McNemar's test needs to detect `effect` with `power` (Connor 1987, inverted). */
export function mcnemarSampleSize(discordance: number, effect: number, options: { alpha?: number; power?: number } = {}): number {
  const delta = Math.abs(effect);
  if (!(delta > 0)) throw new RangeError(`the effect to detect must be above 0, got ${effect}.`);
  if (!(discordance > delta && discordance <= 1)) throw new RangeError(`discordance (${discordance}) must exceed the effect (${delta}) and be at most 1: B can only gain on cases where the two disagree.`);
  const za = zTwoSided(options.alpha ?? 0.05);
  const zb = zPower(options.power ?? 0.8);
  return Math.ceil((za * Math.sqrt(discordance) + zb * Math.sqrt(discordance - delta * delta)) ** 2 / (delta * delta));
}

/**
 * The smallest accuracy difference McNemar's test detects with `power` on `n` paired cases at
 * this discordance (the δ where {@link mcnemarPower} reaches `power`, by bisection).
 */
export function mcnemarMinimumDetectableEffect(n: number, discordance: number, options: { alpha?: number; power?: number } = {}): number {
  if (!(n > 0)) return Number.POSITIVE_INFINITY;
  if (!(discordance > 0)) return 0;
  const power = options.power ?? 0.8;
  const alpha = options.alpha ?? 0.05;
  let low = 0;
  let high = discordance;
  for (let i = 0; i < 100; i++) {
    const middle = (low + high) / 2;
    if (mcnemarPower(n, discordance, middle, alpha) < power) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The smallest mean difference a paired test detects with `power` on `n` cases whose differences
 * have standard deviation `sd`: (z_{α/2} + z_β)·sd/√n (Miller 2024, eq. 9 with the paired variance).
 * Pass a clustered standard error's `sd·√n` equivalent as `sd` to account for clustering.
 */
export function meanDifferenceMinimumDetectableEffect(n: number, sd: number, options: { alpha?: number; power?: number } = {}): number {
  if (!(n > 0)) return Number.POSITIVE_INFINITY;
  return ((zTwoSided(options.alpha ?? 0.05) + zPower(options.power ?? 0.8)) * sd) / Math.sqrt(n);
}

/** The power of a paired mean test (normal approximation) at this effect. */
export function meanDifferencePower(n: number, sd: number, effect: number, alpha = 0.05): number {
  if (sd === 0) return effect === 0 ? alpha : 1;
  return normalCdf((Math.abs(effect) * Math.sqrt(n)) / sd - zTwoSided(alpha));
}

/** What `llm-lab plan` answers. */
export interface SamplePlan {
  baseline: number;
  /** The difference to detect (0–1). */
  mde: number;
  alpha: number;
  power: number;
  /** Share of cases where the two models disagree, assumed for the paired design. */
  discordance: number;
  /** Where the discordance came from. */
  discordanceSource: 'given' | 'independent models (an upper bound for models that agree more than chance)';
  /** Cases for a paired comparison of two models on the same cases (McNemar). */
  pairedCases: number;
  /** Cases per model for two independent samples (different cases), for comparison. */
  unpairedCasesPerModel: number;
  /** The 95% interval half-width of one model's accuracy at the baseline with `pairedCases` cases. */
  halfWidthAtPairedCases: number;
}

/**
 * How many cases a comparison needs: the paired design (McNemar, Connor 1987) at the given or
 * assumed discordance, and the unpaired two-proportion design for contrast (Fleiss, "Statistical
 * Methods for Rates and Proportions", 3rd ed., eq. 4.14 without continuity correction).
 */
export function planSampleSize(input: { baseline: number; mde: number; alpha?: number; power?: number; discordance?: number }): SamplePlan {
  const { baseline, mde } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  if (!(baseline > 0 && baseline < 1)) throw new RangeError(`--baseline must be an accuracy between 0 and 1 (0.7 for 70%), got ${baseline}.`);
  if (!(mde > 0 && baseline + mde <= 1)) throw new RangeError(`--mde must be above 0 with baseline + mde ≤ 1 (0.03 for 3 points), got ${mde}.`);
  const other = baseline + mde;
  const independent = baseline * (1 - other) + other * (1 - baseline);
  const discordance = input.discordance ?? independent;
  const za = zTwoSided(alpha);
  const zb = zPower(power);
  const mean = (baseline + other) / 2;
  const unpaired = Math.ceil((za * Math.sqrt(2 * mean * (1 - mean)) + zb * Math.sqrt(baseline * (1 - baseline) + other * (1 - other))) ** 2 / (mde * mde));
  const pairedCases = mcnemarSampleSize(discordance, mde, { alpha, power });
  return {
    baseline,
    mde,
    alpha,
    power,
    discordance,
    discordanceSource: input.discordance === undefined ? 'independent models (an upper bound for models that agree more than chance)' : 'given',
    pairedCases,
    unpairedCasesPerModel: unpaired,
    halfWidthAtPairedCases: normalQuantile(0.975) * Math.sqrt((baseline * (1 - baseline)) / pairedCases),
  };
}
