import type { GenerateResponse } from '@llm-lab/core';
import type { ResponseCache } from './cache/response-cache.js';
import type { ManagerContext, Target } from './managed-target.js';

// How a managed call reads and writes the response cache: a cache failure is an event and a
// fallback to the manager's next cache, never a failed call.

/** The cached answer of `key`, or undefined; a failing cache is given up and its fallback asked. */
export async function readCache(context: ManagerContext, cache: ResponseCache, key: string, target: Target): Promise<GenerateResponse | undefined> {
  try {
    const hit = await cache.get(key);
    context.cacheAnswered();
    if (hit !== undefined && context.emitter.active['cache-hit']) {
      context.emitter.emit('cache-hit', { providerId: target.id, key, cache: cache.name });
    }
    return hit;
  } catch (error) {
    cacheFailed(context, cache, target, 'get', error);
    // The manager gave the cache up on this failure (or while it ran): ask its fallback instead.
    const fallback = context.cache;
    return fallback !== undefined && fallback !== cache ? readCache(context, fallback, key, target) : undefined;
  }
}

/** Stores an answer without waiting; a failure is an event, never a failed call. Errors are never stored. */
export function writeCache(context: ManagerContext, key: string, response: GenerateResponse, target: Target): void {
  // The manager gave the cache up while the call ran: the answer goes to its fallback, if any.
  const cache = context.cache;
  if (cache === undefined) return;
  let write: Promise<void>;
  try {
    write = cache.set(key, response, target.cacheTtlMs);
  } catch (error) {
    cacheFailed(context, cache, target, 'set', error);
    return;
  }
  write.catch((error: unknown) => cacheFailed(context, cache, target, 'set', error));
}

function cacheFailed(context: ManagerContext, cache: ResponseCache, target: Target, operation: 'get' | 'set', error: unknown): void {
  const emitter = context.emitter;
  if (emitter.active['cache-error']) emitter.emit('cache-error', { providerId: target.id, operation, cache: cache.name, error });
  context.cacheFailed(cache, error);
}

/** A cached answer as this call's response: no attempts, no queue, the time it took to read. */
export function fromCache(hit: GenerateResponse, target: Target, startedAt: number): GenerateResponse {
  return { ...hit, cached: true, attempts: 0, queueMs: 0, answeredBy: hit.answeredBy ?? target.id, latencyMs: performance.now() - startedAt };
}
