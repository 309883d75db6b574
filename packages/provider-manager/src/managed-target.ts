import type { CallOptions, GenerateResponse, LanguageModelProvider } from '@llm-lab/core';
import type { PiiGuard } from '@llm-lab/security';
import type { ResponseCache } from './cache/response-cache.js';
import type { BalancingStrategy, RetrySettings } from './config-schema.js';
import type { ManagerEmitter } from './events.js';
import type { LoadBalancer } from './load-balancer.js';
import type { Member } from './member.js';

/** Per-call options of a managed provider: the contract's, plus how to use the cache. */
export interface ManagedCallOptions extends CallOptions {
  /** `use` (default) reads and writes the cache; `refresh` skips the read but stores the answer; `bypass` does neither. */
  cache?: 'use' | 'refresh' | 'bypass';
  /**
   * Who makes the call, as events name it (`RequestIdentity.source`), e.g. a gateway route.
   * Default `run:<id>` when the request's context names a run.
   */
  source?: string;
}

/** One logical provider as the manager runs it: its members and its policies. */
export interface Target {
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  readonly members: readonly Member[];
  /** The members' providers, in order (what the cache key's provider identity is made of). */
  readonly providers: readonly LanguageModelProvider[];
  readonly strategy: BalancingStrategy;
  readonly balancer: LoadBalancer;
  readonly retry: RetrySettings;
  readonly timeoutMs: number | undefined;
  readonly cacheEnabled: boolean;
  readonly cacheTtlMs: number | undefined;
  readonly fallbackIds: readonly string[];
  /** The PII policy of the provider's entry, when it has one that is not `off`. */
  readonly pii?: PiiGuard;
}

/** What every managed provider of one manager shares. */
export interface ManagerContext {
  readonly emitter: ManagerEmitter;
  /** The cache calls use now (the manager may give it up: see CacheGuard). */
  readonly cache: ResponseCache | undefined;
  /** A lookup was answered. */
  cacheAnswered(): void;
  /** An operation of `cache` failed. */
  cacheFailed(cache: ResponseCache, error: unknown): void;
  readonly singleFlight: boolean;
  /** A call's own `timeoutMs` wins over the target's (else it applies only to targets without one). */
  readonly callTimeoutWins: boolean;
  readonly inFlight: Map<string, Promise<GenerateResponse>>;
  target(id: string): Target;
  closeMember(member: Member): Promise<void>;
}
