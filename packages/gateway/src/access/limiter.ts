/**
 * Per-key limits, checked and reserved in one step: requests per minute (a sliding window of
 * the last 60 s, counted call by call) and a budget in US dollars (spend so far plus the
 * reservations of calls in flight). Two implementations: in this process (memory-limiter.ts) and
 * in Redis (redis-limiter.ts, a Lua script, so several gateway processes share the counts).
 * Amounts are integer nano-dollars.
 */

/** What a limiter needs to know of a key. */
export interface LimitedKey {
  id: string;
  /** Requests per minute; null: none. */
  rpm: number | null;
  /** Null: no budget. */
  budgetUsd: number | null;
}

export type Admission =
  | { ok: true }
  | { ok: false; reason: 'rpm'; retryAfterMs: number }
  | { ok: false; reason: 'budget'; spentNano: number };

export interface AccessLimiter {
  /**
   * Admits a call of `key` at `now` (ms), or says why not, and when admitted counts it against
   * the window and reserves `reserveNano` of the budget, atomically. A key under its budget is
   * admitted while spend + reservations + `reserveNano` stays within the budget (with no
   * reservation: while spend is below it).
   */
  admit(key: LimitedKey, reserveNano: number, now: number): Promise<Admission>;
  /** Adds a finished call's cost to the key's spend and releases its reservation. */
  settle(key: LimitedKey, costNano: number, reserveNano: number): Promise<void>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;

/** The budget check both limiters make. */
export function overBudget(budgetNano: number, spentNano: number, reservedNano: number, reserveNano: number): boolean {
  if (spentNano >= budgetNano) return true;
  return reserveNano > 0 && spentNano + reservedNano + reserveNano > budgetNano;
}
