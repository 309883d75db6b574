/** Plain-language verdicts on a paired difference (B − A, on the 0–1 scale, said in points). */

export type VerdictOutcome = 'b-better' | 'b-worse' | 'no-detectable-difference' | 'below-min-effect';

export interface Verdict {
  outcome: VerdictOutcome;
  /** One sentence: "B is better than A by 4.1 points [1.2, 7.0], p = 0.006 (McNemar, 1,319 paired cases)". */
  text: string;
}

export interface VerdictInput {
  nameA: string;
  nameB: string;
  /** B − A (0–1 scale). */
  estimate: number;
  lower: number;
  upper: number;
  /** The p-value the decision uses (after correction, when there is one). */
  pValue: number;
  /** Default 0.05. */
  alpha?: number;
  /** The test's name as shown: `McNemar`, `paired t`, `clustered t, 57 clusters`. */
  method: string;
  /** Paired cases. */
  n: number;
  /** The minimum detectable effect at 80% power for this sample (0–1), when known. */
  mde?: number | null;
  /** A difference smaller than this is not worth acting on even when significant (0–1). Default 0. */
  minEffect?: number;
  /** Words after the p-value, such as `Holm-adjusted`. */
  adjustment?: string;
}

const points = (value: number) => (Math.abs(value * 100) < 0.05 ? '0.0' : (value * 100).toFixed(1));
const count = (value: number) => value.toLocaleString('en');

/** `p = 0.006`, `p < 0.001`, `p = 0.54`. */
export function formatPValue(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  if (p >= 0.1) return `p = ${p.toFixed(2)}`;
  return `p = ${p.toFixed(3)}`;
}

/** The verdict on B against A. */
export function verdictOf(input: VerdictInput): Verdict {
  const alpha = input.alpha ?? 0.05;
  const minEffect = input.minEffect ?? 0;
  const p = `${formatPValue(input.pValue)}${input.adjustment ? ` ${input.adjustment}` : ''}`;
  const how = `(${input.method}, ${count(input.n)} paired case${input.n === 1 ? '' : 's'})`;
  const detectable = input.mde !== undefined && input.mde !== null && Number.isFinite(input.mde) ? `could detect ≥ ${points(input.mde)} points` : 'too few cases to detect any difference';
  if (input.n === 0) return { outcome: 'no-detectable-difference', text: `no paired cases: ${input.nameA} and ${input.nameB} share no scored case` };
  if (input.pValue >= alpha) {
    const signed = `${input.estimate >= 0 ? '+' : ''}${points(input.estimate)}`;
    return {
      outcome: 'no-detectable-difference',
      text: `no detectable difference between ${input.nameB} and ${input.nameA} (${detectable}): ${input.nameB} − ${input.nameA} = ${signed} points [${points(input.lower)}, ${points(input.upper)}], ${p} ${how}`,
    };
  }
  const better = input.estimate > 0;
  const [low, high] = better ? [input.lower, input.upper] : [-input.upper, -input.lower];
  const sentence = `${input.nameB} is ${better ? 'better' : 'worse'} than ${input.nameA} by ${points(Math.abs(input.estimate))} points [${points(low)}, ${points(high)}], ${p} ${how}`;
  if (Math.abs(input.estimate) < minEffect) {
    return { outcome: 'below-min-effect', text: `${sentence}, below the ${points(minEffect)}-point minimum effect` };
  }
  return { outcome: better ? 'b-better' : 'b-worse', text: sentence };
}
