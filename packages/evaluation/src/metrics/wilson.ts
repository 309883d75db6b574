/** A two-sided confidence interval for a proportion, both ends in [0, 1]. */
export interface ProportionInterval {
  lower: number;
  upper: number;
  /** The confidence level the interval was computed for, e.g. 0.95. */
  confidence: number;
}

/**
 * The standard normal quantile: the z with P(Z ≤ z) = p, by Acklam's rational approximation
 * (relative error below 1.2e-9). Throws for p outside (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}.`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/** Options of {@link wilsonInterval}: a confidence level, or the z value directly. */
export interface WilsonOptions {
  /** Two-sided confidence level in (0, 1). Default 0.95. Ignored when `z` is given. */
  confidence?: number;
  /** The normal quantile to use (1.96 for 95%). Overrides `confidence`. */
  z?: number;
}

/**
 * The Wilson score interval for `successes` out of `trials` (default 95%). Unlike the normal
 * approximation it stays inside [0, 1] and is sensible at 0/n and n/n. With no trials it
 * returns [0, 1]: nothing is known. Throws for negative counts or successes > trials.
 */
export function wilsonInterval(successes: number, trials: number, options: WilsonOptions = {}): ProportionInterval {
  if (!Number.isFinite(successes) || !Number.isFinite(trials) || successes < 0 || trials < 0 || successes > trials) {
    throw new RangeError(`wilsonInterval needs 0 ≤ successes ≤ trials, got ${successes} of ${trials}.`);
  }
  const confidence = options.confidence ?? 0.95;
  const z = options.z ?? normalQuantile(1 - (1 - confidence) / 2);
  if (trials === 0) return { lower: 0, upper: 1, confidence };
  const proportion = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (proportion + z2 / (2 * trials)) / denominator;
  const margin = (z * Math.sqrt((proportion * (1 - proportion)) / trials + z2 / (4 * trials * trials))) / denominator;
  // Clamp away floating-point dust at the ends (0/n must give exactly 0, n/n exactly 1).
  return {
    lower: successes === 0 ? 0 : Math.max(0, centre - margin),
    upper: successes === trials ? 1 : Math.min(1, centre + margin),
    confidence,
  };
}
