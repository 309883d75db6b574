import type { GenerateRequest, LanguageModelProvider } from '@llm-lab/core';
import type { BreakerSettings, ConcurrencySettings, RateLimitSettings } from './config-schema.js';
import type { ManagerEmitter } from './events.js';
import { abortableSleep, cancelledError } from './resilience/abortable-sleep.js';
import { AdaptiveConcurrency } from './resilience/adaptive-concurrency.js';
import { CircuitBreaker } from './resilience/circuit-breaker.js';
import type { SharedBudget, SharedRateLimitStore } from './resilience/redis-rate-limit.js';
import { TokenBucket } from './resilience/token-bucket.js';

/** How long a member uses its own buckets after its shared store failed, before trying the store again. */
const SHARED_STORE_RETRY_MS = 10_000;

/** The policies a member is built with. */
export interface MemberPolicy {
  breaker: BreakerSettings;
  rateLimit: RateLimitSettings;
  concurrency: ConcurrencySettings;
}

interface Waiter {
  tokens: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

const EWMA_WEIGHT = 0.3;
/** Output tokens assumed for a tokens-per-minute estimate when the request sets no maxTokens. */
const DEFAULT_OUTPUT_ESTIMATE = 256;

/** Tokens a request will probably use: about 4 characters a token for the prompt, plus maxTokens. */
export function estimateTokens(request: GenerateRequest): number {
  let characters = 0;
  for (const message of request.messages) characters += message.content.length;
  return Math.ceil(characters / 4) + (request.maxTokens ?? DEFAULT_OUTPUT_ESTIMATE);
}

/**
 * One underlying provider (a deployment, a key) as the manager drives it: its circuit breaker,
 * its request and token budgets, its adaptive concurrency limit, calls in flight and an EWMA of
 * its latency. `tryEnter` is the allocation-free fast path; `enter` queues (FIFO) when a budget,
 * the concurrency limit or a retry-after pause holds the call back.
 */
export class Member {
  readonly name: string;
  readonly provider: LanguageModelProvider;
  readonly breaker: CircuitBreaker;
  readonly concurrency: AdaptiveConcurrency;
  /** Calls running now. */
  inFlight = 0;
  /** Exponentially weighted mean latency in ms; 0 until the first success. */
  latencyMs = 0;
  private readonly rpm: TokenBucket | undefined;
  private readonly tpm: TokenBucket | undefined;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly emitter: ManagerEmitter;
  /** The store of this member's budgets when they are shared with other processes. */
  private readonly shared: SharedRateLimitStore | undefined;
  private readonly rateLimit: RateLimitSettings;
  /** Until when (performance.now) the shared store is not used, after it failed. */
  private sharedDownUntil = 0;

  constructor(name: string, provider: LanguageModelProvider, policy: MemberPolicy, emitter: ManagerEmitter, shared?: SharedRateLimitStore) {
    this.name = name;
    this.provider = provider;
    this.emitter = emitter;
    this.breaker = new CircuitBreaker(name, policy.breaker, (snapshot, previous) => {
      if (emitter.active['breaker-state-change']) {
        emitter.emit('breaker-state-change', { member: name, from: previous, to: snapshot.state, snapshot });
      }
    });
    this.concurrency = new AdaptiveConcurrency(policy.concurrency.max, policy.concurrency.adaptive);
    const { rpm, tpm, burstSeconds } = policy.rateLimit;
    this.rpm = rpm !== undefined ? new TokenBucket(rpm, burstSeconds) : undefined;
    this.tpm = tpm !== undefined ? new TokenBucket(tpm, burstSeconds) : undefined;
    this.rateLimit = policy.rateLimit;
    this.shared = shared && (rpm !== undefined || tpm !== undefined) ? shared : undefined;
  }

  /** True while the budgets are counted in the shared store (not after it failed, for a while). */
  private get sharing(): boolean {
    return this.shared !== undefined && this.sharedDownUntil <= performance.now();
  }

  private sharedBudgets(tokens: number): SharedBudget[] {
    const { rpm, tpm, burstSeconds } = this.rateLimit;
    const budgets: SharedBudget[] = [];
    if (rpm !== undefined) budgets.push({ name: 'rpm', perMinute: rpm, burstSeconds, amount: 1 });
    if (tpm !== undefined) budgets.push({ name: 'tpm', perMinute: tpm, burstSeconds, amount: tokens });
    return budgets;
  }

  /** A failed shared store: the member's own buckets count for a while. */
  private sharedFailed(): void {
    this.sharedDownUntil = performance.now() + SHARED_STORE_RETRY_MS;
  }

  /** Takes the call's budgets from the shared store, waiting as long as it says (a cool-down included). */
  private async acquireShared(tokens: number, signal: AbortSignal | undefined, providerId: string): Promise<void> {
    const store = this.shared as SharedRateLimitStore;
    for (;;) {
      let wait: number;
      try {
        wait = await store.acquire(this.name, this.sharedBudgets(tokens));
      } catch {
        this.sharedFailed();
        return;
      }
      if (wait <= 0) return;
      await abortableSleep(wait, signal, providerId, `waiting for ${this.name}'s shared rate limit`);
    }
  }

