/**
 * The comparison's plain-JSON shape (`compareRuns` returns it; `--json` prints it; the report
 * package renders it). Every number is on the 0–1 scale for accuracies and differences,
 * milliseconds for latency and US dollars for cost. Version 1.
 */
import type { Correction, DifferenceTest, PassAtKEstimate, Verdict } from './stats/index.js';

export interface SideRef {
  runId: string;
  providerId: string;
  promptId: string;
  /** The provider's id and the model the vendor reported, when stored. */
  provider: string | null;
  model: string | null;
  /** How the side is named in verdicts: the provider label, with the prompt and run when needed. */
  label: string;
}

/** An accuracy (or mean score) with its interval (Wilson for pass rates, t for mean scores). */
export interface RateEstimate {
  value: number | null;
  lower: number | null;
  upper: number | null;
  /** Scored results (errors are left out) and, for pass rates, those passed. */
  scored: number;
  passed: number;
}

/** A percentile with a bootstrap interval. */
export interface PercentileEstimate {
  value: number | null;
  lower: number | null;
  upper: number | null;
}

/** Latency or cost per case of both sides over the paired cases. */
export interface PairedDistribution {
  a: { p50: PercentileEstimate; p95: PercentileEstimate };
  b: { p50: PercentileEstimate; p95: PercentileEstimate };
  /** p50 and p95 of B minus A's (paired bootstrap over cases). */
  difference: { p50: PercentileEstimate; p95: PercentileEstimate };
  /** Paired cases the intervals were resampled from (a deterministic sample of 2,000 when there are more). */
  sampled: number;
  /** The percentiles are over every paired case (up to 200,000 of them); else they are the sample's. */
  exact: boolean;
}

/** The primary test of a pair (or a category): the one its verdict uses. */
export interface PrimaryTest {
  /** `mcnemar` (pass/fail without repeats), `paired-t` (per-case means), `clustered-t` (with a cluster field). */
  method: 'mcnemar' | 'paired-t' | 'clustered-t';
  /** How it was computed, in words: `McNemar mid-p`, `paired t, 199 df`, `clustered t, 56 clusters`. */
  description: string;
  pValue: number;
  /** After the multiple-comparison correction of its family. */
  pAdjusted: number;
  /** McNemar's discordant counts: A passed and B failed, and the reverse. */
  aOnly?: number;
  bOnly?: number;
}

export interface GroupComparison {
  /** The value of the `by` field (null: cases without one). */
  group: string | null;
  n: number;
  accuracyA: number | null;
  accuracyB: number | null;
  estimate: number;
  lower: number;
  upper: number;
  test: PrimaryTest;
  minimumDetectableEffect: number | null;
  verdict: Verdict;
}

export interface FlipList {
  count: number;
  /** The first cases in case order (up to 50). */
  cases: Array<{ caseId: string; caseIndex: number; group: string | null }>;
}

export interface PairComparison {
  a: SideRef;
  b: SideRef;
  /** Paired cases (scored on both sides). */
  n: number;
  /** Scored cases of one side that the other did not score (errors, or a case it lacks). */
  unpairedA: number;
  unpairedB: number;
  /** Samples per case (repeats) on each side. */
  samplesA: number;
  samplesB: number;
  metric: 'passed' | 'score';
  accuracyA: RateEstimate;
  accuracyB: RateEstimate;
  /** B − A over paired cases, with the primary method's interval. */
  difference: { estimate: number; lower: number; upper: number; confidence: number; method: string };
  test: PrimaryTest;
  /** Every test computed, for whoever wants a second opinion (paired t, bootstrap, clustered). */
  tests: DifferenceTest[];
  /** The smallest difference this sample detects with 80% power at α (0–1). */
  minimumDetectableEffect: number | null;
  verdict: Verdict;
  /** Per value of `by`, corrected within the pair. */
  groups: GroupComparison[];
  flips: { passToFail: FlipList; failToPass: FlipList };
  latencyMs: PairedDistribution;
  costUsd: PairedDistribution;
  /** With repeats: pass@k and pass^k for k = 1 … samples. */
  repeats?: { a: { passAtK: PassAtKEstimate[]; passHatK: PassAtKEstimate[] }; b: { passAtK: PassAtKEstimate[]; passHatK: PassAtKEstimate[] } };
}

export interface RunRef {
  id: string;
  description: string | null;
  startedAt: string;
}

export interface Comparison {
  version: 1;
  runA: RunRef;
  /** Absent when the sides of one run are compared with each other. */
  runB?: RunRef;
  metric: 'passed' | 'score';
  alpha: number;
  confidence: number;
  correction: Correction;
  /** The correction in words, said with every verdict. */
  correctionDescription: string;
  minEffect: number;
  by: string | null;
  cluster: string | null;
  pairs: PairComparison[];
  /** Sides of one run with no counterpart in the other. */
  unmatched: SideRef[];
  /** Pairs where B is significantly worse after correction and by at least minEffect. */
  regressions: number;
  notes: string[];
}
