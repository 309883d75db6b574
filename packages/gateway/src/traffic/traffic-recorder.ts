/**
 * The traffic record: every call through the gateway stored in the `requests` table, written in
 * batches from a bounded buffer, never on the request's path.
 *
 * `record()` only pushes onto the buffer. A write starts when a batch is full or every
 * `flushMs`, one at a time. A failed write (storage down) puts its records back at the head of
 * the buffer and is tried again on the next tick; each record has a unique id, so a write that
 * did land before failing is not stored twice. The buffer holds at most `maxBuffered` records:
 * beyond that a new record is dropped, counted (`stats().dropped`) and reported in the log (once
 * per outage, then with the count when writes resume). Nothing is lost without being counted:
 * what `close()` cannot store is counted as dropped and logged too.
 */
import { randomUUID } from 'node:crypto';
import type { NewRequest, RequestStore } from '@llm-lab/storage';
import type { TrafficRecord } from '../hooks.js';

export interface TrafficRecorderOptions {
  store: Pick<RequestStore, 'insertRequests'>;
  /**
   * Records per write (default 64). A write's records are prepared and handed to storage in one
   * piece of the event loop (for the embedded database, copied to its thread); 500 at a time was
   * a 5–17 ms stall for the calls arriving meanwhile, 64 is under 1 ms.
   */
  batchSize?: number;
  /**
   * Longest a record waits before a write starts (default 100 ms; 0: only when a batch fills, or
   * on `flush()`). Short, so records die young: held for a second they outlived two young
   * collections and were copied to the old generation, ~1 MB a second at 400 calls/s.
   */
  flushMs?: number;
  /** Most records held while storage is slow or down (default 50,000). */
  maxBuffered?: number;
  /** The `source` of the stored requests (default `gateway`). */
  source?: string;
  /** Where outages and drops are reported (default: standard error). */
  log?: (message: string) => void;
  /**
   * Applied to each record when its batch is written, off the request's path (the gateway masks
   * the bodies of routes with a `pii:` policy covering `store`). A failure fails the write: the
   * records are kept and tried again, never stored unprepared.
   */
  prepare?: (record: NewRequest) => NewRequest | Promise<NewRequest>;
}

export interface TrafficStats {
  /** Records stored. */
  stored: number;
  /** Records waiting for a write. */
  buffered: number;
  /** Records dropped because the buffer was full (or left at close). Never reset. */
  dropped: number;
  /** Writes that failed (their records were kept and tried again). */
  failedWrites: number;
}

/** The stored form of a call; `status` follows the error class (a client that went away: cancelled). */
export function toStoredRequest(record: TrafficRecord, source: string): NewRequest {
  const failed = record.errorClass !== undefined || record.status >= 400;
  return {
    requestId: randomUUID(),
    at: new Date(record.time),
    source,
    route: record.route,
    provider: record.provider ?? null,
    label: record.answeredBy ?? null,
    latencyMs: record.latencyMs,
    timeToFirstTokenMs: record.ttftMs ?? null,
    inputTokens: record.inputTokens ?? null,
    outputTokens: record.outputTokens ?? null,
    costUsd: record.costUsd ?? null,
    cacheHit: record.cacheHit,
    attempts: record.attempts ?? (record.cacheHit || record.provider === undefined ? 0 : 1),
    errorClass: record.errorClass ?? (failed ? `http-${record.status}` : null),
    status: record.errorClass === 'client-closed' ? 'cancelled' : failed ? 'error' : 'ok',
    httpStatus: record.status,
    keyId: record.keyId ?? null,
    ...(record.requestBody !== undefined ? { requestBody: record.requestBody } : {}),
    ...(record.responseBody !== undefined ? { responseBody: record.responseBody } : {}),
  };
}

