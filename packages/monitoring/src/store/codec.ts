import { DDSketch } from '@datadog/sketches-js';
import type { MetricPoint, MetricResolution } from '@llm-lab/storage';
import { emptyBucket, mergeBucket, type MetricBucket, type MetricSource, type SeriesKey } from '../collect/bucket.js';

/**
 * Buckets to stored points and back. A sketch is stored as its DDSketch protobuf (`toProto()`);
 * an empty sketch as no part at all. A stored point may hold several parts (written by two
 * processes, or twice after a restart): they are merged on the way back.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** The table of a bucket width; other widths are refused with what to give instead. */
export function resolutionOf(widthMs: number): MetricResolution {
  if (widthMs === MINUTE_MS) return '1m';
  if (widthMs === HOUR_MS) return '1h';
  throw new Error(`a metric bucket ${widthMs} ms wide cannot be stored: only 60000 (1 minute) and 3600000 (1 hour) buckets are`);
}

export const widthOf = (resolution: MetricResolution): number => (resolution === '1h' ? HOUR_MS : MINUTE_MS);

const parts = (sketch: DDSketch): Uint8Array[] => (sketch.count > 0 ? [sketch.toProto()] : []);

export function bucketToPoint(bucket: MetricBucket): MetricPoint {
  return {
    source: bucket.source,
    providerId: bucket.providerId,
    provider: bucket.provider,
    model: bucket.model,
    route: bucket.route,
    key: bucket.key,
    start: new Date(bucket.start),
    count: bucket.count,
    errors: { ...bucket.errors },
    latency: parts(bucket.latency),
    ttft: parts(bucket.ttft),
    tokensIn: bucket.tokensIn,
    tokensOut: bucket.tokensOut,
    costUsd: bucket.costUsd,
    cacheHits: bucket.cacheHits,
    probeScoreSum: bucket.probeScoreSum,
    probeScoreCount: bucket.probeScoreCount,
  };
}

function mergedSketch(stored: readonly Uint8Array[]): DDSketch {
  const sketch = new DDSketch({ relativeAccuracy: 0.01 });
  for (const part of stored) sketch.merge(DDSketch.fromProto(part));
  return sketch;
}

export function keyOf(point: Pick<MetricPoint, 'source' | 'providerId' | 'provider' | 'model' | 'route' | 'key'>): SeriesKey {
  return { source: point.source as MetricSource, providerId: point.providerId, provider: point.provider, model: point.model, route: point.route, key: point.key };
}

export function pointToBucket(point: MetricPoint, resolution: MetricResolution): MetricBucket {
  const bucket = emptyBucket(keyOf(point), point.start.getTime(), widthOf(resolution));
  return mergeBucket(bucket, {
    ...bucket,
    count: point.count,
    errors: point.errors,
    latency: mergedSketch(point.latency),
    ttft: mergedSketch(point.ttft),
    tokensIn: point.tokensIn,
    tokensOut: point.tokensOut,
    costUsd: point.costUsd,
    cacheHits: point.cacheHits,
    probeScoreSum: point.probeScoreSum,
    probeScoreCount: point.probeScoreCount,
  });
}
