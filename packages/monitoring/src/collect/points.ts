import { seriesId, type MetricBucket, type SeriesKey } from './bucket.js';

/** The per-bucket values alert rules read. */
export const METRICS = [
  'count',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'ttft_p50',
  'ttft_p95',
  'tokens_in',
  'tokens_out',
  'cost',
  'cache_hit_rate',
  'probe_score',
] as const;

export type MetricName = (typeof METRICS)[number];

/** One value of one series in one bucket. */
export interface MetricPoint {
  series: SeriesKey;
  /** {@link seriesId} of `series`. */
  id: string;
  metric: MetricName;
  /** Bucket start, epoch ms. */
  at: number;
  value: number;
  /** Calls in the bucket (probe runs for `probe_score`): what minimum-volume rules read. */
  count: number;
}

function quantile(sketch: MetricBucket['latency'], q: number): number | undefined {
  if (sketch.count === 0) return undefined;
  return sketch.getValueAtQuantile(q);
}

/** A bucket's value of `metric`, or undefined when the bucket has none (no calls, no streamed call, no probe). */
export function metricValue(bucket: MetricBucket, metric: MetricName): number | undefined {
  const errors = Object.values(bucket.errors).reduce((sum, n) => sum + n, 0);
  switch (metric) {
    case 'count':
      return bucket.count;
    case 'errors':
      return errors;
    case 'error_rate':
      return bucket.count > 0 ? errors / bucket.count : undefined;
    case 'latency_p50':
      return quantile(bucket.latency, 0.5);
    case 'latency_p95':
      return quantile(bucket.latency, 0.95);
    case 'latency_p99':
      return quantile(bucket.latency, 0.99);
    case 'ttft_p50':
      return quantile(bucket.ttft, 0.5);
    case 'ttft_p95':
      return quantile(bucket.ttft, 0.95);
    case 'tokens_in':
      return bucket.tokensIn;
    case 'tokens_out':
      return bucket.tokensOut;
    case 'cost':
      return bucket.costUsd;
    case 'cache_hit_rate':
      return bucket.count > 0 ? bucket.cacheHits / bucket.count : undefined;
    case 'probe_score':
      return bucket.probeScoreCount > 0 ? bucket.probeScoreSum / bucket.probeScoreCount : undefined;
  }
}

/** A bucket as a point of `metric` (undefined when the bucket has no such value). */
export function toPoint(bucket: MetricBucket, metric: MetricName): MetricPoint | undefined {
  const value = metricValue(bucket, metric);
  if (value === undefined) return undefined;
  const { source, providerId, provider, model, route, key } = bucket;
  const series = { source, providerId, provider, model, route, key };
  return { series, id: seriesId(series), metric, at: bucket.start, value, count: metric === 'probe_score' ? bucket.probeScoreCount : bucket.count };
}
