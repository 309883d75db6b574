import type { MetricStore } from '@llm-lab/storage';
import { emptyBucket, mergeBucket, seriesId, type MetricBucket } from '../collect/bucket.js';
import { bucketToPoint, keyOf, resolutionOf } from './codec.js';

export interface BucketSinkOptions {
  /** Writes what is buffered every this many ms (default 5,000); 0: only on `flush()` and `close()`. */
  flushEvery?: number;
  /** Buckets held at most (default 10,000); a bucket that finds the buffer full is dropped and counted. */
  maxBuffered?: number;
  /** Called when a write fails (the buckets go back into the buffer while there is room). Default: nothing. */
  onError?: (error: unknown) => void;
}

export interface BucketSinkStats {
  /** Buckets handed to the sink. */
  accepted: number;
  /** Buckets written to the store (after merging those of one series and start). */
  written: number;
  /** Buckets dropped: the buffer was full, or a failed write found no room to go back. */
  dropped: number;
  /** Writes that failed. */
  failedWrites: number;
  /** Buckets waiting to be written. */
  buffered: number;
}

export interface BucketSink {
  /** Hands a bucket over; never waits. False when it was dropped (buffer full, or the sink is closed). */
  write(bucket: MetricBucket): boolean;
  /** Writes what is buffered now (one statement per resolution). Resolves when written (or failed). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
  stats(): BucketSinkStats;
}

/**
 * A batched, asynchronous writer of metric buckets for the collector: `write` only adds to a
 * bounded in-memory buffer (buckets of one series and start merge there, so a burst of late
 * buckets takes no more room); a timer writes the buffer as one upsert per resolution, which
 * merges into points stored already (another process, a restart). One write runs at a time.
 */
export function createBucketSink(store: Pick<MetricStore, 'writeMetricPoints'>, options: BucketSinkOptions = {}): BucketSink {
  const flushEvery = options.flushEvery ?? 5_000;
  const maxBuffered = options.maxBuffered ?? 10_000;
  if (!(Number.isInteger(maxBuffered) && maxBuffered >= 1)) throw new Error(`maxBuffered ${maxBuffered} must be a whole number of buckets, 1 or more`);
  if (!(Number.isFinite(flushEvery) && flushEvery >= 0)) throw new Error(`flushEvery ${flushEvery} must be a number of milliseconds, 0 or more`);
  let buffer = new Map<string, MetricBucket>();
  const stats = { accepted: 0, written: 0, dropped: 0, failedWrites: 0 };
  let closed = false;
  let writing: Promise<void> = Promise.resolve();

  const idOf = (bucket: MetricBucket) => `${seriesId(bucket)}|${bucket.widthMs}|${bucket.start}`;
  const add = (bucket: MetricBucket): boolean => {
    const id = idOf(bucket);
    const held = buffer.get(id);
    if (held) {
      mergeBucket(held, bucket);
      return true;
    }
    if (buffer.size >= maxBuffered) return false;
    // A copy: the caller's bucket is never changed by later merges.
    buffer.set(id, mergeBucket(emptyBucket(keyOf(bucket), bucket.start, bucket.widthMs), bucket));
    return true;
  };

  const writeOnce = async (): Promise<void> => {
    if (buffer.size === 0) return;
    const taken = buffer;
    buffer = new Map();
    const byResolution = new Map<ReturnType<typeof resolutionOf>, MetricBucket[]>();
    for (const bucket of taken.values()) {
      const resolution = resolutionOf(bucket.widthMs);
      const list = byResolution.get(resolution) ?? [];
      list.push(bucket);
      byResolution.set(resolution, list);
    }
    for (const [resolution, buckets] of byResolution) {
      try {
        await store.writeMetricPoints(resolution, buckets.map(bucketToPoint));
        stats.written += buckets.length;
      } catch (error) {
        stats.failedWrites += 1;
        for (const bucket of buckets) if (!add(bucket)) stats.dropped += 1;
        options.onError?.(error);
      }
    }
  };
  const flush = (): Promise<void> => {
    writing = writing.then(writeOnce);
    return writing;
  };

  const timer = flushEvery > 0 ? setInterval(() => void flush(), flushEvery) : undefined;
  timer?.unref();

  return {
    write(bucket) {
      if (closed) {
        stats.dropped += 1;
        return false;
      }
      try {
        resolutionOf(bucket.widthMs);
      } catch (error) {
        stats.dropped += 1;
        options.onError?.(error);
        return false;
      }
      stats.accepted += 1;
      if (add(bucket)) return true;
      stats.dropped += 1;
      return false;
    },
    flush,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await flush();
    },
    stats: () => ({ ...stats, buffered: buffer.size }),
  };
}
