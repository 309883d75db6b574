import type { GenerateResponse } from '@llm-lab/core';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

type RedisModule = { Redis: new (url: string, options: RedisOptions) => Redis };
import { storableResponse, type ResponseCache } from './response-cache.js';

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  /** Default the `REDIS_URL` environment variable, else `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key, to keep projects (or test runs) apart. Default `llm-lab:cache:`. */
  keyPrefix?: string;
  /** An existing client to use instead of connecting; it is not closed by `close()`. */
  client?: Redis;
  /** Milliseconds a command may take before it fails (and the manager treats it as a miss). Default 2,000. */
  commandTimeoutMs?: number;
  /** Where `REDIS_URL` is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The URL with any password replaced, for names and messages. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

/**
 * A response cache in Redis, shared by every process and machine that uses the same server and
 * prefix. Values are JSON strings written with `SET … PX ttl`, so Redis expires them itself.
 * Commands time out after `commandTimeoutMs` and are not queued forever while Redis is away: a
 * cache that cannot answer costs one timeout, never a failed call.
 */
export class RedisResponseCache implements ResponseCache {
  readonly name: string;
  readonly keyPrefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;

  constructor(options: RedisCacheOptions = {}) {
    const url = options.url ?? (options.env ?? process.env).REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.keyPrefix = options.keyPrefix ?? 'llm-lab:cache:';
    this.name = `redis:${this.keyPrefix}`;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const redisOptions: RedisOptions = {
        commandTimeout: options.commandTimeoutMs ?? 2000,
        maxRetriesPerRequest: 1,
        connectTimeout: 5000,
        lazyConnect: false,
      };
      // ioredis is loaded only when a Redis cache is made (start-up of runs without one stays lean).
      const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as RedisModule;
      this.client = new RedisClient(url, redisOptions);
      // Connection trouble shows up as failed commands (treated as misses); keep ioredis from logging it too.
      this.client.on('error', () => undefined);
      this.ownsClient = true;
      this.name = `redis:${withoutPassword(url)}#${this.keyPrefix}`;
    }
  }

  async get(key: string): Promise<GenerateResponse | undefined> {
    const text = await this.client.get(this.keyPrefix + key);
    if (text === null) return undefined;
    try {
      const value = JSON.parse(text) as GenerateResponse;
      return typeof value === 'object' && value !== null && typeof value.text === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: GenerateResponse, ttlMs?: number): Promise<void> {
    const text = JSON.stringify(storableResponse(value));
    if (ttlMs !== undefined && ttlMs > 0) await this.client.set(this.keyPrefix + key, text, 'PX', Math.ceil(ttlMs));
    else await this.client.set(this.keyPrefix + key, text);
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.keyPrefix + key);
  }

  /** Deletes every key under the prefix (SCAN + UNLINK, in pages; never `FLUSHDB`). */
  async clear(): Promise<void> {
    const pattern = `${escapeGlob(this.keyPrefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await this.client.unlink(...keys);
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

/** Escapes Redis glob characters so a prefix matches literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/** Creates a response cache in Redis (see {@link RedisResponseCache}). */
export function createRedisCache(options: RedisCacheOptions = {}): RedisResponseCache {
  return new RedisResponseCache(options);
}
