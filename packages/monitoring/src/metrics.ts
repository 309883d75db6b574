import type { MetricBucket } from './collect/bucket.js';

/**
 * The metrics of a series, each computed from a (merged) bucket: what `llm-lab monitor series`
 * prints and what alert rules judge.
 */
export const METRICS = {
  count: { describe: 'calls', value: (b: MetricBucket) => b.count },
  errors: { describe: 'failed calls', value: (b: MetricBucket) => errorsOf(b) },
  error_rate: { describe: 'failed calls / calls', value: (b: MetricBucket) => (b.count > 0 ? errorsOf(b) / b.count : null) },
  latency_p50: { describe: 'median latency, ms', value: (b: MetricBucket) => quantile(b.latency, 0.5) },
  latency_p95: { describe: '95th percentile latency, ms', value: (b: MetricBucket) => quantile(b.latency, 0.95) },
  latency_p99: { describe: '99th percentile latency, ms', value: (b: MetricBucket) => quantile(b.latency, 0.99) },
  ttft_p50: { describe: 'median time to first token, ms', value: (b: MetricBucket) => quantile(b.ttft, 0.5) },
  ttft_p95: { describe: '95th percentile time to first token, ms', value: (b: MetricBucket) => quantile(b.ttft, 0.95) },
  tokens_in: { describe: 'input tokens', value: (b: MetricBucket) => b.tokensIn },
  tokens_out: { describe: 'output tokens', value: (b: MetricBucket) => b.tokensOut },
  cost_usd: { describe: 'cost, US dollars', value: (b: MetricBucket) => b.costUsd },
  cache_hit_rate: { describe: 'calls answered from the cache / calls', value: (b: MetricBucket) => (b.count > 0 ? b.cacheHits / b.count : null) },
  probe_score: { describe: 'mean probe score (0-1)', value: (b: MetricBucket) => (b.probeScoreCount > 0 ? b.probeScoreSum / b.probeScoreCount : null) },
} as const satisfies Record<string, { describe: string; value: (bucket: MetricBucket) => number | null }>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

function errorsOf(bucket: MetricBucket): number {
  let total = 0;
  for (const n of Object.values(bucket.errors)) total += n;
  return total;
}

function quantile(sketch: MetricBucket['latency'], q: number): number | null {
  return sketch.count > 0 ? sketch.getValueAtQuantile(q) : null;
}

/** True for a name in {@link METRICS}. */
export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** A bucket's value of `metric`, or undefined when the bucket has none (no calls, no streamed call, no probe). */
export function metricValue(bucket: MetricBucket, metric: MetricName): number | undefined {
  return METRICS[metric].value(bucket) ?? undefined;
}
