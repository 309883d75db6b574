import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { redisConnection } from '../redis-url.js';

// A requests- and tokens-per-minute budget shared by every process that uses the same Redis and
// prefix: the same token bucket as `TokenBucket` (capacity `perMinute / 60 × burstSeconds`, at
// least 1, refilled continuously), kept in a Redis hash and updated by one Lua script per call,
// so ten workers admit together what one would. A rate-limit answer (429) sets a shared
// cool-down that holds every process's calls back until the vendor's retry-after has passed.
// Time is the Redis server's (TIME), so the machines' clocks need not agree.

/** One budget of a call: the bucket's rate and burst, and what the call takes from it. */
export interface SharedBudget {
  /** `rpm` or `tpm`: a bucket of the member, under its key. */
  name: 'rpm' | 'tpm';
  perMinute: number;
  burstSeconds: number;
  amount: number;
}

/**
 * Where shared rate limits live. A member given one uses it instead of its in-process buckets:
 * same budgets, same algorithm, one count for every process. Keys are member names (the
 * provider id, or a member's own name).
 */
export interface SharedRateLimitStore {
  /** Takes every budget's amount at once and returns 0, or takes nothing and returns the milliseconds to wait (cool-down included). */
  acquire(key: string, budgets: readonly SharedBudget[]): Promise<number>;
  /** Gives back (positive) or charges (negative) tokens of one budget once a call's real cost is known. */
  adjust(key: string, budget: SharedBudget, amount: number): Promise<void>;
  /** Holds every process's calls to `key` back for `ms` (a 429's retry-after). */
  coolDown(key: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

const TIME = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** Reads and refills bucket `key` (rate per ms, capacity): tokens, as of now. */
const REFILL = `
local function refill(key, perMs, capacity, now)
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil then return capacity end
  if now > at then tokens = math.min(capacity, tokens + (now - at) * perMs) end
  return tokens
end
local function store(key, tokens, perMs, capacity, now)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  -- Once full again, the bucket is as good as absent.
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / perMs) + 1000)
end`;

/**
 * KEYS[1] the cool-down key, KEYS[2..] the buckets; ARGV[1] now (ms, or -1 for the server's
 * TIME), then per bucket: per-ms rate, capacity, amount. Returns 0 (taken) or the ms to wait.
 */
const ACQUIRE = `${TIME}
${REFILL}
local wait = 0
local cool = tonumber(redis.call('GET', KEYS[1]) or '0')
if cool > now then wait = cool - now end
local tokens = {}
for i = 2, #KEYS do
  local base = 2 + (i - 2) * 3
  local perMs, capacity, amount = tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  tokens[i] = refill(KEYS[i], perMs, capacity, now)
  local needed = math.min(amount, capacity)
  if tokens[i] < needed then wait = math.max(wait, (needed - tokens[i]) / perMs) end
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
for i = 2, #KEYS do
  local base = 2 + (i - 2) * 3
  store(KEYS[i], tokens[i] - tonumber(ARGV[base + 2]), tonumber(ARGV[base]), tonumber(ARGV[base + 1]), now)
end
return 0`;

/** KEYS[1] the bucket; ARGV: now, per-ms rate, capacity, amount to add. */
const ADJUST = `${TIME}
${REFILL}
local perMs, capacity = tonumber(ARGV[2]), tonumber(ARGV[3])
store(KEYS[1], math.min(capacity, refill(KEYS[1], perMs, capacity, now) + tonumber(ARGV[4])), perMs, capacity, now)
return 0`;

/** KEYS[1] the cool-down key; ARGV: now, ms. Extends the cool-down, never shortens it. */
const COOL_DOWN = `${TIME}
local untilMs = now + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], tostring(untilMs), 'PX', tonumber(ARGV[2])) end
return 0`;

type ScriptedRedis = Redis & {
  llmLabAcquire(...args: Array<string | number>): Promise<number>;
  llmLabAdjust(...args: Array<string | number>): Promise<number>;
  llmLabCoolDown(...args: Array<string | number>): Promise<number>;
};

export interface RedisRateLimitOptions {
  /** Default the `REDIS_URL` environment variable, else `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key (keep projects, or tests, apart). Default `llm-lab:rate:`. */
  keyPrefix?: string;
  /** An existing client to use (not closed by `close()`). */
  client?: Redis;
  /**
   * The clock, in ms, when not the Redis server's: for tests, which move it by hand and count
   * what is admitted. Default: Redis TIME, one clock for every process.
   */
  now?: () => number;
  /** Milliseconds a command may take before it fails (the member then falls back to its own buckets for a while). Default 2,000. */
  commandTimeoutMs?: number;
}

const rateOf = (budget: SharedBudget) => budget.perMinute / 60_000;
const capacityOf = (budget: SharedBudget) => Math.max(1, (budget.perMinute / 60) * budget.burstSeconds);

/** A {@link SharedRateLimitStore} in Redis (see the module comment). */
export class RedisRateLimitStore implements SharedRateLimitStore {
  readonly keyPrefix: string;
  private readonly client: ScriptedRedis;
  private readonly ownsClient: boolean;
  private readonly now: (() => number) | undefined;

  constructor(options: RedisRateLimitOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? 'llm-lab:rate:';
    this.now = options.now;
    if (options.client) {
      this.client = options.client as ScriptedRedis;
      this.ownsClient = false;
    } else {
      const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as { Redis: new (url: string, options: RedisOptions) => Redis };
      const connection = redisConnection(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      this.client = new RedisClient(connection.url, {
        ...(connection.tls ? { tls: connection.tls } : {}),
        commandTimeout: options.commandTimeoutMs ?? 2_000,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        lazyConnect: false,
      }) as ScriptedRedis;
      this.client.on('error', () => undefined);
      this.ownsClient = true;
    }
    // EVALSHA with the script loaded on first use (ioredis falls back to EVAL once).
    this.client.defineCommand('llmLabAcquire', { lua: ACQUIRE });
    this.client.defineCommand('llmLabAdjust', { numberOfKeys: 1, lua: ADJUST });
    this.client.defineCommand('llmLabCoolDown', { numberOfKeys: 1, lua: COOL_DOWN });
  }

  private clock(): number {
    return this.now ? this.now() : -1;
  }

  async acquire(key: string, budgets: readonly SharedBudget[]): Promise<number> {
    const keys = [`${this.keyPrefix}${key}:cool`, ...budgets.map((budget) => `${this.keyPrefix}${key}:${budget.name}`)];
    const args = budgets.flatMap((budget) => [rateOf(budget), capacityOf(budget), budget.amount]);
    return Number(await this.client.llmLabAcquire(keys.length, ...keys, this.clock(), ...args));
  }

  async adjust(key: string, budget: SharedBudget, amount: number): Promise<void> {
    await this.client.llmLabAdjust(`${this.keyPrefix}${key}:${budget.name}`, this.clock(), rateOf(budget), capacityOf(budget), amount);
  }

  async coolDown(key: string, ms: number): Promise<void> {
    await this.client.llmLabCoolDown(`${this.keyPrefix}${key}:cool`, this.clock(), Math.ceil(ms));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** A store in Redis shared by every process using the same server and prefix. */
export function createRedisRateLimitStore(options: RedisRateLimitOptions = {}): RedisRateLimitStore {
  return new RedisRateLimitStore(options);
}
