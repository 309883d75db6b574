/**
 * One pair of sides, from storage's paired aggregates to its tests, intervals, minimum detectable
 * effect and verdict. Which test decides (the primary test):
 *
 * - pass/fail with one sample per case on both sides: McNemar (exact below 25 discordant pairs,
 *   mid-p from there), with the Agresti–Min interval of the difference;
 * - otherwise (repeats averaged per case first, or the `score` metric): the paired t-test on
 *   per-case differences;
 * - with a cluster field: the clustered t-test (Miller 2024) instead, whatever the metric.
 *
 * The paired bootstrap (and the cluster bootstrap, with clusters) are reported beside it.
 */
import { wilsonInterval } from '@llm-lab/evaluation';
import type { PairedResultsAnswer, PairedTotals, ResultSideSummary } from '@llm-lab/storage';
import {
  clusterBootstrap,
  clusteredTTest,
  mcnemarMinimumDetectableEffect,
  mcnemarTest,
  meanDifferenceMinimumDetectableEffect,
  pairedBootstrap,
  pairedProportionInterval,
  pairedTTest,
  passAtKWithInterval,
  passHatKWithInterval,
  sampleVariance,
  verdictOf,
  type DifferenceTest,
  type RepeatCount,
} from './stats/index.js';
import { pairedDistribution } from './paired-distribution.js';
import type { GroupComparison, PairComparison, PrimaryTest, RateEstimate, SideRef } from './types.js';

export interface PairOptions {
  metric: 'passed' | 'score';
  alpha: number;
  confidence: number;
  seed: number;
  minEffect: number;
  clustered: boolean;
}

/** What a side's own accuracy is computed from (scored and passed results, the mean score). */
export type SideRates = Pick<ResultSideSummary, 'scored' | 'passed' | 'meanScore'>;

function rateOf(side: SideRates, metric: 'passed' | 'score', confidence: number): RateEstimate {
  if (metric === 'score') return { value: side.meanScore, lower: null, upper: null, scored: side.scored, passed: side.passed };
  if (side.scored === 0) return { value: null, lower: null, upper: null, scored: 0, passed: 0 };
  const interval = wilsonInterval(side.passed, side.scored, { confidence });
  return { value: side.passed / side.scored, lower: interval.lower, upper: interval.upper, scored: side.scored, passed: side.passed };
}

interface Decided {
  estimate: number;
  lower: number;
  upper: number;
  intervalMethod: string;
  test: PrimaryTest;
  mde: number | null;
}

/** The primary test and interval for a set of paired totals (overall or one category). */
function decide(totals: PairedTotals, binary: boolean, options: PairOptions, clustered: DifferenceTest | null): Decided {
  const { n } = totals;
  const estimate = n === 0 ? 0 : totals.sum / n;
  if (clustered) {
    const sdEquivalent = clustered.standardError * Math.sqrt(Math.max(1, n));
    return {
      estimate,
      lower: clustered.lower,
      upper: clustered.upper,
      intervalMethod: `clustered t, ${clustered.clusters ?? 0} clusters`,
      test: { method: 'clustered-t', description: `clustered t, ${clustered.clusters ?? 0} clusters`, pValue: clustered.pValue, pAdjusted: clustered.pValue },
      mde: n > 0 ? meanDifferenceMinimumDetectableEffect(n, sdEquivalent, { alpha: options.alpha }) : null,
    };
  }
  if (binary) {
    const mcnemar = mcnemarTest(totals.aOnly, totals.bOnly);
    const interval = n > 0 ? pairedProportionInterval(totals.aOnly, totals.bOnly, n, options.confidence) : { lower: 0, upper: 0 };
    const discordance = n > 0 ? mcnemar.discordant / n : 0;
    return {
      estimate,
      lower: interval.lower,
      upper: interval.upper,
      intervalMethod: 'Agresti–Min',
      test: {
        method: 'mcnemar',
        description: `McNemar ${mcnemar.method === 'exact' ? 'exact' : 'mid-p'}`,
        pValue: mcnemar.pValue,
        pAdjusted: mcnemar.pValue,
        aOnly: totals.aOnly,
        bOnly: totals.bOnly,
      },
      // With no discordant pair yet, the sample's power is judged at a 10% disagreement rate.
      mde: n > 0 ? mcnemarMinimumDetectableEffect(n, discordance > 0 ? discordance : 0.1, { alpha: options.alpha }) : null,
    };
  }
  const t = pairedTTest({ n, sum: totals.sum, sumSquares: totals.sumSquares }, options.confidence);
  return {
    estimate,
    lower: t.lower,
    upper: t.upper,
    intervalMethod: 'paired t',
    test: { method: 'paired-t', description: `paired t, ${t.df ?? 0} df`, pValue: t.pValue, pAdjusted: t.pValue },
    mde: n > 1 ? meanDifferenceMinimumDetectableEffect(n, Math.sqrt(sampleVariance({ n, sum: totals.sum, sumSquares: totals.sumSquares })), { alpha: options.alpha }) : null,
  };
}

