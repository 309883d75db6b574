/** The shapes of the monitoring's time-series tables (see metric-store.ts). */

/** Which metric table: 1-minute points, or their 1-hour roll-up. */
export type MetricResolution = '1m' | '1h';

/**
 * What one series did in one time bucket (see `@llm-lab/monitoring`'s MetricBucket). The six
 * series dimensions are never null (absent ones are ''). Sketches are DDSketch protobufs, opaque
 * to the storage: writing a point that exists keeps the parts of both, and a reader merges them.
 */
export interface MetricPoint {
  source: string;
  providerId: string;
  provider: string;
  model: string;
  route: string;
  key: string;
  /** Bucket start (a whole minute or hour). */
  start: Date;
  count: number;
  errors: Record<string, number>;
  latency: Uint8Array[];
  ttft: Uint8Array[];
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  cacheHits: number;
  probeScoreSum: number;
  probeScoreCount: number;
}

export interface MetricPointRecord extends MetricPoint {
  id: number;
  /** Bumped by each write of the point; the hourly roll-up marks which revision it read. */
  revision: number;
}

/** Points of one resolution over a time range, oldest first. Filters are exact matches. */
export interface MetricPointQuery {
  resolution: MetricResolution;
  /** From this time on (inclusive). */
  since?: Date;
  /** Before this time (exclusive). */
  until?: Date;
  source?: string;
  /** A managed provider's id, or a provider family (`openai`): either matches. */
  provider?: string;
  model?: string;
  route?: string;
  key?: string;
  /** At most this many points (default 100,000). */
  limit?: number;
}

/** The time-series tables of the monitoring: 1-minute points and their 1-hour roll-up. */
export interface MetricStore {
  /**
   * Upserts points in one statement. A point whose series and start are stored already is merged
   * into it (counts added, sketch parts kept), unless `replace` (the roll-up's hourly points,
   * recomputed whole). Points of one series and start in the batch are merged first. Returns the
   * number of points written.
   */
  writeMetricPoints(resolution: MetricResolution, points: MetricPoint[], options?: { replace?: boolean }): Promise<number>;
  readMetricPoints(query: MetricPointQuery): Promise<MetricPointRecord[]>;
  /**
   * The minute points to roll up: every point of each (series, hour) in which a point was
   * written since the last roll-up read it, for hours that start before `before`; at most
   * `limit` (series, hour) groups (default 1,000), oldest hours first.
   */
  metricPointsToRollUp(options: { before: Date; limit?: number }): Promise<MetricPointRecord[]>;
  /** Marks minute points as rolled up at the revision read; a point written since stays pending. Returns how many were marked. */
  markMetricPointsRolledUp(points: Array<{ id: number; revision: number }>): Promise<number>;
  /** Deletes the points of a resolution that start before `before`; returns how many. */
  deleteMetricPoints(resolution: MetricResolution, before: Date): Promise<number>;
}
