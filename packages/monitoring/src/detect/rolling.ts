/** A window of the last `size` values kept sorted, for a rolling median and MAD in O(size) per point. */
export class RollingWindow {
  private readonly ring: Float64Array;
  private readonly sorted: number[] = [];
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
  }

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    if (this.count === this.size) {
      const old = this.ring[this.next]!;
      this.sorted.splice(this.lowerBound(old), 1);
    } else this.count++;
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.size;
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return this.sorted[lo]! + (this.sorted[hi]! - this.sorted[lo]!) * (pos - lo);
  }

  median(): number {
    return this.quantile(0.5);
  }

  /** Median absolute deviation from `center`. */
  mad(center: number): number {
    const deviations = Float64Array.from(this.sorted, (v) => Math.abs(v - center)).sort();
    const n = deviations.length;
    return n % 2 ? deviations[(n - 1) / 2]! : (deviations[n / 2 - 1]! + deviations[n / 2]!) / 2;
  }
}
