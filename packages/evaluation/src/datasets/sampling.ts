/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine and Node version.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (mixed ^ (mixed >>> 14)) >>> 0;
  };
  // 53 random bits, so picking among billions of items stays uniform.
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

/**
 * Reservoir sampling (Algorithm R): offer items one at a time in a single pass; afterwards
 * `items()` is a uniform random sample of `size` of them (all of them when fewer were offered),
 * reproducible for a given seed and input order. Holds at most `size` items.
 */
export class Reservoir<T> {
  private readonly kept: Array<{ order: number; item: T }> = [];
  private offered = 0;
  private readonly random: () => number;

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** Considers `item` for the sample. */
  offer(item: T): void {
    const order = this.offered++;
    if (this.kept.length < this.size) {
      this.kept.push({ order, item });
      return;
    }
    const slot = Math.floor(this.random() * (order + 1));
    if (slot < this.size) this.kept[slot] = { order, item };
  }

  /** The sampled items, in the order they were offered. */
  items(): T[] {
    return [...this.kept].sort((left, right) => left.order - right.order).map(({ item }) => item);
  }
}
