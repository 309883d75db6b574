import { randomUUID } from 'node:crypto';
import {
  CONTRACT_VERSION,
  batchThroughGenerate,
  raceAbort,
  ProviderError,
  type BatchItemResult,
  type BatchOptions,
  type CallOptions,
  type CompletionScore,
  type CostBreakdown,
  type EmbeddingProvider,
  type GenerateRequest,
  type GenerateResponse,
  type LanguageModelProvider,
  type ModelInfo,
  type ScoreCompletionsRequest,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import type { PiiGuard } from '@llm-lab/security';
import { cacheKeyOf, providerIdentity, requestIdentity } from './cache/cache-key.js';
import { replay } from './cache/replay.js';
import { fromCache, readCache, writeCache } from './managed-cache.js';
import { ManagedEmbedding } from './managed-embedding.js';
import type { ManagedCallOptions, ManagerContext, Target } from './managed-target.js';
import type { ManagerEvents, RequestEndEvent, RequestIdentity } from './events.js';
import { estimateTokens, type Member } from './member.js';
import { abortableSleep, cancelledError } from './resilience/abortable-sleep.js';
import { waitForMember } from './resilience/breaker-wait.js';
import { OPEN_ADVICE, type BreakerPermit } from './resilience/circuit-breaker.js';
import { isHealthFailure, shouldFallBack, toProviderError, withAttemptCount, withAttempts } from './resilience/failure-policy.js';
import { retryDelayMs } from './resilience/retry-policy.js';
import { withBackstop } from './resilience/backstop.js';

export type { ManagedCallOptions, ManagerContext, Target } from './managed-target.js';

/** A member held for one attempt: its breaker permit and the concurrency generation it started in. */
interface Lease {
  member: Member;
  permit: BreakerPermit;
  generation: number;
  tokens: number;
  /** How long taking it waited (a slot, the rate limiter, an open breaker); absent when it did not. */
  waitedMs?: number;
}


/**
 * A provider that runs every call through the manager: response cache, single flight, load
 * balancing, rate limits and adaptive concurrency, circuit breakers, retries with backoff, and
 * fallbacks. It implements the provider contract, so the engine uses it like any other provider;
 * its answers say whether they were `cached`, how many `attempts` they took (calls made to
 * providers, across fallbacks; 0 from the cache), who answered (`answeredBy`) and how long they
 * waited before their call could start (`queueMs`). A failure carries its `attempts` too.
 */
export class ManagedProvider implements LanguageModelProvider {
  readonly contractVersion: string = CONTRACT_VERSION;
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  private readonly context: ManagerContext;
  private readonly primary: Target;
  private chain: Target[] | undefined;

  /**
   * Present when the first member can score completions: passed through to a member whose breaker
   * lets calls through (no cache, retries or fallbacks).
   */
  readonly scoreCompletions?: (request: ScoreCompletionsRequest, options?: CallOptions) => Promise<CompletionScore[]>;

  constructor(target: Target, context: ManagerContext) {
    this.primary = target;
    this.context = context;
    this.id = target.id;
    this.provider = target.provider;
    this.model = target.model;
    if (typeof (target.members[0] as Member).provider.scoreCompletions === 'function') {
      this.scoreCompletions = (request, options) => {
        const member = target.balancer.pick();
        if (member === undefined) return Promise.reject(this.openError(target));
        const score = member.provider.scoreCompletions;
        if (typeof score !== 'function') {
          return Promise.reject(new ProviderError({ kind: 'bad-request', providerId: member.provider.id, message: `${member.name} cannot score completions.` }));
        }
        return score.call(member.provider, request, options);
      };
    }
  }

  /** The PII policy of this provider's entry, if any (applied by PiiManagedProvider; read by the stores). */
  get pii(): PiiGuard | undefined {
    return this.primary.pii;
  }

  /** The names of this provider's members (deployments or keys), in order. */
  get members(): string[] {
    return this.primary.members.map((member) => member.name);
  }

  /** One call, answered whole. Rejects with a ProviderError after retries and fallbacks are used up. */
  async generate(request: GenerateRequest, options: ManagedCallOptions = {}): Promise<GenerateResponse> {
    const emitter = this.context.emitter;
    const identity = emitter.active['request-start'] || emitter.active['request-end'] ? this.identify(request, options) : undefined;
    // Whether this call's end is watched (decided once: a listener added mid-call has no start time to measure from).
    const endWatched = emitter.active['request-end'] || emitter.active['request-failed'];
    const startedAt = endWatched ? performance.now() : 0;
    if (identity && emitter.active['request-start']) emitter.emit('request-start', { ...identity, request, stream: false });
    try {
      const response = await this.generateThroughChain(request, options);
      if (identity && emitter.active['request-end']) this.emitEnd(identity, false, startedAt, response, undefined);
      return response;
    } catch (error) {
      const failure = toProviderError(error, this.id);
      if (endWatched) this.emitEnd(identity ?? this.identify(request, options), false, startedAt, undefined, failure);
      throw failure;
    }
  }

  /**
   * One call, streamed. A cached answer is replayed as text parts. Before the first text part a
   * failure is retried (and falls back) like `generate`; after it, the failure ends the stream,
   * since the text already delivered cannot be taken back.
   */
  async *streamGenerate(request: GenerateRequest, options: ManagedCallOptions = {}): AsyncIterable<StreamPart> {
    const emitter = this.context.emitter;
    const identity = emitter.active['request-start'] || emitter.active['request-end'] ? this.identify(request, options) : undefined;
    // Whether this call's end is watched (decided once: a listener added mid-call has no start time to measure from).
    const endWatched = emitter.active['request-end'] || emitter.active['request-failed'];
    const startedAt = endWatched ? performance.now() : 0;
    if (identity && emitter.active['request-start']) emitter.emit('request-start', { ...identity, request, stream: true });
    const chain = this.targets();
    let final: GenerateResponse | undefined;
    // Calls made by the providers of the chain that failed before the one answering.
    let spent = 0;
    try {
      for (let index = 0; ; index++) {
        const target = chain[index] as Target;
        const next = chain[index + 1];
        try {
          for await (const part of this.streamOn(target, request, options, next === undefined)) {
            if (part.type === 'finish') {
              final = spent === 0 ? part.response : { ...part.response, attempts: (part.response.attempts ?? 1) + spent };
              yield spent === 0 ? part : { type: 'finish', response: final };
              continue;
            }
            yield part;
          }
          break;
        } catch (error) {
          const failure = toProviderError(error, target.id);
          spent += failure.attempts ?? 1;
          if (next === undefined || final !== undefined || !shouldFallBack(failure) || options.signal?.aborted) throw withAttemptCount(failure, spent);
          this.emitFallback(target, next, failure);
        }
      }
    } catch (error) {
      const failure = toProviderError(error, this.id);
      if (endWatched) this.emitEnd(identity ?? this.identify(request, options), true, startedAt, undefined, failure);
      throw failure;
    }
    if (identity && emitter.active['request-end']) this.emitEnd(identity, true, startedAt, final, undefined);
  }

  /**
   * Many calls; each item says how it went. By default (and for a model without a vendor batch
   * API) each request is a managed call, at most `options.concurrency` (default 8) at once. With
   * `mode: 'api'` the requests go through the first member's vendor batch API instead: answers in
   * the response cache are served from it and not submitted, new answers are cached, and the
   * per-call policies (rate limits, adaptive concurrency, breakers, retries, fallbacks) do not
   * apply to the one submission: a failed item is reported in its place, and runs again when the
   * run is resumed.
   */
  async batchGenerate(requests: GenerateRequest[], options: BatchOptions & ManagedCallOptions = {}): Promise<BatchItemResult[]> {
    const member = this.primary.members[0] as Member;
    if (options.mode !== 'api' || !member.provider.getModelInfo().capabilities.batch) {
      const { mode: _mode, ...callOptions } = options;
      return batchThroughGenerate(requests, callOptions, (request, next) => this.generate(request, next));
    }
    const target = this.primary;
    const mode = options.cache ?? 'use';
    const cache = target.cacheEnabled && mode !== 'bypass' ? this.context.cache : undefined;
    const identity = providerIdentity(target.providers);
    const keys = cache !== undefined ? requests.map((request) => cacheKeyOf(target.id, request, identity)) : [];
    const results = new Array<BatchItemResult | undefined>(requests.length);
    const startedAt = performance.now();
    if (cache !== undefined && mode === 'use') {
      await Promise.all(
        keys.map(async (key, index) => {
          const hit = await readCache(this.context, cache, key, target);
          if (hit !== undefined) results[index] = { ok: true, response: fromCache(hit, target, startedAt) };
        }),
      );
    }
    const missing = requests.flatMap((_, index) => (results[index] === undefined ? [index] : []));
    if (missing.length > 0) {
      const { cache: _cache, source: _source, itemIds, ...batchOptions } = options;
      const sent = await member.provider.batchGenerate(
        missing.map((index) => requests[index] as GenerateRequest),
        { ...batchOptions, ...(itemIds ? { itemIds: missing.map((index) => itemIds[index] as string) } : {}) },
      );
      sent.forEach((item, position) => {
        const index = missing[position] as number;
        if (!item.ok) {
          results[index] = { ok: false, error: withAttemptCount(toProviderError(item.error, target.id), 1) };
          return;
        }
        const response: GenerateResponse = { ...item.response, cached: false, attempts: 1, answeredBy: member.name };
        if (cache !== undefined) writeCache(this.context, keys[index] as string, response, target);
        results[index] = { ok: true, response };
      });
    }
    return results as BatchItemResult[];
  }

  /** The first member's model facts, under this provider's id. */
  getModelInfo(): ModelInfo {
    const info = (this.primary.members[0] as Member).provider.getModelInfo();
    return { ...info, id: this.id, provider: this.provider, model: this.model };
  }

  estimateCost(usage: TokenUsage): CostBreakdown | undefined {
    return (this.primary.members[0] as Member).provider.estimateCost(usage);
  }

  /**
   * This provider's embedding model, managed like its chat calls: each member's embedding model
   * (made once by `embedderFor` from the member's provider: same server, key and limits),
   * with the cache, breakers, rate limits, retries and fallbacks of this provider's chain.
   */
  embedding(embedderFor: (provider: LanguageModelProvider) => EmbeddingProvider): EmbeddingProvider {
    return new ManagedEmbedding(this, this.context, embedderFor);
  }

  /** Closes this provider's members (each underlying provider is closed once, however many managed providers share it). */
  async close(): Promise<void> {
    await Promise.all(this.primary.members.map((member) => this.context.closeMember(member)));
  }

  /** This provider followed by its fallbacks, in order. */
  /** @internal */
  targets(): Target[] {
    this.chain ??= [this.primary, ...this.primary.fallbackIds.map((id) => this.context.target(id))];
    return this.chain;
  }

  /**
   * The provider, then its fallbacks in order. The last of the chain may wait for its circuit
   * breaker (within its retry budget); the others fall back at once. An answer's `attempts`, and
   * a failure's, count the calls made by every provider of the chain that was tried.
   */
  private async generateThroughChain(request: GenerateRequest, options: ManagedCallOptions): Promise<GenerateResponse> {
    const chain = this.targets();
    if (chain.length === 1) return this.generateOn(this.primary, request, options, true);
    let spent = 0;
    for (let index = 0; ; index++) {
      const target = chain[index] as Target;
      const next = chain[index + 1];
      try {
        const response = await this.generateOn(target, request, options, next === undefined);
        return spent === 0 ? response : { ...response, attempts: (response.attempts ?? 1) + spent };
      } catch (error) {
        const failure = toProviderError(error, target.id);
        spent += failure.attempts ?? 1;
        if (next === undefined || !shouldFallBack(failure) || options.signal?.aborted) throw withAttemptCount(failure, spent);
        this.emitFallback(target, next, failure);
      }
    }
  }

  /** Cache, then single flight, then the attempts. `waitForBreaker`: see {@link attempts}. */
  private async generateOn(target: Target, request: GenerateRequest, options: ManagedCallOptions, waitForBreaker: boolean): Promise<GenerateResponse> {
    const mode = options.cache ?? 'use';
    const cache = target.cacheEnabled && mode !== 'bypass' ? this.context.cache : undefined;
    const singleFlight = this.context.singleFlight;
    if (cache === undefined && !singleFlight) return this.attempts(target, request, options, waitForBreaker);
    const startedAt = performance.now();
    // Without a cache, single flight needs only the request's identity, not its sha256.
    const identity = providerIdentity(target.providers);
    const key = cache !== undefined ? cacheKeyOf(target.id, request, identity) : requestIdentity(target.id, request, identity);
    if (cache !== undefined && mode === 'use') {
      const hit = await readCache(this.context, cache, key, target);
      if (hit !== undefined) return fromCache(hit, target, startedAt);
    }
    if (!singleFlight) {
      const response = await this.attempts(target, request, options, waitForBreaker);
      if (cache !== undefined) writeCache(this.context, key, response, target);
      return response;
    }
    const inFlight = this.context.inFlight;
    const running = inFlight.get(key);
    if (running !== undefined) return this.follow(running, target, request, options, waitForBreaker);
    const leader = this.attempts(target, request, options, waitForBreaker);
    inFlight.set(key, leader);
    const forget = () => {
      if (inFlight.get(key) === leader) inFlight.delete(key);
    };
    leader.then(forget, forget);
    const response = await leader;
    if (cache !== undefined) writeCache(this.context, key, response, target);
    return response;
  }

  /** Waits for an identical call already in flight; runs its own when that one was cancelled by its caller. */
  private async follow(
    running: Promise<GenerateResponse>,
    target: Target,
    request: GenerateRequest,
    options: ManagedCallOptions,
    waitForBreaker: boolean,
  ): Promise<GenerateResponse> {
    try {
      return await (options.signal
        ? raceAbort(running, options.signal, (reason) => cancelledError(target.id, 'waiting for an identical call in flight', reason))
        : running);
    } catch (error) {
      const failure = toProviderError(error, target.id);
      if (failure.kind !== 'cancelled' || options.signal?.aborted) throw failure;
      return this.attempts(target, request, options, waitForBreaker);
    }
  }

  /**
   * The retry loop of a whole (not streamed) call. With `waitForBreaker` (the provider has no
   * fallback left to go to), a call that finds every member's breaker open waits for a probe to
   * be let through, as long as that fits in the retry budget (`maxTotalMs` from the first
   * attempt; the wait uses no attempt), instead of failing at once. Time spent waiting for the
   * breaker and for a slot under the member's limits is the answer's `queueMs`, with the
   * provider's own; its `latencyMs` is the provider's, the call alone. A failure carries the
   * attempts made.
   */
  private async attempts(target: Target, request: GenerateRequest, options: ManagedCallOptions, waitForBreaker: boolean): Promise<GenerateResponse> {
    const firstStartedAt = performance.now();
    const deadline = waitForBreaker ? firstStartedAt + target.retry.maxTotalMs : undefined;
    const tokens = (target.members[0] as Member).limitsTokens ? estimateTokens(request) : 0;
    let queuedMs = 0;
    for (let attempt = 1; ; attempt++) {
      const leased = this.leaseFor(target, tokens, options.signal, deadline, attempt, firstStartedAt);
      const lease = leased instanceof Promise ? await leased : leased;
      queuedMs += lease.waitedMs ?? 0;
      const member = lease.member;
      const startedAt = performance.now();
      let response: GenerateResponse;
      try {
        response = await this.callMember(target, member, request, options);
      } catch (error) {
        const failure = toProviderError(error, member.provider.id);
        const delay = this.settleFailure(target, lease, attempt, failure, startedAt, firstStartedAt, options.signal);
        if (delay === undefined) throw withAttempts(failure, attempt, performance.now() - firstStartedAt);
        await this.backOff(delay, options.signal, target, member, attempt, firstStartedAt);
        continue;
      }
      const latencyMs = performance.now() - startedAt;
      this.settleSuccess(target, lease, attempt, latencyMs, response.usage);
      return { ...response, cached: false, attempts: attempt, answeredBy: member.name, queueMs: queuedMs + (response.queueMs ?? 0) };
    }
  }

  /** The wait before a retry; a cancellation during it carries the attempts made. */
  /** @internal */
  async backOff(delayMs: number, signal: AbortSignal | undefined, target: Target, member: Member, attempt: number, firstStartedAt: number): Promise<void> {
    try {
      await abortableSleep(delayMs, signal, target.id, `waiting to retry ${member.name}`);
    } catch (error) {
      throw withAttempts(toProviderError(error, target.id), attempt, performance.now() - firstStartedAt);
    }
  }

  /** The retry loop of a streamed call: retries only while no text has been delivered. Otherwise as {@link attempts}. */
  private async *streamOn(target: Target, request: GenerateRequest, options: ManagedCallOptions, waitForBreaker: boolean): AsyncIterable<StreamPart> {
    const mode = options.cache ?? 'use';
    const cache = target.cacheEnabled && mode !== 'bypass' ? this.context.cache : undefined;
    const firstStartedAt = performance.now();
    const key = cache !== undefined ? cacheKeyOf(target.id, request, providerIdentity(target.providers)) : undefined;
    if (cache !== undefined && key !== undefined && mode === 'use') {
      const hit = await readCache(this.context, cache, key, target);
      if (hit !== undefined) {
        yield* replay(fromCache(hit, target, firstStartedAt));
        return;
      }
    }
    const tokens = (target.members[0] as Member).limitsTokens ? estimateTokens(request) : 0;
    const callOptions = this.callOptionsFor(target, options);
    const deadline = waitForBreaker ? firstStartedAt + target.retry.maxTotalMs : undefined;
    let queuedMs = 0;
    for (let attempt = 1; ; attempt++) {
      const leased = this.leaseFor(target, tokens, options.signal, deadline, attempt, firstStartedAt);
      const lease = leased instanceof Promise ? await leased : leased;
      queuedMs += lease.waitedMs ?? 0;
      const member = lease.member;
      const startedAt = performance.now();
      let delivered = false;
      let settled = false;
      try {
        for await (const part of member.provider.streamGenerate(request, callOptions)) {
          if (part.type !== 'finish') {
            if (part.type === 'text-delta') delivered = true;
            yield part;
            continue;
          }
          settled = true;
          this.settleSuccess(target, lease, attempt, performance.now() - startedAt, part.response.usage);
          const response: GenerateResponse = {
            ...part.response,
            cached: false,
            attempts: attempt,
            answeredBy: member.name,
            queueMs: queuedMs + (part.response.queueMs ?? 0),
          };
          if (cache !== undefined && key !== undefined) writeCache(this.context, key, response, target);
          yield { type: 'finish', response };
          return;
        }
        throw new ProviderError({
          kind: 'invalid-response',
          providerId: member.provider.id,
          message: `${member.provider.id} ended its stream without a finish part.`,
        });
      } catch (error) {
        if (settled) throw error;
        settled = true;
        const failure = toProviderError(error, member.provider.id);
        const delay = this.settleFailure(target, lease, attempt, failure, startedAt, firstStartedAt, options.signal);
        if (delay === undefined || delivered) throw withAttempts(failure, attempt, performance.now() - firstStartedAt);
        await this.backOff(delay, options.signal, target, member, attempt, firstStartedAt);
      } finally {
        // The consumer stopped reading early: free the slot without judging the provider.
        if (!settled) {
          lease.member.breaker.release(lease.permit);
          lease.member.leave();
        }
      }
    }
  }

  /**
   * Picks a member, takes its breaker permit and a slot under its limits: synchronously when
   * nothing holds the call back (the common case, no promise), else a promise that waits. When
   * every member's breaker refuses calls: with a `breakerDeadline`, waits for one to let a call
   * through before then (see {@link waitForMember}); without one, or when that cannot happen in
   * time, fails with the circuit-open error.
   */
  /** {@link lease} for attempt `attempt`: the time a held-back one waited is on it; a refusal carries the attempts made before it. */
  /** @internal */
  leaseFor(target: Target, tokens: number, signal: AbortSignal | undefined, deadline: number | undefined, attempt: number, firstStartedAt: number): Lease | Promise<Lease> {
    const refused = (error: unknown) => withAttempts(toProviderError(error, target.id), attempt - 1, performance.now() - firstStartedAt);
    let leased: Lease | Promise<Lease>;
    try {
      leased = this.lease(target, tokens, signal, deadline);
    } catch (error) {
      throw refused(error);
    }
    if (!(leased instanceof Promise)) return leased;
    const waitStartedAt = performance.now();
    return leased.then((lease) => ({ ...lease, waitedMs: performance.now() - waitStartedAt }), (error: unknown) => Promise.reject(refused(error)));
  }

  private lease(target: Target, tokens: number, signal: AbortSignal | undefined, breakerDeadline: number | undefined): Lease | Promise<Lease> {
    const member = target.balancer.pick();
    if (member === undefined) {
      if (breakerDeadline === undefined) throw this.openError(target);
      return waitForMember(target.members, target.balancer, breakerDeadline, target.retry.maxTotalMs, signal, target.id).then((available) => {
        if (available === undefined) throw this.openError(target);
        return this.enterMember(target, available.member, available.permit, tokens, signal);
      });
    }
    return this.enterMember(target, member, member.breaker.acquire() as BreakerPermit, tokens, signal);
  }

  /** With `member`'s breaker permit taken: a slot under its limits. */
  private enterMember(target: Target, member: Member, permit: BreakerPermit, tokens: number, signal: AbortSignal | undefined): Lease | Promise<Lease> {
    if (member.tryEnter(tokens)) return { member, permit, generation: member.concurrency.generation, tokens };
    return member.enter(tokens, signal, target.id).then(
      () => ({ member, permit, generation: member.concurrency.generation, tokens }),
      (error: unknown) => {
        member.breaker.release(permit);
        throw error;
      },
    );
  }

  /** Calls the member with the target's timeout; gives up on a provider that ignores it a little after it passed. */
  private callMember(target: Target, member: Member, request: GenerateRequest, options: ManagedCallOptions): Promise<GenerateResponse> {
    const callOptions = this.callOptionsFor(target, options);
    const call = member.provider.generate(request, callOptions);
    const timeoutMs = callOptions.timeoutMs;
    return timeoutMs === undefined ? call : withBackstop(call, timeoutMs, member.provider.id);
  }

  /** The call's options with the timeout that applies: the call's or the target's, as `callTimeoutWins` orders them. */
  private callOptionsFor(target: Target, options: ManagedCallOptions): CallOptions {
    if (target.timeoutMs === undefined) return options;
    if (options.timeoutMs !== undefined && this.context.callTimeoutWins) return options;
    return { ...options, timeoutMs: target.timeoutMs };
  }

  /** @internal */
  settleSuccess(target: Target, lease: Lease, attempt: number, latencyMs: number, usage: TokenUsage | undefined): void {
    const { member } = lease;
    member.breaker.recordSuccess(lease.permit);
    member.recordSuccess(latencyMs, lease.tokens, usage?.totalTokens);
    member.leave();
    const emitter = this.context.emitter;
    if (emitter.active.attempt) emitter.emit('attempt', { providerId: target.id, member: member.name, attempt, latencyMs });
  }

  /** Books a failed attempt; returns the wait before the next attempt, or undefined when there is none. */
  /** @internal */
  settleFailure(
    target: Target,
    lease: Lease,
    attempt: number,
    failure: ProviderError,
    startedAt: number,
    firstStartedAt: number,
    signal: AbortSignal | undefined,
  ): number | undefined {
    const { member } = lease;
    if (isHealthFailure(failure)) member.breaker.recordFailure(lease.permit);
    else if (failure.kind === 'cancelled') member.breaker.release(lease.permit);
    else member.breaker.recordSuccess(lease.permit);
    if (failure.kind === 'rate-limit') member.recordRateLimited(lease.generation, failure.retryAfterMs);
    member.leave();
    const emitter = this.context.emitter;
    if (emitter.active.attempt) {
      emitter.emit('attempt', { providerId: target.id, member: member.name, attempt, latencyMs: performance.now() - startedAt, error: failure });
    }
    const retry = target.retry;
    if (!failure.isRetryable || attempt >= retry.maxAttempts || signal?.aborted) return undefined;
    const delayMs = retryDelayMs(retry, attempt, failure);
    if (performance.now() - firstStartedAt + delayMs > retry.maxTotalMs) return undefined;
    if (emitter.active.retry) emitter.emit('retry', { providerId: target.id, member: member.name, attempt, delayMs, error: failure });
    return delayMs;
  }

  /** The fail-fast error when every member's breaker is open. */
  private openError(target: Target): ProviderError {
    const members = target.members;
    if (members.length === 1) return (members[0] as Member).breaker.openError(target.id);
    const waits = members.map((member) => member.breaker.snapshot().retryAt ?? Date.now());
    const seconds = Math.ceil(Math.max(0, Math.min(...waits) - Date.now()) / 1000);
    return new ProviderError({
      kind: 'server',
      providerId: target.id,
      isRetryable: false,
      vendorCode: 'circuit_open',
      retryAfterMs: seconds * 1000,
      message: `circuit open for every member of ${target.id} (${members.map((member) => member.name).join(', ')}); retrying in ${seconds} s. ${OPEN_ADVICE}`,
    });
  }

  /** @internal */
  emitFallback(from: Target, to: Target, error: ProviderError): void {
    const emitter = this.context.emitter;
    if (emitter.active.fallback) emitter.emit('fallback', { providerId: this.id, from: from.id, to: to.id, error });
  }

  /** The identity of one call, for its events. Made only when someone listens. */
  private identify(request: GenerateRequest, options: ManagedCallOptions): RequestIdentity {
    const runId = request.context?.runId;
    return {
      requestId: randomUUID(),
      source: options.source ?? (runId !== undefined ? `run:${runId}` : undefined),
      providerId: this.id,
      provider: this.provider,
      model: this.model,
    };
  }

  private emitEnd(
    identity: RequestIdentity,
    stream: boolean,
    startedAt: number,
    response: GenerateResponse | undefined,
    error: ProviderError | undefined,
  ): void {
    const emitter = this.context.emitter;
    const event: RequestEndEvent = {
      ...identity,
      stream,
      latencyMs: performance.now() - startedAt,
      cached: response?.cached ?? false,
      // A failure carries the calls made before it gave up.
      attempts: response?.attempts ?? error?.attempts ?? 0,
      ...(response ? { answeredBy: response.answeredBy, usage: response.usage } : {}),
      ...(response?.timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs: response.timeToFirstTokenMs } : {}),
      ...(response?.cost ? { costUsd: response.cost.totalUsd } : {}),
      ...(error ? { error, errorKind: error.kind } : {}),
    };
    if (emitter.active['request-end']) emitter.emit('request-end', event);
    // The same object: with `error` set it already carries `error` and `errorKind`.
    if (error && emitter.active['request-failed']) emitter.emit('request-failed', event as ManagerEvents['request-failed']);
  }
}
