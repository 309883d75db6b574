/**
 * An AIMD concurrency limit: a rate-limit answer halves it (at most once per generation of calls,
 * so a burst of 429s from calls sent together counts once), each success raises it by 1/limit
 * (about one per round trip), up to `max`. Without `adaptive` it stays at `max`.
 */
export class AdaptiveConcurrency {
  readonly max: number;
  private readonly adaptive: boolean;
  private limitValue: number;
  private generationValue = 0;

  constructor(max: number, adaptive: boolean) {
    this.max = max;
    this.adaptive = adaptive;
    this.limitValue = max;
  }

  /** Calls allowed in flight now (a whole number, at least 1). */
  get limit(): number {
    return Math.max(1, Math.floor(this.limitValue));
  }

  /** Changes each time the limit is cut; a call remembers the generation it started in. */
  get generation(): number {
    return this.generationValue;
  }

  /** A success: additive increase. */
  onSuccess(): void {
    if (this.adaptive && this.limitValue < this.max) this.limitValue = Math.min(this.max, this.limitValue + 1 / this.limitValue);
  }

  /**
   * A rate-limit answer to a call started in `startedGeneration` with `inFlight` calls running:
   * multiplicative decrease to half of what was really in flight. Returns true when the limit changed.
   */
  onRateLimited(startedGeneration: number, inFlight: number): boolean {
    if (!this.adaptive || startedGeneration !== this.generationValue) return false;
    this.limitValue = Math.max(1, Math.floor(Math.min(this.limitValue, inFlight) / 2));
    this.generationValue += 1;
    return true;
  }
}
