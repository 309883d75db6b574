import { describeError, LLMLabError, type GenerateResponse } from '@llm-lab/core';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { redisConnection } from '../redis-url.js';
import { cacheUnavailableError, storableResponse, type ResponseCache } from './response-cache.js';

type RedisModule = { Redis: new (url: string, options: RedisOptions) => Redis };

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
  /** Milliseconds one connection attempt may take. Default 1,000. */
  connectTimeoutMs?: number;
  /**
   * Attempts to reconnect in a row, after a connection that worked was lost, after which the
   * cache stops trying and every command fails at once with a `cache_unavailable` error. (When
   * the first connection fails, it stops at once.) Default 3.
   */
  maxConnectAttempts?: number;
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
 *
 * A Redis that cannot be reached costs little. A connection attempt gives up after
 * `connectTimeoutMs`. When the first connection fails, the cache stops trying at once: the
 * commands waiting for it, and every later one, fail with a `cache_unavailable` error, on which
 * the provider manager warns once and goes on without this cache (or with its fallback). A
 * connection lost later is retried; commands fail (as misses) while it is down, and after
 * `maxConnectAttempts` failed attempts in a row the cache is unavailable too. Commands on a
 * connected client time out after `commandTimeoutMs`.
 */
export class RedisResponseCache implements ResponseCache {
  readonly name: string;
  readonly keyPrefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  /** Set when the cache gave up connecting: every command fails with it. */
  private unavailable: Error | undefined;
  private closing = false;
  /** Whether a connection was ever made. */
  private connected = false;
  private readonly url: string;
  private lastError: unknown;

  constructor(options: RedisCacheOptions = {}) {
    const url = options.url ?? (options.env ?? process.env).REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.url = withoutPassword(url);
    this.keyPrefix = options.keyPrefix ?? 'llm-lab:cache:';
    this.name = `redis:${this.keyPrefix}`;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const maxConnectAttempts = Math.max(1, options.maxConnectAttempts ?? 3);
      const redisOptions: RedisOptions = {
        commandTimeout: options.commandTimeoutMs ?? 2000,
        connectTimeout: options.connectTimeoutMs ?? 1000,
        // Commands issued while connecting wait for the connection (a healthy Redis answers them
        // as soon as it is up), but fail as soon as an attempt to connect fails, not after several.
        maxRetriesPerRequest: 0,
        // `times` counts the attempts to reconnect since the connection was lost: stop after the last allowed one.
        retryStrategy: (times) => (times > maxConnectAttempts ? null : Math.min(100 * 2 ** (times - 1), 1000)),
        lazyConnect: false,
        // How long a disconnect waits for the socket to close before destroying it; that timer
        // (2 s by default) is never cleared when the socket had already closed, and would hold
        // the process open after a run that gave Redis up.
        disconnectTimeout: 100,
      };
      // ioredis is loaded only when a Redis cache is made (start-up of runs without one stays lean).
      const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as RedisModule;
      const connection = redisConnection(url);
      this.client = new RedisClient(connection.url, { ...redisOptions, ...(connection.tls ? { tls: connection.tls } : {}) });
      this.ownsClient = true;
      this.name = `redis:${withoutPassword(url)}#${this.keyPrefix}`;
      // Connection trouble shows up as failed commands (treated as misses); keep ioredis from logging it too.
      this.client.on('error', (error: unknown) => {
        this.lastError = error;
      });
      this.client.on('ready', () => {
        this.connected = true;
      });
      // The first connection failed: stop here rather than reconnect (whether or not a command is waiting).
      this.client.on('reconnecting', () => {
        if (!this.connected && !this.closing) this.giveUp();
      });
      this.client.on('end', () => {
        if (!this.closing) this.giveUp(` after ${maxConnectAttempts} connection attempt${maxConnectAttempts === 1 ? '' : 's'} in a row`);
      });
    }
  }

  /** Stops connecting: from now on every command fails with the returned `cache_unavailable` error. */
  private giveUp(detail = ''): Error {
    if (this.unavailable) return this.unavailable;
    this.unavailable = cacheUnavailableError(`${this.unreachable()}${detail}`, this.lastError);
    if (this.client.status !== 'end') this.client.disconnect();
    return this.unavailable;
  }

  /** `the Redis cache at <url> cannot be reached (<why>)`. */
  private unreachable(): string {
    const reason = this.lastError === undefined ? 'the connection closed' : describeError(this.lastError).replace(/^Error: /, '');
    return `the Redis cache at ${this.url} cannot be reached (${reason})`;
  }

  /**
   * Runs a command; fails at once when the cache gave up, and gives up when the first connection
   * failed. A command that failed because the connection is down says so.
   */
  private async command<T>(run: (client: Redis) => Promise<T>): Promise<T> {
    if (this.unavailable) throw this.unavailable;
    try {
      return await run(this.client);
    } catch (error) {
      if (this.unavailable) throw this.unavailable;
      if (!this.ownsClient || this.closing || this.client.status === 'ready') throw error;
      if (!this.connected) throw this.giveUp();
      throw new LLMLabError('cache_failed', this.unreachable(), { cause: error });
    }
  }

  async get(key: string): Promise<GenerateResponse | undefined> {
    const text = await this.command((client) => client.get(this.keyPrefix + key));
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
    if (ttlMs !== undefined && ttlMs > 0) await this.command((client) => client.set(this.keyPrefix + key, text, 'PX', Math.ceil(ttlMs)));
    else await this.command((client) => client.set(this.keyPrefix + key, text));
  }

  async delete(key: string): Promise<void> {
    await this.command((client) => client.del(this.keyPrefix + key));
  }

  /** Deletes every key under the prefix (SCAN + UNLINK, in pages; never `FLUSHDB`). */
  async clear(): Promise<void> {
    const pattern = `${escapeGlob(this.keyPrefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.command((client) => client.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
      cursor = next;
      if (keys.length > 0) await this.command((client) => client.unlink(...keys));
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    this.closing = true;
    if (this.client.status === 'end') return;
    // Not connected (given up, or reconnecting): a QUIT would wait in the offline queue for its timeout.
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
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
