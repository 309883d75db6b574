/**
 * `createAccessHooks`: virtual keys, per-key limits and budgets, and the traffic record, as the
 * gateway's hooks (hooks.ts). The server calls `authenticate` before a call and `onCallEnd`
 * after it; nothing here reads the database on the request path (keys come from KeyCache, the
 * limits from memory or one Redis script, spend and traffic are written in the background).
 */
import type { Redis } from 'ioredis';
import type { GatewayKeyRecord, KeyStore, RequestStore } from '@llm-lab/storage';
import type { AuthenticateRefused, AuthenticateRequest, AuthenticateResult, GatewayHooks, ModelListing, TrafficRecord } from '../hooks.js';
import { TrafficRecorder, type TrafficRecorderOptions, type TrafficStats } from '../traffic/traffic-recorder.js';
import { KeyCache } from './key-cache.js';
import type { AccessLimiter, LimitedKey } from './limiter.js';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';
import { fromNano, SpendWriter, toNano } from './spend-writer.js';
import { describeKey, hashVirtualKey, parseAuthorization } from './virtual-key.js';

export interface AccessHooksOptions {
  /** Where keys are read, spend is added and traffic is recorded. */
  storage: Pick<KeyStore, 'listKeys' | 'addKeySpend'> & Pick<RequestStore, 'insertRequests'>;
  /** Redis (a URL or a client) for limits shared by several gateway processes; default: this process only. */
  redis?: string | Redis;
  /** Prefix of the Redis keys (default `llm-lab:gateway:`). */
  redisPrefix?: string;
  /**
   * When a call needs a key. `'always'` (the default): every call does. `'once-made'`: as soon as
   * the key table holds a key (live or revoked: revoking the last key does not open the gateway);
   * while it holds none, every call is let through without one (and charged to no key). A key made
   * while the gateway runs switches it within `keyTtlMs`, and a call sending that key is checked
   * against it at once.
   */
  requireKeys?: 'always' | 'once-made';
  /** How long a key read from storage is trusted: a revoked key stops working within it (default 5,000 ms). */
  keyTtlMs?: number;
  /** Least time between two key-table reads caused by unknown keys (default 1,000 ms). */
  keyMissRefreshMs?: number;
  /** Longest a call waits for a key-table read once the last is stale; then the last serves (default 1,000 ms). */
  keyStaleWaitMs?: number;
  /**
   * US dollars reserved from a key's budget while each of its calls is in flight (default 0).
   * With a reservation, N concurrent calls are admitted only while spend + N × reservation fits
   * the budget; without one, every call is admitted while spend is below the budget, and a
   * budget can be passed by the calls in flight when it was reached.
   */
  reserveUsd?: number;
  /** How often spend is written back to storage (default 1,000 ms). */
  spendFlushMs?: number;
  traffic?: {
    /** Routes whose request and response bodies are stored (default none). */
    bodies?: readonly string[] | ((route: string) => boolean);
    batchSize?: number;
    flushMs?: number;
    maxBuffered?: number;
    /** Applied to each record before it is written (the routes' PII masking, see TrafficRecorderOptions.prepare). */
    prepare?: TrafficRecorderOptions['prepare'];
  };
  /** The clock (ms), for tests. */
  now?: () => number;
  /** Where problems in the background (storage down, Redis errors) are reported; default stderr. */
  log?: (message: string) => void;
}

export interface AccessStats {
  traffic: TrafficStats;
  /** Spend writes to storage that failed (kept and tried again). */
  spendWriteFailures: number;
  /** Settlements (spend added to a limiter) that failed: Redis errors. */
  settleFailures: number;
  /** Key-table reads made. */
  keyReads: number;
}

/** Whether calls need a key now, and the keys the table holds (`keyStatus()`). */
export interface KeyStatus {
  required: boolean;
  live: number;
  revoked: number;
}

export interface AccessHooks extends GatewayHooks {
  authenticate(request: AuthenticateRequest): Promise<AuthenticateResult>;
  listModels(authorization: string | undefined): Promise<ModelListing>;
  onCallEnd(record: TrafficRecord): void;
  keepBodies(route: string): boolean;
  close(): Promise<void>;
  /** Counters for the metrics endpoint. */
  stats(): AccessStats;
  /** Reads the key table now: whether keys are required, and how many there are. */
  keyStatus(): Promise<KeyStatus>;
  /** Writes pending spend and traffic now (tests, shutdown). */
  flush(): Promise<void>;
}

