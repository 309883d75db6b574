import { isLLMLabError, LLMLabError, sanitiseValue, type GenerateResponse } from '@llm-lab/core';

/**
 * One place to keep answers. Every implementation (memory, disk, Redis) behaves the same way:
 * `get` resolves `undefined` for a missing or expired key, `set` with `ttlMs` undefined (or 0)
 * keeps the entry until it is evicted or deleted. Implementations may reject on an I/O failure;
 * the provider manager turns such a failure into a miss (and a `cache-error` event), never into a
 * failed call.
 */
export interface ResponseCache {
  /** A short name for messages and events, e.g. `memory`, `disk:/path`, `redis:llm-lab:cache:`. */
  readonly name: string;
  get(key: string): Promise<GenerateResponse | undefined>;
  set(key: string, value: GenerateResponse, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes every entry of this cache (for Redis: every key under its prefix). */
  clear(): Promise<void>;
  /** Writes out anything buffered and releases files or connections. */
  close(): Promise<void>;
}

/** The error code of a cache that cannot be used at all any more (not one failed lookup): the manager stops using it. */
export const CACHE_UNAVAILABLE = 'cache_unavailable';

/** The error a cache fails every operation with once it knows it cannot be reached (e.g. Redis gave up connecting). */
export function cacheUnavailableError(message: string, cause?: unknown): LLMLabError {
  return new LLMLabError(CACHE_UNAVAILABLE, message, { cause });
}

/** True for a {@link cacheUnavailableError}. */
export function isCacheUnavailable(error: unknown): boolean {
  return isLLMLabError(error) && error.code === CACHE_UNAVAILABLE;
}

/**
 * The fields a cache stores: the answer without the per-call marks the manager adds (or the wait
 * for a slot it had), through the sanitiser as stored results are: an answer that quotes a key
 * (the one it was sent, or any key-shaped string) is kept, and served from the cache, without it.
 * Every cache (memory, disk, Redis) writes what this returns.
 */
export function storableResponse(response: GenerateResponse): GenerateResponse {
  const { cached: _cached, attempts: _attempts, queueMs: _queueMs, ...rest } = response;
  return sanitiseValue(rest);
}

/** Milliseconds since the epoch at which an entry written now with `ttlMs` expires; 0 = never. */
export function expiryOf(ttlMs: number | undefined, now: number = Date.now()): number {
  return ttlMs !== undefined && ttlMs > 0 ? now + ttlMs : 0;
}
