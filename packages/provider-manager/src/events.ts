import type { GenerateRequest, ProviderError, TokenUsage } from '@llm-lab/core';
import type { BreakerSnapshot, BreakerState } from './resilience/circuit-breaker.js';

/**
 * What names one call in its `request-start` and `request-end` events: the same `requestId` in
 * both, where it came from, and which provider and model it went to.
 */
export interface RequestIdentity {
  /** Unique per call (a UUID); pairs a call's start with its end. */
  requestId: string;
  /**
   * Who made the call: the call's `source` option (e.g. a gateway route, `route:/v1/chat`), else
   * `run:<id>` for a call whose request context names a run (the engine's calls), else undefined.
   */
  source: string | undefined;
  /** The managed provider's id (a run's provider label). */
  providerId: string;
  /** The provider family (`openai`) and model (`gpt-4o-mini`) of the managed provider. */
  provider: string;
  model: string;
}

/** A call's end: the payload of `request-end` (and of `request-failed`, with `error` set). */
export type RequestEndEvent = RequestIdentity & {
  stream: boolean;
  /** Who answered (absent on failure). */
  answeredBy?: string;
  /** Wall time of the whole call, retries and waits included. */
  latencyMs: number;
  usage?: TokenUsage;
  cached: boolean;
  /** Time to the first text of a streamed call, ms (absent when not streamed or not measured). */
  timeToFirstTokenMs?: number;
  /** The answer's cost in US dollars, when the provider prices it. */
  costUsd?: number;
  /** Calls made to providers (0 for a cache hit). */
  attempts: number;
  /** The failure's class (its ProviderError kind: `rate-limit`, `timeout`, …); absent on success. */
  errorKind?: ProviderError['kind'];
  error?: ProviderError;
};

/** Every event the manager emits, with its payload. Listeners run synchronously and must be quick. */
export interface ManagerEvents {
  /** A call to a managed provider starts. */
  'request-start': RequestIdentity & { request: GenerateRequest; stream: boolean };
  /** A call to a managed provider ends, answered (from a provider or the cache) or failed. */
  'request-end': RequestEndEvent;
  /**
   * A call failed for good (its retries and fallbacks used up): the same payload as its
   * `request-end`. For observers that only watch failures (the log at `info`): subscribed alone,
   * it costs a successful call nothing, where `request-end` builds an event (and a request id)
   * for every call. Its `requestId` pairs with a `request-start` only when that is subscribed too.
   * The all-events form of `observe` leaves it out, as it repeats `request-end`.
   */
  'request-failed': RequestEndEvent & { error: ProviderError; errorKind: ProviderError['kind'] };
  /** One call to one underlying provider ended. */
  attempt: { providerId: string; member: string; attempt: number; latencyMs: number; error?: ProviderError };
  /** A failed attempt will be retried after `delayMs`. */
  retry: { providerId: string; member: string; attempt: number; delayMs: number; error: ProviderError };
  /** A call was answered from the cache. */
  'cache-hit': { providerId: string; key: string; cache: string };
  /** The cache failed to read or write; the call went on as a miss. */
  'cache-error': { providerId: string; operation: 'get' | 'set'; cache: string; error: unknown };
  /**
   * The cache cannot be used (Redis cannot be reached, or it failed again and again), so the
   * manager stopped using it and went on with `fallback` (a disk cache) or without a cache.
   * Emitted once per manager; `message` says all of it, for a warning to the user.
   */
  'cache-unavailable': { cache: string; fallback?: string; error: unknown; message: string };
  /** A member's circuit breaker changed state. */
  'breaker-state-change': { member: string; from: BreakerState; to: BreakerState; snapshot: BreakerSnapshot };
  /** A provider failed (or its breakers are open) and the call moves on to a fallback. */
  fallback: { providerId: string; from: string; to: string; error: ProviderError };
  /** A member's adaptive concurrency limit changed after a rate-limit answer. */
  'concurrency-change': { member: string; limit: number; reason: 'rate-limited' };
}

export type ManagerEventName = keyof ManagerEvents;
export type ManagerListener<E extends ManagerEventName> = (event: ManagerEvents[E]) => void;

/** An observer object: any subset of the events, by name. */
export type ManagerObserver = { [E in ManagerEventName]?: ManagerListener<E> };

/** Any event, with its name in `type`: what a single listener of every event receives. */
export type ManagerEvent = { [E in ManagerEventName]: { type: E } & ManagerEvents[E] }[ManagerEventName];

/** One function for every event (see {@link ManagerEvent}). */
export type ManagerEventListener = (event: ManagerEvent) => void;

/**
 * The manager's event hub. `active[event]` is a plain boolean the hot path checks before it builds
 * an event, so nothing is allocated for events nobody listens to. A listener that throws is
 * ignored: observers cannot break calls.
 */
export class ManagerEmitter {
  readonly active: Record<ManagerEventName, boolean> = {
    'request-start': false,
    'request-end': false,
    'request-failed': false,
    attempt: false,
    retry: false,
    'cache-hit': false,
    'cache-error': false,
    'cache-unavailable': false,
    'breaker-state-change': false,
    fallback: false,
    'concurrency-change': false,
  };
  private readonly listeners: { [E in ManagerEventName]?: Array<ManagerListener<E>> } = {};

  on<E extends ManagerEventName>(event: E, listener: ManagerListener<E>): () => void {
    const list = (this.listeners[event] ??= []) as Array<ManagerListener<E>>;
    list.push(listener);
    this.active[event] = true;
    return () => this.off(event, listener);
  }

  off<E extends ManagerEventName>(event: E, listener: ManagerListener<E>): void {
    const list = this.listeners[event] as Array<ManagerListener<E>> | undefined;
    if (!list) return;
    const index = list.indexOf(listener);
    if (index !== -1) list.splice(index, 1);
    this.active[event] = list.length > 0;
  }

  /**
   * Subscribes every listener of an observer object, or one function to every event (it gets the
   * event's name in `type`); returns one function that unsubscribes them all.
   */
  observe(observer: ManagerObserver | ManagerEventListener): () => void {
    if (typeof observer === 'function') {
      const events = (Object.keys(this.active) as ManagerEventName[]).filter((event) => event !== 'request-failed');
      const offs = events.map((event) =>
        this.on(event, (payload) => observer({ type: event, ...payload } as ManagerEvent)),
      );
      return () => offs.forEach((off) => off());
    }
    const offs: Array<() => void> = [];
    for (const event of Object.keys(observer) as ManagerEventName[]) {
      const listener = observer[event];
      if (listener) offs.push(this.on(event, listener as ManagerListener<typeof event>));
    }
    return () => offs.forEach((off) => off());
  }

  emit<E extends ManagerEventName>(event: E, payload: ManagerEvents[E]): void {
    const list = this.listeners[event] as Array<ManagerListener<E>> | undefined;
    if (!list) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch {
        // An observer's failure must never fail or slow a call.
      }
    }
  }
}