/** A call let through without a key (keys are off). */
const OPEN: AuthenticateResult = { ok: true };

/** Refusals by `authenticate`: no call was made, so no reservation to release. */
const REFUSED = new Set(['unauthorized', 'forbidden', 'limited']);

/** Dollars with 2 decimals, or as many as it takes (up to 9) to show three digits of a smaller amount. */
export function formatUsd(amount: number): string {
  if (!(amount > 0)) return `$${amount.toFixed(2)}`;
  const decimals = Math.max(2, Math.min(9, Math.ceil(-Math.log10(amount)) + 2));
  return `$${amount.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

export function createAccessHooks(options: AccessHooksOptions): AccessHooks {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const spend = new SpendWriter({
    store: options.storage,
    flushMs: options.spendFlushMs ?? 1_000,
    onWriteError: (error) => log(`gateway keys: writing spend to storage failed, kept for the next write: ${(error as Error).message}`),
  });
  const keys = new KeyCache({
    store: options.storage,
    ttlMs: options.keyTtlMs ?? 5_000,
    missRefreshMs: options.keyMissRefreshMs ?? 1_000,
    ...(options.keyStaleWaitMs !== undefined ? { staleWaitMs: options.keyStaleWaitMs } : {}),
    now,
    serial: (work) => spend.serial(work),
    mark: () => spend.mark(),
    onReadError: (error) => log(`gateway keys: reading keys from storage failed, using the last read: ${(error as Error).message}`),
  });
  let snapshotMark = 0;
  const onceMade = options.requireKeys === 'once-made';
  /** Keys in the last read (-1 before the first): with 'once-made', calls need keys while it is above 0. */
  let tableSize = -1;
  keys.onSnapshot((snapshot) => {
    snapshotMark = snapshot.mark;
    spend.pruneThrough(snapshot.mark);
    if (onceMade && tableSize === 0 && snapshot.byId.size > 0) log('gateway keys: a key was made: calls need a key from now on');
    tableSize = snapshot.byId.size;
  });
  /** Spend as storage has it, plus this process's not yet read back. */
  const knownSpendNano = (key: LimitedKey) => toNano(keys.byId(key.id)?.spendUsd ?? 0) + spend.pending(key.id, snapshotMark);
  const limiter: AccessLimiter = options.redis
    ? new RedisLimiter({ redis: options.redis, ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}), seedNano: knownSpendNano })
    : new MemoryLimiter(knownSpendNano);
  const reserveNano = toNano(options.reserveUsd ?? 0);
  /** Reservations of this process's calls in flight, per key, oldest first. */
  const inFlight = new Map<string, number[]>();
  const recorder = new TrafficRecorder({
    store: options.storage,
    log,
    ...(options.traffic?.batchSize !== undefined ? { batchSize: options.traffic.batchSize } : {}),
    ...(options.traffic?.flushMs !== undefined ? { flushMs: options.traffic.flushMs } : {}),
    ...(options.traffic?.maxBuffered !== undefined ? { maxBuffered: options.traffic.maxBuffered } : {}),
    ...(options.traffic?.prepare ? { prepare: options.traffic.prepare } : {}),
  });
  const bodies = options.traffic?.bodies;
  const keepBodies = typeof bodies === 'function' ? bodies : ((routes) => (route: string) => routes.has(route))(new Set(bodies ?? []));
  let settleFailures = 0;

  /** The key an `Authorization` header names: OPEN while keys are off, a 401 refusal, or the live key. */
  async function identify(authorization: string | undefined): Promise<typeof OPEN | AuthenticateRefused | GatewayKeyRecord> {
    const parsed = parseAuthorization(authorization);
    // Keys off (no key made yet): a call without a gateway key goes through, charged to no key.
    if (onceMade && !parsed.ok && (await keys.current()).byId.size === 0) return OPEN;
    if (!parsed.ok) return { ok: false, status: 401, code: 'invalid_api_key', message: parsed.message };
    const hash = hashVirtualKey(parsed.key);
    let key = await keys.lookup(hash);
    if (key === undefined && onceMade && (await keys.current()).byId.size === 0) {
      // Open, and a key arrives: read the table now (not within the miss interval), so a key made a
      // moment ago is checked from its first call. While open anyone may call, so no read is saved by refusing.
      key = (await keys.refresh()).byHash.get(hash);
      if (key === undefined && (await keys.current()).byId.size === 0) return OPEN;
    }
    if (key === undefined) {
      return { ok: false, status: 401, code: 'invalid_api_key', message: `Incorrect API key provided: ${describeKey(parsed.key)}. It is not a key of this gateway.` };
    }
    if (key.revokedAt !== null) {
      return {
        ok: false,
        status: 401,
        code: 'invalid_api_key',
        message: `The API key ${key.prefix}*** ("${key.name}") was revoked on ${key.revokedAt.toISOString()}. Make a new one with 'llm-lab gateway keys create'.`,
      };
    }
    return key;
  }

  async function authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    const identified = await identify(request.authorization);
    if ('ok' in identified) return identified;
    const key = identified;
    const who = { keyId: key.id, keyName: key.name };
    if (key.models !== null && !key.models.includes(request.model)) {
      return {
        ok: false,
        status: 403,
        code: 'model_not_allowed',
        message: `The key "${key.name}" may not use model "${request.model}"; it may use: ${key.models.join(', ')}.`,
        ...who,
      };
    }
    const admission = await limiter.admit(key, reserveNano, now()).catch((error: unknown) => ({ ok: false as const, reason: 'unavailable' as const, error }));
    if (admission.ok) {
      if (reserveNano > 0) {
        const list = inFlight.get(key.id);
        if (list) list.push(reserveNano);
        else inFlight.set(key.id, [reserveNano]);
      }
      return { ok: true, ...who };
    }
    if (admission.reason === 'rpm') {
      const seconds = Math.ceil(admission.retryAfterMs / 1000);
      return {
        ok: false,
        status: 429,
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for key "${key.name}": ${key.rpm} requests per minute. Try again in ${seconds} s.`,
        retryAfterSeconds: seconds,
        ...who,
      };
    }
    if (admission.reason === 'budget') {
      const budget = key.budgetUsd as number;
      return {
        ok: false,
        status: 429,
        code: 'budget_exceeded',
        message:
          `Budget exceeded for key "${key.name}": it has spent ${formatUsd(fromNano(admission.spentNano))} of its ${formatUsd(budget)} budget` +
          (reserveNano > 0 && admission.spentNano < toNano(budget) ? ` (with the calls in flight, the next one would pass it)` : '') +
          `. Ask for a key with a larger budget.`,
        ...who,
      };
    }
    log(`gateway keys: the shared limits could not be checked: ${(admission.error as Error).message}`);
    return {
      ok: false,
      status: 429,
      code: 'limits_unavailable',
      message: 'The gateway cannot check the limits of your key right now (its Redis cannot be reached). Try again shortly.',
      retryAfterSeconds: 1,
      ...who,
    };
  }

  async function listModels(authorization: string | undefined): Promise<ModelListing> {
    const identified = await identify(authorization);
    if ('ok' in identified) return identified.ok ? { ok: true, models: null } : identified;
    return { ok: true, models: identified.models, keyName: identified.name };
  }

  function onCallEnd(record: TrafficRecord): void {
    recorder.record(record);
    if (record.keyId === undefined || (record.errorClass !== undefined && REFUSED.has(record.errorClass))) return;
    const key = keys.byId(record.keyId);
    if (key === undefined) return;
    const reserved = inFlight.get(key.id)?.shift() ?? 0;
    const cost = toNano(record.costUsd ?? 0);
    spend.add(key.id, cost);
    limiter.settle(key, cost, reserved).catch((error: unknown) => {
      settleFailures += 1;
      log(`gateway keys: adding spend to the shared limits failed: ${(error as Error).message}`);
    });
  }

  return {
    authenticate,
    listModels,
    onCallEnd,
    keepBodies,
    keyStatus: async () => {
      const table = [...(await keys.refresh()).byId.values()];
      const live = table.filter((key) => key.revokedAt === null).length;
      return { required: !onceMade || table.length > 0, live, revoked: table.length - live };
    },
    stats: () => ({ traffic: recorder.stats(), spendWriteFailures: spend.failedWrites, settleFailures, keyReads: keys.reads }),
    flush: async () => {
      await Promise.all([spend.flush(), recorder.flush()]);
    },
    close: async () => {
      await Promise.all([spend.close(), recorder.close()]);
      await limiter.close();
      const unwritten = spend.unwritten();
      if (unwritten > 0) log(`gateway keys: ${formatUsd(fromNano(unwritten))} of spend could not be written to storage`);
    },
  };
}
