/**
 * Slots for calls in flight, shared by several slices executed at once in one process (a
 * distributed worker's current shard and the next one it took while the first drains): together
 * they never have more than `size` calls in flight. First come, first served.
 */
export class CallSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`call slots: expected a positive integer, got ${size}`);
    this.free = size;
  }

  /** Calls in flight (slots taken). */
  get taken(): number {
    return this.size - this.free;
  }

  /** Resolves once a slot is taken for the caller. */
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back (to the longest waiter, if any). */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free = Math.min(this.size, this.free + 1);
  }
}
