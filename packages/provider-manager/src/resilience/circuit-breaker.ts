import { ProviderError } from '@llm-lab/core';
import type { BreakerSettings } from '../config-schema.js';

/** A breaker's state: `closed` lets calls through, `open` fails them fast, `half-open` lets a few probes through. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A breaker's state and counters, for events and inspection. */
export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Calls and failures in the sliding window. */
  windowCalls: number;
  windowFailures: number;
  /** When an open breaker lets probes through (ms since the epoch); absent unless open. */
  retryAt?: number;
  /** Why it opened last, e.g. `5 consecutive failures`. */
  reason?: string;
}

/** What a caller holds while its call runs: whether it is a half-open probe. */
export type BreakerPermit = 'call' | 'probe';

const BUCKETS = 10;

/** What a user can do about calls refused by an open breaker (the end of every circuit-open error). */
export const OPEN_ADVICE =
  'A call without a fallback waits for the breaker to let a probe through only when that fits in its retry budget (retry.maxTotalMs); ' +
  "check the provider's status, raise retry.maxTotalMs, or configure fallbacks.";

/**
 * A circuit breaker for one underlying provider. Closed → open after `failureThreshold`
 * consecutive health failures, or when at least `minCalls` calls in the last `windowMs` failed at
 * `failureRate` or more; open → half-open after `cooldownMs`, letting `halfOpenMaxCalls` probes
 * through; a probe's success closes it, a probe's health failure opens it again for another
 * cooldown. The window is 10 time buckets in fixed arrays: recording a call allocates nothing.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly settings: BreakerSettings;
  private readonly onChange: ((snapshot: BreakerSnapshot, previous: BreakerState) => void) | undefined;
  private stateValue: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  /** When it last opened from closed: the start of the outage, through failed probes, until it closes. */
  private outageStart = 0;
  private answered = false;
  private probesInFlight = 0;
  private reason: string | undefined;
  private readonly bucketMs: number;
  private readonly bucketStart = new Float64Array(BUCKETS);
  private readonly bucketCalls = new Uint32Array(BUCKETS);
  private readonly bucketFailures = new Uint32Array(BUCKETS);
  /** Called once at the next state change or returned probe permit (callers waiting for a probe's outcome). */
  private changeListeners: Array<() => void> = [];

  constructor(name: string, settings: BreakerSettings, onChange?: (snapshot: BreakerSnapshot, previous: BreakerState) => void) {
    this.name = name;
    this.settings = settings;
    this.onChange = onChange;
    this.bucketMs = Math.max(1, settings.windowMs / BUCKETS);
  }

  get state(): BreakerState {
    return this.stateValue;
  }

  /**
   * Whether a call may go through now, without taking a permit. An open breaker whose cooldown has
   * passed becomes half-open here.
   */
  isAvailable(now: number = Date.now()): boolean {
    if (this.stateValue === 'closed' || !this.settings.enabled) return true;
    if (this.stateValue === 'open') {
      if (now < this.openedAt + this.settings.cooldownMs) return false;
      this.transition('half-open');
    }
    return this.probesInFlight < this.settings.halfOpenMaxCalls;
  }

  /**
   * When an open breaker starts letting probes through (ms since the epoch); undefined when it is
   * not open (closed, or half-open: then it lets a call through when a probe permit comes back).
   */
  get reopensAt(): number | undefined {
    return this.stateValue === 'open' ? this.openedAt + this.settings.cooldownMs : undefined;
  }

  /** When the breaker opened from closed (ms since the epoch), kept through failed probes; undefined while closed. */
  get outageStartedAt(): number | undefined {
    return this.stateValue === 'closed' ? undefined : this.outageStart;
  }

  /** Whether the provider has answered at least once (a success, or a failure that is not about its health). */
  get hasAnswered(): boolean {
    return this.answered;
  }

  /**
   * Calls `listener` once, at the next state change or when a probe's permit comes back (its
   * outcome is known, or it was cancelled): the moments a call refused now may be let through.
   * Returns a function that removes the listener.
   */
  onNextChange(listener: () => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const index = this.changeListeners.indexOf(listener);
      if (index !== -1) this.changeListeners.splice(index, 1);
    };
  }

  /** Takes a permit for one call, or returns undefined when the breaker does not let it through. */
  acquire(now: number = Date.now()): BreakerPermit | undefined {
    if (!this.isAvailable(now)) return undefined;
    if (this.stateValue === 'half-open') {
      this.probesInFlight += 1;
      return 'probe';
    }
    return 'call';
  }

  /** Records a call that got an answer (or failed for a reason that is not about health). */
  recordSuccess(permit: BreakerPermit, now: number = Date.now()): void {
    if (permit === 'probe') this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    this.consecutiveFailures = 0;
    this.answered = true;
    this.count(now, false);
    if (this.stateValue === 'half-open' && permit === 'probe') {
      this.resetWindow();
      this.transition('closed');
    }
    if (permit === 'probe') this.notifyChange();
  }

  /** Records a health failure; may open the breaker. */
  recordFailure(permit: BreakerPermit, now: number = Date.now()): void {
    if (permit === 'probe') this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    this.consecutiveFailures += 1;
    this.count(now, true);
    if (!this.settings.enabled) return;
    if (this.stateValue === 'half-open') {
      if (permit === 'probe') this.open(now, 'a failed probe call');
      return;
    }
    if (this.stateValue !== 'closed') return;
    if (this.consecutiveFailures >= this.settings.failureThreshold) {
      this.open(now, `${this.consecutiveFailures} consecutive failures`);
      return;
    }
    const { calls, failures } = this.windowTotals(now);
    if (calls >= this.settings.minCalls && failures / calls >= this.settings.failureRate) {
      const seconds = Math.round(this.settings.windowMs / 1000);
      this.open(now, `${failures} of ${calls} calls failed in the last ${seconds} s`);
    }
  }

  /** Returns a permit without recording anything (the call was cancelled). */
  release(permit: BreakerPermit): void {
    if (permit !== 'probe') return;
    this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    this.notifyChange();
  }

  snapshot(now: number = Date.now()): BreakerSnapshot {
    const { calls, failures } = this.windowTotals(now);
    return {
      name: this.name,
      state: this.stateValue,
      consecutiveFailures: this.consecutiveFailures,
      windowCalls: calls,
      windowFailures: failures,
      ...(this.stateValue === 'open' ? { retryAt: this.openedAt + this.settings.cooldownMs } : {}),
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
    };
  }

  /** The fail-fast error for a call refused by this open breaker. */
  openError(providerId: string, now: number = Date.now()): ProviderError {
    const waitMs = Math.max(0, this.openedAt + this.settings.cooldownMs - now);
    const when = this.stateValue === 'half-open' ? 'probe calls are in flight' : `retrying in ${Math.ceil(waitMs / 1000)} s`;
    return new ProviderError({
      kind: 'server',
      providerId,
      isRetryable: false,
      vendorCode: 'circuit_open',
      retryAfterMs: waitMs,
      message: `circuit open for ${this.name} after ${this.reason ?? 'repeated failures'}; ${when}. ${OPEN_ADVICE}`,
    });
  }

  private open(now: number, reason: string): void {
    if (this.stateValue === 'closed') this.outageStart = now;
    this.openedAt = now;
    this.reason = reason;
    this.transition('open');
  }

  private transition(next: BreakerState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    if (next === 'closed') this.consecutiveFailures = 0;
    this.onChange?.(this.snapshot(), previous);
    this.notifyChange();
  }

  private notifyChange(): void {
    if (this.changeListeners.length === 0) return;
    const listeners = this.changeListeners;
    this.changeListeners = [];
    for (const listener of listeners) listener();
  }

  private count(now: number, failed: boolean): void {
    const slot = Math.floor(now / this.bucketMs);
    const index = slot % BUCKETS;
    const start = slot * this.bucketMs;
    if (this.bucketStart[index] !== start) {
      this.bucketStart[index] = start;
      this.bucketCalls[index] = 0;
      this.bucketFailures[index] = 0;
    }
    this.bucketCalls[index] = (this.bucketCalls[index] as number) + 1;
    if (failed) this.bucketFailures[index] = (this.bucketFailures[index] as number) + 1;
  }

  private windowTotals(now: number): { calls: number; failures: number } {
    const oldest = now - this.settings.windowMs;
    let calls = 0;
    let failures = 0;
    for (let index = 0; index < BUCKETS; index++) {
      if ((this.bucketStart[index] as number) + this.bucketMs > oldest) {
        calls += this.bucketCalls[index] as number;
        failures += this.bucketFailures[index] as number;
      }
    }
    return { calls, failures };
  }

  private resetWindow(): void {
    this.bucketCalls.fill(0);
    this.bucketFailures.fill(0);
  }
}
