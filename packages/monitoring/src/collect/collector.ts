import type { BreakerState, ManagerEvents, ManagerObserver } from '@llm-lab/provider-manager';
import { emptyBucket, seriesId, type MetricBucket, type SeriesKey } from './bucket.js';
import { parseSource } from './source.js';

/** A closed bucket's receiver: the alert manager, the time-series store, a test. */
export type BucketListener = (buckets: MetricBucket[]) => void | Promise<void>;

/** A circuit breaker's change of state, stamped with the collector's clock. */
export interface BreakerChange {
  member: string;
  from: BreakerState;
  to: BreakerState;
  at: number;
}

export type BreakerSink = (changes: BreakerChange[]) => void | Promise<void>;

/** What `observe` is called on: a lab (`lab.observe`), a provider manager, or its emitter. */
export interface Observable {
  observe(observer: ManagerObserver): () => void;
}

export interface CollectorOptions {
  /** The clock (epoch ms). Injected by tests and simulations; default `Date.now`. */
  now?: () => number;
  /** Bucket width, ms (default 60,000: one-minute buckets). */
  widthMs?: number;
  /**
   * Most series kept open in one bucket; calls of further series in that minute are counted in
   * `dropped` instead (a flood of keys or routes cannot grow memory without bound). Default 5,000.
   */
  maxSeries?: number;
}

type RequestEnd = ManagerEvents['request-end'];

/**
 * The collector and aggregator: listens to the provider manager's `request-end` and
 * `breaker-state-change` events and keeps one bucket per series and minute. A listener does a
 * map lookup and a few additions (no await, no I/O), so a call is never slowed down; `tick()`
 * (called by a timer in a monitor process, or by a test that moves its clock) closes the buckets
 * whose minute has ended and hands them to the sinks.
 */
export class MetricCollector {
  readonly widthMs: number;
  private readonly now: () => number;
  private readonly maxSeries: number;
  /** Open buckets by start time, then by series id. */
  private readonly open = new Map<number, Map<string, MetricBucket>>();
  private breakerQueue: BreakerChange[] = [];
  private readonly bucketSinks: BucketListener[] = [];
  private readonly breakerSinks: BreakerSink[] = [];
  private timer: NodeJS.Timeout | undefined;
  private detachers: Array<() => void> = [];
  /** Calls not counted because their minute already had `maxSeries` series. */
  dropped = 0;

  /** Tells which `run:<id>` sources are probe runs (set by the probe scheduler), so their calls count as source `probe`. */
  isProbeRun: ((runId: string) => boolean) | undefined;

  constructor(options: CollectorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.widthMs = options.widthMs ?? 60_000;
    this.maxSeries = options.maxSeries ?? 5_000;
  }

  /** The observer to give `lab.observe` / `manager.observe`. */
  observer(): ManagerObserver {
    return {
      'request-end': (event) => this.record(event),
      'breaker-state-change': (event) => {
        this.breakerQueue.push({ member: event.member, from: event.from, to: event.to, at: this.now() });
      },
    };
  }

  /** Subscribes to a lab or provider manager; returns the unsubscribe function (also called by `stop`). */
  attach(target: Observable): () => void {
    const off = target.observe(this.observer());
    this.detachers.push(off);
    return off;
  }

  /** Counts one ended call in its series' bucket of the current minute. */
  record(event: RequestEnd): void {
    const parsed = parseSource(event.source, this.isProbeRun);
    const key: SeriesKey = { source: parsed.source, providerId: event.providerId, provider: event.provider, model: event.model, route: parsed.route, key: parsed.key };
    const bucket = this.bucketFor(key);
    if (!bucket) return;
    bucket.count += 1;
    if (event.errorKind !== undefined) bucket.errors[event.errorKind] = (bucket.errors[event.errorKind] ?? 0) + 1;
    if (Number.isFinite(event.latencyMs) && event.latencyMs >= 0) bucket.latency.accept(Math.max(event.latencyMs, 0.001));
    if (event.timeToFirstTokenMs !== undefined && event.timeToFirstTokenMs >= 0) bucket.ttft.accept(Math.max(event.timeToFirstTokenMs, 0.001));
    bucket.tokensIn += event.usage?.inputTokens ?? 0;
    bucket.tokensOut += event.usage?.outputTokens ?? 0;
    bucket.costUsd += event.costUsd ?? 0;
    if (event.cached) bucket.cacheHits += 1;
  }

