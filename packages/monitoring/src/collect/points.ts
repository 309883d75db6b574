import { seriesId, type MetricBucket, type SeriesKey } from './bucket.js';
import { metricValue, type MetricName } from '../metrics.js';

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

/** A bucket as a point of `metric` (undefined when the bucket has no such value). */
export function toPoint(bucket: MetricBucket, metric: MetricName): MetricPoint | undefined {
  const value = metricValue(bucket, metric);
  if (value === undefined) return undefined;
  const { source, providerId, provider, model, route, key } = bucket;
  const series = { source, providerId, provider, model, route, key };
  return { series, id: seriesId(series), metric, at: bucket.start, value, count: metric === 'probe_score' ? bucket.probeScoreCount : bucket.count };
}
