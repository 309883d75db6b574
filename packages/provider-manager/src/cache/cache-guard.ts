import type { ManagerEmitter } from '../events.js';
import { isCacheUnavailable, type ResponseCache } from './response-cache.js';

/** Failed cache operations in a row (no lookup answered between them) after which the manager stops using a cache. */
export const MAX_CONSECUTIVE_CACHE_FAILURES = 5;

/**
 * Which cache the manager's calls use, and when to stop using it. A failed lookup or write is a
 * miss and a `cache-error` event; but a cache that says it cannot be reached at all (a
 * `cache_unavailable` error: Redis gave up connecting), or that failed
 * {@link MAX_CONSECUTIVE_CACHE_FAILURES} times in a row, is replaced by the fallback (a disk
 * cache, when one is configured) or by none, once, with one `cache-unavailable` event saying so:
 * the run goes on without paying for a dead cache on every call.
 */
export class CacheGuard {
  /** The cache calls use now. */
  current: ResponseCache | undefined;
  /** The fallback made when the first cache was given up, closed with the manager. */
  replacement: ResponseCache | undefined;
  private failures = 0;
  private tripped = false;

  /** The manager's own cache (made from settings), closed when given up; undefined once closed. */
  private owned: ResponseCache | undefined;

  constructor(
    cache: ResponseCache | undefined,
    private readonly fallback: (() => ResponseCache) | undefined,
    private readonly emitter: ManagerEmitter,
    ownsCache: boolean,
  ) {
    this.current = cache;
    this.owned = ownsCache ? cache : undefined;
  }

  /** Closes the caches the manager made: its own (unless already given up and closed) and the fallback. */
  async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    await Promise.all([owned?.close(), this.replacement?.close()]);
  }

  /** A lookup was answered (hit or miss): the cache works. */
  answered(): void {
    this.failures = 0;
  }

  /** An operation of `cache` failed. */
  failed(cache: ResponseCache, error: unknown): void {
    if (this.tripped || cache !== this.current) return;
    this.failures += 1;
    if (!isCacheUnavailable(error) && this.failures < MAX_CONSECUTIVE_CACHE_FAILURES) return;
    this.tripped = true;
    let replacement: ResponseCache | undefined;
    let fallbackError: unknown;
    try {
      replacement = this.fallback?.();
    } catch (caught) {
      fallbackError = caught;
    }
    this.current = replacement;
    this.replacement = replacement;
    // A cache the manager made stops trying (e.g. Redis reconnecting) as soon as it is given up.
    if (this.owned === cache) {
      this.owned = undefined;
      cache.close().catch(() => undefined);
    }
    const reason = isCacheUnavailable(error)
      ? (error as Error).message
      : `the response cache ${cache.name} failed ${this.failures} times in a row (last: ${error instanceof Error ? error.message : String(error)})`;
    const instead = replacement
      ? `this run goes on with the ${replacement.name.replace(/^disk:/, 'disk cache in ')}`
      : `this run goes on without a response cache${fallbackError === undefined ? '' : ` (the fallback cache failed too: ${fallbackError instanceof Error ? fallbackError.message : String(fallbackError)})`}`;
    if (this.emitter.active['cache-unavailable']) {
      this.emitter.emit('cache-unavailable', {
        cache: cache.name,
        ...(replacement ? { fallback: replacement.name } : {}),
        error,
        message: `${reason}; ${instead}.`,
      });
    }
  }
}
