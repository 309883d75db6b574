/**
 * A token bucket: `capacity` tokens at most, refilled continuously at `perMinute / 60,000` per
 * millisecond. Refill is computed lazily when the bucket is used, so an idle bucket costs nothing.
 * The balance may go negative after a correction (a call used more tokens than estimated), which
 * delays later calls until the debt is refilled.
 */
export class TokenBucket {
  readonly capacity: number;
  private readonly perMs: number;
  private tokens: number;
  private updatedAt: number;

  constructor(perMinute: number, burstSeconds: number, now: number = performance.now()) {
    this.perMs = perMinute / 60_000;
    this.capacity = Math.max(1, (perMinute / 60) * burstSeconds);
    this.tokens = this.capacity;
    this.updatedAt = now;
  }

  /** Milliseconds until `amount` tokens can be taken (0 = now). A request larger than the capacity waits for a full bucket. */
  waitMs(amount: number, now: number = performance.now()): number {
    this.refill(now);
    const needed = Math.min(amount, this.capacity);
    return this.tokens >= needed ? 0 : (needed - this.tokens) / this.perMs;
  }

  /** Takes `amount` tokens (call after `waitMs` returned 0). */
  take(amount: number): void {
    this.tokens -= amount;
  }

  /** Gives back (positive) or charges (negative) tokens after the real cost is known. */
  adjust(amount: number, now: number = performance.now()): void {
    this.refill(now);
    this.tokens = Math.min(this.capacity, this.tokens + amount);
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs);
      this.updatedAt = now;
    }
  }
}