  /** Records a probe's score in [0, 1] for a series (the probe scheduler calls this). */
  recordProbeScore(key: Omit<SeriesKey, 'source' | 'key'> & { key?: string }, score: number): void {
    if (!(score >= 0 && score <= 1)) throw new Error(`recordProbeScore: the score ${score} is not in [0, 1]; give the probe's mean score.`);
    const bucket = this.bucketFor({ ...key, source: 'probe', key: key.key ?? '' });
    if (!bucket) return;
    bucket.probeScoreSum += score;
    bucket.probeScoreCount += 1;
  }

  /** Receives closed buckets (all those of one tick together). Returns the unsubscribe function. */
  onBucket(sink: BucketListener): () => void {
    this.bucketSinks.push(sink);
    return () => this.bucketSinks.splice(this.bucketSinks.indexOf(sink), 1);
  }

  /** Receives breaker changes at each tick. */
  onBreaker(sink: BreakerSink): () => void {
    this.breakerSinks.push(sink);
    return () => this.breakerSinks.splice(this.breakerSinks.indexOf(sink), 1);
  }

  /**
   * Closes every bucket whose minute ended at or before `now()` and the breaker changes seen
   * since the last tick, and hands them to the sinks (awaiting each). Returns the closed buckets,
   * oldest first.
   */
  async tick(): Promise<MetricBucket[]> {
    const current = this.startOf(this.now());
    const closed: MetricBucket[] = [];
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) {
      if (start >= current) continue;
      closed.push(...this.open.get(start)!.values());
      this.open.delete(start);
    }
    return this.deliver(closed);
  }

  /** Closes every open bucket, the current minute's too (at shutdown). */
  async flush(): Promise<MetricBucket[]> {
    const closed: MetricBucket[] = [];
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) closed.push(...this.open.get(start)!.values());
    this.open.clear();
    return this.deliver(closed);
  }

  /** Ticks every `intervalMs` of real time (default 5 s; the timer does not keep the process alive). */
  start(intervalMs = 5_000, onError: (error: unknown) => void = () => {}): void {
    this.stopTimer();
    this.timer = setInterval(() => void this.tick().catch(onError), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and unsubscribes from every observed source. */
  stop(): void {
    this.stopTimer();
    for (const off of this.detachers) off();
    this.detachers = [];
  }

  /** Series with an open bucket right now (for inspection). */
  openSeries(): number {
    let n = 0;
    for (const buckets of this.open.values()) n += buckets.size;
    return n;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async deliver(closed: MetricBucket[]): Promise<MetricBucket[]> {
    const changes = this.breakerQueue;
    this.breakerQueue = [];
    // Every sink gets its share even when one fails (a store that is down must not silence alerts).
    const errors: unknown[] = [];
    const run = async (call: () => void | Promise<void>) => {
      try {
        await call();
      } catch (error) {
        errors.push(error);
      }
    };
    if (changes.length > 0) for (const sink of [...this.breakerSinks]) await run(() => sink(changes));
    if (closed.length > 0) for (const sink of [...this.bucketSinks]) await run(() => sink(closed));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} bucket sinks failed: ${errors.map((e) => (e as Error).message).join('; ')}`);
    return closed;
  }

  private startOf(at: number): number {
    return Math.floor(at / this.widthMs) * this.widthMs;
  }

  private bucketFor(key: SeriesKey): MetricBucket | undefined {
    const start = this.startOf(this.now());
    let minute = this.open.get(start);
    if (!minute) this.open.set(start, (minute = new Map()));
    const id = seriesId(key);
    let bucket = minute.get(id);
    if (!bucket) {
      if (minute.size >= this.maxSeries) {
        this.dropped += 1;
        return undefined;
      }
      bucket = emptyBucket(key, start, this.widthMs);
      minute.set(id, bucket);
    }
    return bucket;
  }
}
