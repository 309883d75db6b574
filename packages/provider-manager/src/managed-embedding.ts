import { createHash } from 'node:crypto';
import { ProviderError, type EmbedOptions, type EmbedResult, type EmbeddingProvider, type GenerateResponse, type LanguageModelProvider } from '@llm-lab/core';
import { providerIdentity } from './cache/cache-key.js';
import { readCache, writeCache } from './managed-cache.js';
import type { ManagedProvider } from './managed-provider.js';
import type { ManagedCallOptions, ManagerContext, Target } from './managed-target.js';
import { shouldFallBack, toProviderError, withAttemptCount, withAttempts } from './resilience/failure-policy.js';

/** An embedding answer of the managed chain: who answered and how many calls it took, like a chat answer. */
export interface ManagedEmbedResult extends EmbedResult {
  /** True when the response cache answered (no call was made). */
  cached: boolean;
  /** Calls made to providers, across fallbacks; 0 from the cache. */
  attempts: number;
  /** The member (or fallback's member) that answered. */
  answeredBy: string;
  /** Time waiting for a slot, the rate limiter or a breaker before the call that answered. */
  queueMs: number;
}

/**
 * Embeddings through the provider manager: the embedding model of each member of a managed
 * provider (and of its fallbacks), with the same response cache, circuit breakers, rate limits
 * and adaptive concurrency, retries and fallbacks as its chat calls. Made by
 * `ManagedProvider.embedding()`.
 */
export class ManagedEmbedding implements EmbeddingProvider {
  readonly id: string;
  /** Each member provider's embedding model, made once. */
  private readonly embedders = new WeakMap<LanguageModelProvider, EmbeddingProvider>();

  constructor(
    private readonly owner: ManagedProvider,
    private readonly context: ManagerContext,
    private readonly embedderFor: (provider: LanguageModelProvider) => EmbeddingProvider,
  ) {
    this.id = owner.id;
  }

  /** Embeds `texts` through the chain; rejects with a ProviderError (carrying its attempts) when retries and fallbacks are used up. */
  async embed(texts: string[], options: EmbedOptions & Pick<ManagedCallOptions, 'cache'> = {}): Promise<ManagedEmbedResult> {
    const chain = this.owner.targets();
    let spent = 0;
    for (let index = 0; ; index++) {
      const target = chain[index] as Target;
      const next = chain[index + 1];
      try {
        const result = await this.embedOn(target, texts, options, next === undefined);
        return spent === 0 ? result : { ...result, attempts: result.attempts + spent };
      } catch (error) {
        const failure = toProviderError(error, target.id);
        spent += failure.attempts ?? 1;
        if (next === undefined || !shouldFallBack(failure) || options.signal?.aborted) throw withAttemptCount(failure, spent);
        this.owner.emitFallback(target, next, failure);
      }
    }
  }

  /** One provider of the chain: its cache, then its retry loop over its members. */
  private async embedOn(target: Target, texts: string[], options: EmbedOptions & Pick<ManagedCallOptions, 'cache'>, waitForBreaker: boolean): Promise<ManagedEmbedResult> {
    const mode = options.cache ?? 'use';
    const cache = target.cacheEnabled && mode !== 'bypass' ? this.context.cache : undefined;
    const firstStartedAt = performance.now();
    const key = cache !== undefined ? embeddingCacheKey(target, texts, options.dimensions) : undefined;
    if (cache !== undefined && key !== undefined && mode === 'use') {
      const hit = await readCache(this.context, cache, key, target);
      if (hit !== undefined) return { ...fromEnvelope(hit), cached: true, attempts: 0, queueMs: 0, latencyMs: performance.now() - firstStartedAt };
    }
    const callOptions: EmbedOptions = { ...options, ...(target.timeoutMs !== undefined && options.timeoutMs === undefined ? { timeoutMs: target.timeoutMs } : {}) };
    delete (callOptions as { cache?: unknown }).cache;
    const deadline = waitForBreaker ? firstStartedAt + target.retry.maxTotalMs : undefined;
    let queuedMs = 0;
    for (let attempt = 1; ; attempt++) {
      const leased = this.owner.leaseFor(target, 0, options.signal, deadline, attempt, firstStartedAt);
      const lease = leased instanceof Promise ? await leased : leased;
      queuedMs += lease.waitedMs ?? 0;
      const member = lease.member;
      const startedAt = performance.now();
      let result: EmbedResult;
      try {
        result = await this.embedderOf(member.provider).embed(texts, callOptions);
      } catch (error) {
        const failure = toProviderError(error, member.provider.id);
        const delay = this.owner.settleFailure(target, lease, attempt, failure, startedAt, firstStartedAt, options.signal);
        if (delay === undefined) throw withAttempts(failure, attempt, performance.now() - firstStartedAt);
        await this.owner.backOff(delay, options.signal, target, member, attempt, firstStartedAt);
        continue;
      }
      this.owner.settleSuccess(target, lease, attempt, performance.now() - startedAt, { inputTokens: result.usage.inputTokens, outputTokens: 0, totalTokens: result.usage.totalTokens });
      const answer: ManagedEmbedResult = { ...result, cached: false, attempts: attempt, answeredBy: member.name, queueMs: queuedMs };
      if (cache !== undefined && key !== undefined) writeCache(this.context, key, toEnvelope(answer, target.id), target);
      return answer;
    }
  }

  private embedderOf(provider: LanguageModelProvider): EmbeddingProvider {
    let embedder = this.embedders.get(provider);
    if (embedder === undefined) {
      try {
        embedder = this.embedderFor(provider);
      } catch (error) {
        throw new ProviderError({ kind: 'bad-request', providerId: provider.id, message: (error as Error).message, cause: error });
      }
      this.embedders.set(provider, embedder);
    }
    return embedder;
  }
}

/**
 * An embeddings answer as the response cache stores answers (a GenerateResponse): the vectors,
 * model, usage and cost as JSON in `text`, so every cache (memory, disk, Redis) keeps it as it
 * is and counts its size by that text. Its key (see {@link embeddingCacheKey}) never meets a chat call's.
 */
function toEnvelope(answer: ManagedEmbedResult, providerId: string): GenerateResponse {
  const { embeddings, model, usage, cost, answeredBy } = answer;
  return {
    text: JSON.stringify({ embeddings, model, usage, ...(cost ? { cost } : {}) }),
    finishReason: 'stop',
    usage: { inputTokens: usage.inputTokens, outputTokens: 0, totalTokens: usage.totalTokens },
    latencyMs: answer.latencyMs,
    warnings: [],
    providerId,
    model,
    answeredBy,
  };
}

function fromEnvelope(hit: GenerateResponse): Omit<ManagedEmbedResult, 'cached' | 'attempts' | 'queueMs' | 'latencyMs'> {
  const stored = JSON.parse(hit.text) as Pick<EmbedResult, 'embeddings' | 'model' | 'usage' | 'cost'>;
  return { ...stored, answeredBy: hit.answeredBy ?? hit.providerId };
}

/** The cache key of an embeddings call: the provider, the servers of its members, the texts and the dimensions. */
function embeddingCacheKey(target: Target, texts: readonly string[], dimensions: number | undefined): string {
  const hash = createHash('sha256').update(`embed\u0000${target.id}\u0000${providerIdentity(target.providers) ?? ''}\u0000${dimensions ?? ''}`);
  // Length-prefixed, so no text can imitate a boundary.
  for (const text of texts) hash.update(`\u0000${text.length}:${text}`);
  return hash.digest('hex');
}
