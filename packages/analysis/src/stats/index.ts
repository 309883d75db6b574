export { erfc, normalCdf, normalQuantile, logGamma, incompleteBeta, studentTCdf, studentTTwoSided, studentTQuantile, binomialPmf, binomialCdf, logChoose } from './distributions.js';
export { mcnemarTest, pairedProportionInterval, MCNEMAR_MID_P_FROM, type McNemarResult, type PairedProportionDifference } from './mcnemar.js';
export {
  pairedTTest,
  clusteredTTest,
  pairedBootstrap,
  clusterBootstrap,
  differenceSums,
  sampleVariance,
  type DifferenceSums,
  type ClusterTotal,
  type ValueCount,
  type DifferenceTest,
  type BootstrapTestOptions,
} from './paired.js';
export {
  mcnemarPower,
  mcnemarSampleSize,
  mcnemarMinimumDetectableEffect,
  meanDifferenceMinimumDetectableEffect,
  meanDifferencePower,
  planSampleSize,
  type SamplePlan,
} from './power.js';
export { holmAdjust, benjaminiHochbergAdjust, adjustPValues, describeCorrection, type Correction } from './corrections.js';
export { verdictOf, formatPValue, type Verdict, type VerdictInput, type VerdictOutcome } from './verdict.js';
export { passAtKWithInterval, passHatKWithInterval, type RepeatCount, type PassAtKEstimate } from './repeats.js';
export { wilsonInterval, bootstrapMean, seededRandom, percentile, type ProportionInterval, type MeanEstimate } from '@llm-lab/evaluation';
