import type { MetricPointQuery, MetricStore } from '@llm-lab/storage';
import { emptyBucket, mergeBucket, type MetricBucket, type MetricSource } from '../collect/bucket.js';
import { METRICS, type MetricName } from '../metrics.js';
import { resolveRetention, type MetricRetention } from './compact.js';
import { HOUR_MS, keyOf, pointToBucket, widthOf } from './codec.js';

export interface SeriesQuery {
  metric: MetricName;
  /** A managed provider's id or a provider family (either matches). */
  provider: string;
  model?: string;
  source?: MetricSource;
  route?: string;
  key?: string;
  /** How far back from `now`, ms. */
  sinceMs: number;
  /** Default: 1-minute points for ranges up to 6 hours within the minute retention, else 1-hour points. */
  step?: '1m' | '1h';
  now: number;
  retention?: Partial<MetricRetention>;
}

export interface SeriesPoint {
  /** Point start, epoch ms. */
  start: number;
  /** The metric's value; null when it has none there (no latency without calls, say). */
  value: number | null;
  /** Calls in the point. */
  count: number;
}

export interface SeriesAnswer {
  metric: MetricName;
  step: '1m' | '1h';
  from: number;
  until: number;
  /** Points with at least one stored bucket, oldest first (minutes or hours without calls have none). */
  points: SeriesPoint[];
}

/** The largest range shown in 1-minute points unless `step` says otherwise. */
const MINUTE_STEP_UP_TO_MS = 6 * HOUR_MS;

/**
 * A metric of the matching series (every source, route and key unless filtered), one value per
 * step: the buckets of one start merged first (sketches merged, so percentiles are of all calls).
 * Hourly answers take the 1-minute points wherever those are still kept — the roll-up of an
 * hour lags it, and the minute points are what it is made of — and the hourly points before.
 */
export async function readSeries(store: Pick<MetricStore, 'readMetricPoints'>, query: SeriesQuery): Promise<SeriesAnswer> {
  const retention = resolveRetention(query.retention);
  const minutesFrom = query.now - retention.minuteDays * 86_400_000;
  const rangeStart = query.now - query.sinceMs;
  const step = query.step ?? (query.sinceMs <= MINUTE_STEP_UP_TO_MS && rangeStart >= minutesFrom ? '1m' : '1h');
  const width = widthOf(step);
  const from = Math.floor(rangeStart / width) * width;
  const until = query.now;
  const filter: Omit<MetricPointQuery, 'resolution'> = {
    provider: query.provider,
    ...(query.model !== undefined ? { model: query.model } : {}),
    ...(query.source !== undefined ? { source: query.source } : {}),
    ...(query.route !== undefined ? { route: query.route } : {}),
    ...(query.key !== undefined ? { key: query.key } : {}),
  };
  const buckets = new Map<number, MetricBucket>();
  const fold = (bucket: MetricBucket) => {
    const start = Math.floor(bucket.start / width) * width;
    let into = buckets.get(start);
    if (!into) buckets.set(start, (into = emptyBucket(keyOf(bucket), start, width)));
    mergeBucket(into, bucket);
  };
  // Where the minute points start to be whole: the first full hour inside the minute retention.
  const boundary = step === '1h' ? Math.max(from, Math.ceil(minutesFrom / HOUR_MS) * HOUR_MS) : from;
  if (step === '1h' && boundary > from) {
    for (const point of await store.readMetricPoints({ resolution: '1h', since: new Date(from), until: new Date(Math.min(boundary, until)), ...filter })) fold(pointToBucket(point, '1h'));
  }
  if (boundary < until) {
    for (const point of await store.readMetricPoints({ resolution: '1m', since: new Date(boundary), until: new Date(until), ...filter })) fold(pointToBucket(point, '1m'));
  }
  const points = [...buckets.values()]
    .sort((a, b) => a.start - b.start)
    .map((bucket) => ({ start: bucket.start, value: METRICS[query.metric].value(bucket), count: bucket.count }));
  return { metric: query.metric, step, from, until, points };
}
