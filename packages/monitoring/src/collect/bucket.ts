import { DDSketch } from '@datadog/sketches-js';

/**
 * The unit the monitoring pipeline passes around: what one series did in one time bucket.
 *
 * The collector turns the provider manager's `request-end` events (gateway traffic, run calls,
 * probes) into buckets; the time-series store writes them (and rolls 1-minute buckets up into
 * 1-hour ones by merging); the alerting side reads per-bucket values as points of a series.
 * Latency and time to first token are DDSketches (relative accuracy 1%), so two buckets merge
 * into one whose quantiles are still right: p99 of an hour is not the mean of sixty p99s.
 */

/** Where the calls of a series came from. */
export type MetricSource = 'gateway' | 'run' | 'probe';

/** The dimensions that name one series. Absent dimensions are the empty string, never undefined. */
export interface SeriesKey {
  source: MetricSource;
  /** The managed provider's id (a route or a run's provider label). */
  providerId: string;
  /** The provider family (`openai`) and model (`gpt-4o-mini`). */
  provider: string;
  model: string;
  /** The gateway route or virtual key name, when the source is the gateway; else ''. */
  route: string;
  key: string;
}

export interface MetricBucket extends SeriesKey {
  /** Bucket start, epoch ms, aligned to `widthMs`. */
  start: number;
  /** 60_000 for the raw buckets, 3_600_000 for the hourly roll-up. */
  widthMs: number;
  /** Calls that ended in the bucket. */
  count: number;
  /** Failed calls by error class (`rate-limit`, `timeout`, `server`, ...). */
  errors: Record<string, number>;
  /** Latency of every call, ms. */
  latency: DDSketch;
  /** Time to first token of streamed calls, ms (empty sketch when none were streamed). */
  ttft: DDSketch;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  cacheHits: number;
  /** Probe scores in [0, 1] recorded in the bucket: their sum and how many (mean = sum / n). */
  probeScoreSum: number;
  probeScoreCount: number;
}

/** A new, empty bucket for a series at a start time. */
export function emptyBucket(key: SeriesKey, start: number, widthMs = 60_000): MetricBucket {
  return {
    ...key,
    start,
    widthMs,
    count: 0,
    errors: {},
    latency: new DDSketch({ relativeAccuracy: 0.01 }),
    ttft: new DDSketch({ relativeAccuracy: 0.01 }),
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    cacheHits: 0,
    probeScoreSum: 0,
    probeScoreCount: 0,
  };
}

/** Merges `from` into `into` (same series; the caller chooses the start and width of `into`). */
export function mergeBucket(into: MetricBucket, from: MetricBucket): MetricBucket {
  into.count += from.count;
  for (const [kind, n] of Object.entries(from.errors)) into.errors[kind] = (into.errors[kind] ?? 0) + n;
  into.latency.merge(from.latency);
  into.ttft.merge(from.ttft);
  into.tokensIn += from.tokensIn;
  into.tokensOut += from.tokensOut;
  into.costUsd += from.costUsd;
  into.cacheHits += from.cacheHits;
  into.probeScoreSum += from.probeScoreSum;
  into.probeScoreCount += from.probeScoreCount;
  return into;
}

/** A stable string id for a series key (used as a map key, a dedup key, a storage column). */
export function seriesId(key: SeriesKey): string {
  return [key.source, key.providerId, key.provider, key.model, key.route, key.key].join('|');
}
