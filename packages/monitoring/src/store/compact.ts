import type { MetricStore } from '@llm-lab/storage';
import { emptyBucket, mergeBucket, seriesId, type MetricBucket } from '../collect/bucket.js';
import { bucketToPoint, HOUR_MS, keyOf, pointToBucket } from './codec.js';

const DAY_MS = 86_400_000;

/** How long points are kept. */
export interface MetricRetention {
  /** 1-minute points, days (default 14). */
  minuteDays: number;
  /** 1-hour points, days (default 365). */
  hourDays: number;
}

export const DEFAULT_RETENTION: MetricRetention = { minuteDays: 14, hourDays: 365 };

export interface CompactOptions {
  retention?: Partial<MetricRetention>;
  /** (series, hour) groups rolled up per statement (default 1,000); compaction repeats until none is left. */
  batchHours?: number;
}

export interface CompactReport {
  /** Hourly points written (recomputed from their minute points). */
  hoursRolledUp: number;
  minutePointsDeleted: number;
  hourPointsDeleted: number;
}

type CompactStore = Pick<MetricStore, 'metricPointsToRollUp' | 'writeMetricPoints' | 'markMetricPointsRolledUp' | 'deleteMetricPoints'>;

export function resolveRetention(retention: Partial<MetricRetention> = {}): MetricRetention {
  const resolved = { ...DEFAULT_RETENTION, ...retention };
  for (const [name, days] of Object.entries(resolved)) {
    if (!(Number.isFinite(days) && days > 0)) throw new Error(`retention ${name} ${days} must be a number of days above 0`);
  }
  if (resolved.hourDays < resolved.minuteDays) {
    throw new Error(`retention hourDays (${resolved.hourDays}) must be at least minuteDays (${resolved.minuteDays}): hourly points are rolled up from the minute points`);
  }
  return resolved;
}

/**
 * One compaction step, run periodically by the monitor process (`now` from its clock):
 *
 * 1. Every complete hour (before the hour `now` is in) that holds minute points written since the
 *    last roll-up is recomputed whole from its minute points — counts summed, sketches merged,
 *    so the hour's p99 is the p99 of every call in it — and written over the stored hourly point.
 *    Recomputing (not adding) makes a step safe to run twice, or in two processes at once.
 *    (An hour that began before the minute retention is not recomputed: some of its minute
 *    points may be gone, and its stored hourly point holds them.)
 * 2. Minute points older than `minuteDays` and hourly points older than `hourDays` are deleted.
 */
export async function compactMetrics(store: CompactStore, now: number, options: CompactOptions = {}): Promise<CompactReport> {
  const retention = resolveRetention(options.retention);
  const batchHours = options.batchHours ?? 1_000;
  const before = new Date(Math.floor(now / HOUR_MS) * HOUR_MS);
  const oldestWholeHour = now - retention.minuteDays * DAY_MS;
  const report: CompactReport = { hoursRolledUp: 0, minutePointsDeleted: 0, hourPointsDeleted: 0 };
  for (;;) {
    const points = await store.metricPointsToRollUp({ before, limit: batchHours });
    if (points.length === 0) break;
    const hours = new Map<string, MetricBucket>();
    for (const point of points) {
      const start = Math.floor(point.start.getTime() / HOUR_MS) * HOUR_MS;
      // An hour some of whose minute points have expired already is not recomputed from the rest.
      if (start < oldestWholeHour) continue;
      const id = `${seriesId(keyOf(point))}|${start}`;
      let hour = hours.get(id);
      if (!hour) hours.set(id, (hour = emptyBucket(keyOf(point), start, HOUR_MS)));
      mergeBucket(hour, pointToBucket(point, '1m'));
    }
    if (hours.size > 0) await store.writeMetricPoints('1h', [...hours.values()].map(bucketToPoint), { replace: true });
    const marked = await store.markMetricPointsRolledUp(points.map(({ id, revision }) => ({ id, revision })));
    report.hoursRolledUp += hours.size;
    // Every point read was written again meanwhile: the next round reads them anew; a store that
    // marks nothing at all would loop, so stop and leave them to the next step.
    if (marked === 0) break;
  }
  report.minutePointsDeleted = await store.deleteMetricPoints('1m', new Date(now - retention.minuteDays * DAY_MS));
  report.hourPointsDeleted = await store.deleteMetricPoints('1h', new Date(now - retention.hourDays * DAY_MS));
  return report;
}