  /** True when the tokens-per-minute budget is on (callers estimate tokens only then). */
  get limitsTokens(): boolean {
    return this.tpm !== undefined;
  }

  /** Takes a slot now when nothing holds the call back and nobody is queued; false otherwise. */
  tryEnter(tokens: number): boolean {
    if (this.sharing) return false;
    if (this.queue.length > 0 || this.waitMs(tokens, performance.now()) !== 0) return false;
    this.take(tokens);
    return true;
  }

  /** Waits (FIFO) for a slot; rejects with a `cancelled` ProviderError when `signal` fires first. */
  enter(tokens: number, signal: AbortSignal | undefined, providerId: string): Promise<void> {
    const local = this.enterLocally(tokens, signal, providerId);
    if (!this.sharing) return local;
    // A slot here first (concurrency, this process's retry-after pause), then the shared budgets.
    return local.then(() =>
      this.acquireShared(tokens, signal, providerId).catch((error: unknown) => {
        this.leave();
        throw error;
      }),
    );
  }

  private enterLocally(tokens: number, signal: AbortSignal | undefined, providerId: string): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelledError(providerId, `waiting for ${this.name}'s rate limit`, signal.reason));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { tokens, resolve, reject, signal, onAbort: undefined, done: false };
      if (signal) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          reject(cancelledError(providerId, `waiting for ${this.name}'s rate limit`, signal.reason));
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Frees the slot of a finished call. */
  leave(): void {
    this.inFlight -= 1;
    if (this.queue.length > 0) this.pump();
  }

  /** Records a success's latency and usage (correcting the token estimate). */
  recordSuccess(latencyMs: number, estimatedTokens: number, usedTokens: number | undefined): void {
    this.latencyMs = this.latencyMs === 0 ? latencyMs : this.latencyMs + EWMA_WEIGHT * (latencyMs - this.latencyMs);
    if (usedTokens !== undefined && usedTokens > 0) {
      const { tpm, burstSeconds } = this.rateLimit;
      if (this.sharing && tpm !== undefined) {
        this.shared?.adjust(this.name, { name: 'tpm', perMinute: tpm, burstSeconds, amount: 0 }, estimatedTokens - usedTokens).catch(() => this.sharedFailed());
      } else {
        this.tpm?.adjust(estimatedTokens - usedTokens);
      }
    }
    this.concurrency.onSuccess();
  }

  /** A rate-limit answer: cut the concurrency limit, and hold every call back for the wait the vendor asked for. */
  recordRateLimited(startedGeneration: number, retryAfterMs: number | undefined): void {
    if (this.concurrency.onRateLimited(startedGeneration, this.inFlight) && this.emitter.active['concurrency-change']) {
      this.emitter.emit('concurrency-change', { member: this.name, limit: this.concurrency.limit, reason: 'rate-limited' });
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, performance.now() + retryAfterMs);
      // Every process sharing the budget waits too.
      if (this.sharing) this.shared?.coolDown(this.name, retryAfterMs).catch(() => this.sharedFailed());
    }
  }

  /** Waits until this member's retry-after pause is over (used between retries). */
  waitForPause(signal: AbortSignal | undefined, providerId: string): Promise<void> {
    const remaining = this.pausedUntil - performance.now();
    return remaining > 0 ? abortableSleep(remaining, signal, providerId, `waiting for ${this.name}'s retry-after`) : Promise.resolve();
  }

  /** Milliseconds until a call of `tokens` may start; Infinity while the concurrency limit is reached. */
  private waitMs(tokens: number, now: number): number {
    if (this.inFlight >= this.concurrency.limit) return Infinity;
    let wait = this.pausedUntil > now ? this.pausedUntil - now : 0;
    // Shared budgets are taken from the store once a slot is had (see enter).
    if (this.sharing) return wait < 1 ? 0 : wait;
    if (this.rpm) wait = Math.max(wait, this.rpm.waitMs(1, now));
    if (this.tpm) wait = Math.max(wait, this.tpm.waitMs(tokens, now));
    // A wait under a millisecond is not worth a timer: the bucket goes into a tiny debt instead.
    return wait < 1 ? 0 : wait;
  }

  private take(tokens: number): void {
    this.inFlight += 1;
    if (this.sharing) return;
    this.rpm?.take(1);
    this.tpm?.take(tokens);
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiter;
      if (head.done) {
        this.queue.shift();
        continue;
      }
      const wait = this.waitMs(head.tokens, performance.now());
      if (wait === Infinity) return; // leave() pumps again
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      this.queue.shift();
      head.done = true;
      if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
      this.take(head.tokens);
      head.resolve();
    }
  }
}
