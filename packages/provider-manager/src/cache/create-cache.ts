import { resolve } from 'node:path';
import type { ManagerCacheSettings } from '../config-schema.js';
import { createDiskCache } from './disk-cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';
import type { ResponseCache } from './response-cache.js';

/** Where relative paths and `REDIS_URL` are resolved when a cache is made from settings. */
export interface CreateCacheContext {
  /** Base of a relative `dir`. Default `process.cwd()`. */
  cwd?: string;
  /** Where `REDIS_URL` is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The default folder of the disk cache, relative to the working directory. */
export const DEFAULT_DISK_CACHE_DIR = '.llm-lab/cache';

/**
 * The cache to go on with when the one made from `settings` cannot be reached: for Redis with a
 * `dir`, a disk cache in that folder (made only when needed); otherwise none (undefined).
 */
export function fallbackCacheFor(settings: ManagerCacheSettings, context: CreateCacheContext = {}): (() => ResponseCache) | undefined {
  if (settings.kind !== 'redis' || settings.dir === undefined) return undefined;
  const dir = resolve(context.cwd ?? process.cwd(), settings.dir);
  return () => createDiskCache({ dir });
}

/**
 * Makes the run-wide response cache described by the `cache:` settings: an in-process LRU
 * (`memory`), a folder that persists between runs (`disk`), Redis (`redis`), or none (`none`,
 * which returns undefined).
 */
export function createCacheFromSettings(settings: ManagerCacheSettings, context: CreateCacheContext = {}): ResponseCache | undefined {
  switch (settings.kind) {
    case 'none':
      return undefined;
    case 'memory':
      return createMemoryCache({
        ...(settings.maxEntries !== undefined ? { maxEntries: settings.maxEntries } : {}),
        ...(settings.maxBytes !== undefined ? { maxBytes: settings.maxBytes } : {}),
      });
    case 'disk':
      return createDiskCache({ dir: resolve(context.cwd ?? process.cwd(), settings.dir ?? DEFAULT_DISK_CACHE_DIR) });
    case 'redis':
      return createRedisCache({
        ...(settings.url !== undefined ? { url: settings.url } : {}),
        ...(settings.keyPrefix !== undefined ? { keyPrefix: settings.keyPrefix } : {}),
        ...(context.env !== undefined ? { env: context.env } : {}),
      });
    default: {
      const exhaustive: never = settings.kind;
      return exhaustive;
    }
  }
}
