export { wilsonInterval, normalQuantile, type ProportionInterval, type WilsonOptions } from './wilson.js';
export { percentile, type PercentileMethod } from './percentile.js';
export {
  ProviderStatsAccumulator,
  RunStatsCollector,
  MIN_CONFIDENT_SAMPLE,
  type ProviderSummary,
  type EvaluatorSummary,
  type LatencySummary,
  type AnswererCount,
} from './provider-stats.js';
export { bootstrapMean, seededRandom, type MeanEstimate, type BootstrapOptions } from './bootstrap.js';
export { passAtK, passHatK } from './pass-at-k.js';
export { RepeatTracker, type RepeatSummary } from './repeat-stats.js';
export {
  GroupStatsCollector,
  summariseGroups,
  macroAverage,
  DEFAULT_GROUP_SEED,
  type GroupSpec,
  type GroupAccuracy,
  type CategoryAccuracy,
  type GroupSummary,
  type MacroAverage,
  type GroupableResult,
} from './group-stats.js';
