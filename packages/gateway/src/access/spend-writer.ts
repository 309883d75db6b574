/**
 * Spend written back to storage in batches, and what of it a key snapshot does not include yet.
 *
 * Calls add their cost here (integer nano-dollars, so sums are exact); every `flushMs` the totals
 * per key go to storage in one statement (`addKeySpend`). A failed write keeps its amounts for the
 * next. Writes and key-table reads run one after another (`serial`), each read noting how many
 * writes it follows (`mark`), so this process's spend as it sees it is exactly
 * snapshot + `pending(key, snapshot.mark)`: never counted twice, never missed between a write and
 * the next read.
 */
import type { KeyStore } from '@llm-lab/storage';

/** Dollars as integer nano-dollars: costs of 1e-9 USD are kept, and sums compare exactly. */
export const NANO_PER_USD = 1e9;
export const toNano = (usd: number): number => Math.round(usd * NANO_PER_USD);
export const fromNano = (nano: number): number => nano / NANO_PER_USD;

export interface SpendWriterOptions {
  store: Pick<KeyStore, 'addKeySpend'>;
  /** Default 1,000 ms; 0: only on `flush()` and `close()`. */
  flushMs?: number;
  onWriteError?: (error: unknown) => void;
}

export class SpendWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private unflushed = new Map<string, number>();
  private written: Array<{ seq: number; deltas: Map<string, number> }> = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Writes that failed (their amounts were kept for the next). */
  failedWrites = 0;

  constructor(private readonly options: SpendWriterOptions) {
    const flushMs = options.flushMs ?? 1_000;
    if (flushMs > 0) {
      this.timer = setInterval(() => void this.flush(), flushMs);
      this.timer.unref();
    }
  }

  /** Runs `work` after every write and read queued before it. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** How many writes have completed: a read made now includes all of them. */
  mark(): number {
    return this.seq;
  }

  add(keyId: string, nano: number): void {
    if (nano === 0) return;
    this.unflushed.set(keyId, (this.unflushed.get(keyId) ?? 0) + nano);
  }

  /** Spend of `keyId` by this process that a read marked `mark` does not include. */
  pending(keyId: string, mark: number): number {
    let nano = this.unflushed.get(keyId) ?? 0;
    for (const entry of this.written) if (entry.seq > mark) nano += entry.deltas.get(keyId) ?? 0;
    return nano;
  }

  /** Forgets writes that a read marked `mark` includes. */
  pruneThrough(mark: number): void {
    this.written = this.written.filter((entry) => entry.seq > mark);
  }

  /** Writes what is pending now. */
  flush(): Promise<void> {
    return this.serial(async () => {
      if (this.unflushed.size === 0) return;
      const deltas = this.unflushed;
      this.unflushed = new Map();
      try {
        await this.options.store.addKeySpend([...deltas].map(([keyId, nano]) => ({ keyId, usd: fromNano(nano) })));
        this.seq += 1;
        this.written.push({ seq: this.seq, deltas });
      } catch (error) {
        for (const [keyId, nano] of deltas) this.add(keyId, nano);
        this.failedWrites += 1;
        this.options.onWriteError?.(error);
      }
    });
  }

  /** Stops the timer and writes what is pending (once; a failure is reported, not thrown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Nano-dollars not yet written (after `close`, what could not be). */
  unwritten(): number {
    let nano = 0;
    for (const value of this.unflushed.values()) nano += value;
    return nano;
  }
}
