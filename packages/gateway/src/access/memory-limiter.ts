/**
 * The limiter of a single gateway process: windows and reservations in memory, spend from the
 * key snapshot plus what this process added since (see spend-writer.ts). JavaScript runs one
 * call at a time, so check-and-count is atomic without a lock.
 */
import { overBudget, WINDOW_MS, type AccessLimiter, type Admission, type LimitedKey } from './limiter.js';
import { toNano } from './spend-writer.js';

export class MemoryLimiter implements AccessLimiter {
  /** Start times of the calls admitted in the last minute, per key, oldest first. */
  private readonly windows = new Map<string, number[]>();
  private readonly reserved = new Map<string, number>();
  private readonly local = new Map<string, number>();

  /**
   * @param spentNano the key's spend as known outside this limiter (the stored spend plus this
   *   process's writes not yet read back); default: what `settle` added here.
   */
  constructor(private readonly spentNano: (key: LimitedKey) => number = (key) => this.local.get(key.id) ?? 0) {}

  admit(key: LimitedKey, reserveNano: number, now: number): Promise<Admission> {
    if (key.budgetUsd !== null) {
      const spent = this.spentNano(key);
      if (overBudget(toNano(key.budgetUsd), spent, this.reserved.get(key.id) ?? 0, reserveNano)) {
        return Promise.resolve({ ok: false, reason: 'budget', spentNano: spent });
      }
    }
    let window: number[] | undefined;
    if (key.rpm !== null) {
      window = this.windows.get(key.id);
      if (window === undefined) this.windows.set(key.id, (window = []));
      let expired = 0;
      while (expired < window.length && (window[expired] as number) <= now - WINDOW_MS) expired += 1;
      if (expired > 0) window.splice(0, expired);
      if (window.length >= key.rpm) {
        return Promise.resolve({ ok: false, reason: 'rpm', retryAfterMs: Math.max(1, (window[0] as number) + WINDOW_MS - now) });
      }
    }
    window?.push(now);
    if (reserveNano > 0) this.reserved.set(key.id, (this.reserved.get(key.id) ?? 0) + reserveNano);
    return Promise.resolve({ ok: true });
  }

  settle(key: LimitedKey, costNano: number, reserveNano: number): Promise<void> {
    if (reserveNano > 0) {
      const left = (this.reserved.get(key.id) ?? 0) - reserveNano;
      if (left > 0) this.reserved.set(key.id, left);
      else this.reserved.delete(key.id);
    }
    this.local.set(key.id, (this.local.get(key.id) ?? 0) + costNano);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