function repeatSummary(counts: RepeatCount[], samples: number, seed: number) {
  const ks = Array.from({ length: samples }, (_, index) => index + 1);
  return { passAtK: ks.map((k) => passAtKWithInterval(counts, k, { seed, resamples: 1_000 })), passHatK: ks.map((k) => passHatKWithInterval(counts, k, { seed, resamples: 1_000 })) };
}

/** The method name said in a verdict. */
function verdictMethod(test: PrimaryTest): string {
  return test.method === 'mcnemar' ? 'McNemar' : test.description;
}

/** The verdict of a pair or group from its (adjusted) primary test. */
export function verdictFor(a: string, b: string, decided: { estimate: number; lower: number; upper: number; test: PrimaryTest; mde: number | null }, n: number, options: PairOptions, adjustment: string | undefined) {
  return verdictOf({
    nameA: a,
    nameB: b,
    estimate: decided.estimate,
    lower: decided.lower,
    upper: decided.upper,
    pValue: decided.test.pAdjusted,
    alpha: options.alpha,
    method: verdictMethod(decided.test),
    n,
    mde: decided.mde,
    minEffect: options.minEffect,
    ...(adjustment ? { adjustment } : {}),
  });
}

/** Everything about one pair except the correction across pairs (applied by the caller). */
export function analysePair(a: SideRef, b: SideRef, sideA: SideRates, sideB: SideRates, answer: PairedResultsAnswer, options: PairOptions): PairComparison {
  const binary = options.metric === 'passed' && answer.samplesA <= 1 && answer.samplesB <= 1;
  const { overall } = answer;
  const clustered = options.clustered && answer.clusters.length > 0 ? clusteredTTest(answer.clusters, options.confidence) : null;
  const decided = decide(overall, binary, options, clustered);
  const tests: DifferenceTest[] = [pairedTTest({ n: overall.n, sum: overall.sum, sumSquares: overall.sumSquares }, options.confidence), pairedBootstrap(answer.histogram, { confidence: options.confidence, seed: options.seed })];
  if (clustered) tests.push(clustered, clusterBootstrap(answer.clusters, { confidence: options.confidence, seed: options.seed }));

  const groups: GroupComparison[] = answer.groups.map((group) => {
    const groupDecided = decide(group, binary, options, null);
    return {
      group: group.group,
      n: group.n,
      accuracyA: group.n === 0 ? null : group.sumA / group.n,
      accuracyB: group.n === 0 ? null : group.sumB / group.n,
      estimate: groupDecided.estimate,
      lower: groupDecided.lower,
      upper: groupDecided.upper,
      test: groupDecided.test,
      minimumDetectableEffect: groupDecided.mde,
      verdict: verdictFor(a.label, b.label, groupDecided, group.n, options, undefined),
    };
  });

  const pair: PairComparison = {
    a,
    b,
    n: overall.n,
    unpairedA: Math.max(0, answer.casesA - overall.n),
    unpairedB: Math.max(0, answer.casesB - overall.n),
    samplesA: answer.samplesA,
    samplesB: answer.samplesB,
    metric: options.metric,
    accuracyA: rateOf(sideA, options.metric, options.confidence),
    accuracyB: rateOf(sideB, options.metric, options.confidence),
    difference: { estimate: decided.estimate, lower: decided.lower, upper: decided.upper, confidence: options.confidence, method: decided.intervalMethod },
    test: decided.test,
    tests,
    minimumDetectableEffect: decided.mde,
    verdict: verdictFor(a.label, b.label, decided, overall.n, options, undefined),
    groups,
    flips: {
      passToFail: { count: overall.aOnly, cases: answer.flips.passToFail },
      failToPass: { count: overall.bOnly, cases: answer.flips.failToPass },
    },
    latencyMs: pairedDistribution({ a: answer.percentiles.latencyA, b: answer.percentiles.latencyB }, answer.sample.map((row) => [row.latencyA, row.latencyB] as const), { ...options, exact: answer.percentilesExact }),
    costUsd: pairedDistribution({ a: answer.percentiles.costA, b: answer.percentiles.costB }, answer.sample.map((row) => [row.costA, row.costB] as const), { ...options, exact: answer.percentilesExact }),
  };
  if (options.metric === 'passed' && (answer.samplesA > 1 || answer.samplesB > 1)) {
    pair.repeats = { a: repeatSummary(answer.repeatCounts.a, answer.samplesA, options.seed), b: repeatSummary(answer.repeatCounts.b, answer.samplesB, options.seed) };
  }
  return pair;
}
