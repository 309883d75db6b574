import type { NewResult, ResultStore } from '../storage-contract.js';

/**
 * Buffers results and writes them in batches: when `batchSize` results are waiting, every
 * `intervalMs`, and on `close`. Writes are strictly sequential. `add` waits for the write it
 * triggers, so producers slow down to the store's pace and memory stays bounded.
 * After a failed write, the first error is kept in `failure`, later writes are skipped, and
 * `close` rethrows it. Secrets are the store's to redact (the lab's storage sanitises every write).
 */
export class BatchedResultWriter {
  private buffer: NewResult[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private writeError: { error: unknown } | undefined;
  /** Rows the store reported as inserted. */
  written = 0;

  constructor(
    private readonly store: ResultStore,
    private readonly batchSize = 200,
    private readonly intervalMs = 250,
    /** Applied to each result before it is buffered (e.g. PII masking); its failure stops the writes like a failed write. */
    private readonly prepare?: (result: NewResult) => NewResult | Promise<NewResult>,
  ) {}

  /** The first write failure, if any. */
  get failure(): { error: unknown } | undefined {
    return this.writeError;
  }

  /** Starts the interval flush. */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Queues a result; resolves once it is buffered (and written, when it filled a batch). */
  async add(result: NewResult): Promise<void> {
    let prepared = result;
    if (this.prepare) {
      try {
        prepared = await this.prepare(result);
      } catch (error) {
        this.writeError ??= { error };
        return;
      }
    }
    this.buffer.push(prepared);
    if (this.buffer.length >= this.batchSize) await this.flush();
  }

  /** Writes what is buffered; resolves when every write queued so far has finished. */
  flush(): Promise<void> {
    if (this.buffer.length > 0) {
      const batch = this.buffer;
      this.buffer = [];
      this.chain = this.chain.then(async () => {
        if (this.writeError) return;
        try {
          this.written += await this.store.insertResults(batch);
        } catch (error) {
          this.writeError = { error };
        }
      });
    }
    return this.chain;
  }

  /** Stops the timer, writes the rest, waits for all writes; throws the first write failure. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.writeError) throw this.writeError.error;
  }
}
