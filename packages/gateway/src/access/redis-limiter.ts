/**
 * The limiter shared by every gateway process pointed at one Redis: each check-and-reserve is
 * one Lua script, which Redis runs alone, so no two processes can both take the last slot of a
 * window or the last dollars of a budget.
 *
 * Keys, under `prefix` (default `llm-lab:gateway:`), per virtual key id:
 * - `{id}:spend` the key's spend in nano-dollars; set from storage's figure when missing (first
 *   use, or after Redis lost it), then only added to;
 * - `{id}:reserved` a hash of reservations in flight, one field per gateway process, so a process
 *   releases only its own (and its field expires 10 minutes after its last call if it dies);
 * - `{id}:window` a sorted set of admitted calls by time (the sliding minute), `{id}:seq` the
 *   counter that names them.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Redis } from 'ioredis';
import { WINDOW_MS, type AccessLimiter, type Admission, type LimitedKey } from './limiter.js';
import { toNano } from './spend-writer.js';
import { redisConnection } from '@llm-lab/provider-manager';

// KEYS: spend, reserved, window, seq. ARGV: now, windowMs, rpm (0: none), budget (-1: none),
// reserve, seed spend, process id, reservation ttl ms.
// Returns {1} admitted, {0, 'budget', spent} or {0, 'rpm', retryAfterMs}.
const ADMIT = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local reserve = tonumber(ARGV[5])
redis.call('SET', KEYS[1], ARGV[6], 'NX')
if budget >= 0 then
  local spent = tonumber(redis.call('GET', KEYS[1]))
  local reserved = 0
  local values = redis.call('HVALS', KEYS[2])
  for i = 1, #values do reserved = reserved + tonumber(values[i]) end
  if spent >= budget or (reserve > 0 and spent + reserved + reserve > budget) then
    return {0, 'budget', tostring(spent)}
  end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - windowMs)
  if redis.call('ZCARD', KEYS[3]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    return {0, 'rpm', tostring(tonumber(oldest[2]) + windowMs - now)}
  end
  redis.call('ZADD', KEYS[3], now, redis.call('INCR', KEYS[4]))
  redis.call('PEXPIRE', KEYS[3], windowMs)
  redis.call('PEXPIRE', KEYS[4], windowMs)
end
if reserve > 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[7], reserve)
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return {1}
`;

// KEYS: spend, reserved. ARGV: cost, reserve, seed spend, process id.
const SETTLE = `
redis.call('SET', KEYS[1], ARGV[3], 'NX')
redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 then
  if redis.call('HINCRBY', KEYS[2], ARGV[4], -tonumber(ARGV[2])) <= 0 then redis.call('HDEL', KEYS[2], ARGV[4]) end
end
return 1
`;

const RESERVATION_TTL_MS = 10 * 60_000;

interface LimiterCommands {
  llmLabAdmit(...args: Array<string | number>): Promise<[number, string?, string?]>;
  llmLabSettle(...args: Array<string | number>): Promise<number>;
}

export interface RedisLimiterOptions {
  /** A Redis URL (a client is made and closed with the limiter) or a client to use. */
  redis: string | Redis;
  /** Default `llm-lab:gateway:`. */
  prefix?: string;
  /** The key's spend as storage knows it (with this process's writes not yet read back): seeds a missing counter. */
  seedNano: (key: LimitedKey) => number;
}

export class RedisLimiter implements AccessLimiter {
  private readonly client: Redis & LimiterCommands;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly processId = randomUUID();

  constructor(private readonly options: RedisLimiterOptions) {
    this.prefix = options.prefix ?? 'llm-lab:gateway:';
    if (typeof options.redis === 'string') {
      // ioredis is loaded only when Redis is configured.
      const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof IORedis;
      const connection = redisConnection(options.redis);
      this.client = new RedisClient(connection.url, { maxRetriesPerRequest: 2, lazyConnect: false, ...(connection.tls ? { tls: connection.tls } : {}) }) as Redis & LimiterCommands;
      this.client.on('error', () => undefined); // failed commands say it; ioredis would log it too
      this.ownsClient = true;
    } else {
      this.client = options.redis as Redis & LimiterCommands;
      this.ownsClient = false;
    }
    this.client.defineCommand('llmLabAdmit', { numberOfKeys: 4, lua: ADMIT });
    this.client.defineCommand('llmLabSettle', { numberOfKeys: 2, lua: SETTLE });
  }

  private keys(id: string): { spend: string; reserved: string; window: string; seq: string } {
    const base = `${this.prefix}{${id}}`;
    return { spend: `${base}:spend`, reserved: `${base}:reserved`, window: `${base}:window`, seq: `${base}:seq` };
  }

  async admit(key: LimitedKey, reserveNano: number, now: number): Promise<Admission> {
    const keys = this.keys(key.id);
    const reply = await this.client.llmLabAdmit(
      keys.spend,
      keys.reserved,
      keys.window,
      keys.seq,
      now,
      WINDOW_MS,
      key.rpm ?? 0,
      key.budgetUsd === null ? -1 : toNano(key.budgetUsd),
      reserveNano,
      this.options.seedNano(key),
      this.processId,
      RESERVATION_TTL_MS,
    );
    if (reply[0] === 1) return { ok: true };
    if (reply[1] === 'budget') return { ok: false, reason: 'budget', spentNano: Number(reply[2]) };
    return { ok: false, reason: 'rpm', retryAfterMs: Math.max(1, Number(reply[2])) };
  }

  async settle(key: LimitedKey, costNano: number, reserveNano: number): Promise<void> {
    const keys = this.keys(key.id);
    await this.client.llmLabSettle(keys.spend, keys.reserved, costNano, reserveNano, this.options.seedNano(key), this.processId);
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