export class TrafficRecorder {
  private buffer: NewRequest[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly source: string;
  private readonly log: (message: string) => void;
  private outage = false;
  private droppedInSpell = 0;
  private closed = false;
  private readonly counts = { stored: 0, dropped: 0, failedWrites: 0 };

  constructor(private readonly options: TrafficRecorderOptions) {
    this.batchSize = options.batchSize ?? 64;
    this.maxBuffered = options.maxBuffered ?? 50_000;
    this.source = options.source ?? 'gateway';
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
    const flushMs = options.flushMs ?? 100;
    if (flushMs > 0) {
      this.timer = setInterval(() => void this.writeOnce(), flushMs);
      this.timer.unref();
    }
  }

  /** Queues a call's record; returns at once. */
  record(record: TrafficRecord): void {
    if (this.closed || this.buffer.length >= this.maxBuffered) {
      if (this.closed) this.drop(1, 'the gateway is stopping and its traffic record is closed', true);
      else this.drop(1, `its buffer is full (${this.maxBuffered} records)`);
      return;
    }
    this.buffer.push(toStoredRequest(record, this.source));
    if (this.buffer.length >= this.batchSize && this.writing === undefined && !this.outage) void this.writeOnce();
  }

  stats(): TrafficStats {
    return { ...this.counts, buffered: this.buffer.length };
  }

  /** Writes until the buffer is empty or a write fails; resolves either way. */
  async flush(): Promise<void> {
    for (;;) {
      await this.writing;
      if (this.buffer.length === 0) return;
      const before = this.counts.failedWrites;
      await this.writeOnce();
      if (this.counts.failedWrites > before) return;
    }
  }

  /** Stops the timer, writes what is buffered; what cannot be written is counted as dropped and logged. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
    if (this.buffer.length > 0) {
      const left = this.buffer.length;
      this.buffer = [];
      this.drop(left, 'storage could not be reached when the gateway stopped', true);
    }
  }

  /** Counts dropped records; logs the first drop of a spell (and every drop at close), the total when writes succeed again. */
  private drop(count: number, why: string, always = false): void {
    this.counts.dropped += count;
    if (always || this.droppedInSpell === 0) {
      this.log(`gateway traffic record: dropped ${count} record${count === 1 ? '' : 's'}: ${why} (${this.counts.dropped} dropped since start)`);
    }
    this.droppedInSpell += count;
  }

  /** One write of up to a batch, unless one is in flight. */
  private writeOnce(): Promise<void> {
    if (this.writing !== undefined || this.buffer.length === 0) return this.writing ?? Promise.resolve();
    const batch = this.buffer.splice(0, this.batchSize);
    const prepare = this.options.prepare;
    const prepared = prepare ? Promise.all(batch.map((record) => prepare(record))) : Promise.resolve(batch);
    this.writing = prepared
      .then((records) => this.options.store.insertRequests(records))
      .then(
        () => {
          this.counts.stored += batch.length;
          if (this.outage || this.droppedInSpell > 0) {
            this.log(
              `gateway traffic record: writing again; ${this.buffer.length} records buffered` +
                (this.droppedInSpell > 0 ? `, ${this.droppedInSpell} dropped meanwhile` : ''),
            );
            this.outage = false;
            this.droppedInSpell = 0;
          }
        },
        (error: unknown) => {
          this.counts.failedWrites += 1;
          // Back at the head, in order; beyond the bound, the newest are dropped.
          this.buffer = batch.concat(this.buffer);
          if (this.buffer.length > this.maxBuffered) {
            const over = this.buffer.length - this.maxBuffered;
            this.buffer.length = this.maxBuffered;
            this.drop(over, `its buffer is full (${this.maxBuffered} records)`);
          }
          if (!this.outage) {
            this.outage = true;
            this.log(
              `gateway traffic record: storing ${batch.length} records failed (${error instanceof Error ? error.message : String(error)}); ` +
                `keeping up to ${this.maxBuffered} records and trying again`,
            );
          }
        },
      )
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }
}
