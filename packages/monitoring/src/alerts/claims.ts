import type { Redis } from 'ioredis';

/**
 * Who sends a notification when several monitor processes watch the same traffic: before sending,
 * a process claims (dedup key, transition). The first claim wins and sends; the others learn the
 * winner's value (the incident's episode id) and stay silent. A claim lasts `ttlMs`; after that the
 * same (key, transition) can be claimed again (the cooldown of a firing message).
 */
export interface ClaimStore {
  /**
   * Claims (key, transition) with `value` for `ttlMs`. Returns `{ won: true, value }` when this
   * call made the claim, else `{ won: false, value }` with the value of the live claim.
   */
  claim(key: string, transition: string, value: string, ttlMs: number): Promise<{ won: boolean; value: string }>;
  close(): Promise<void>;
  /** Where claims live, for the startup line (`memory`, `redis`, `postgres`). */
  readonly kind: string;
}

/** Claims in this process only (embedded default): enough for one monitor process. */
export class MemoryClaimStore implements ClaimStore {
  readonly kind = 'memory';
  private readonly claims = new Map<string, { value: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, transition: string, value: string, ttlMs: number): Promise<{ won: boolean; value: string }> {
    const id = `${key}\u0000${transition}`;
    const held = this.claims.get(id);
    const now = this.now();
    if (held && held.until > now) return { won: false, value: held.value };
    if (this.claims.size > 10_000) for (const [k, c] of this.claims) if (c.until <= now) this.claims.delete(k);
    this.claims.set(id, { value, until: now + ttlMs });
    return { won: true, value };
  }

  async close(): Promise<void> {}
}

/**
 * Claims in Redis: `SET <prefix><key>:<transition> <value> NX PX <ttl>`, atomic across processes.
 * The expiry is Redis's own (real time), so a simulated clock does not move it.
 */
export class RedisClaimStore implements ClaimStore {
  readonly kind = 'redis';
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'llm-lab:alerts:',
    private readonly ownsClient = false,
  ) {}

  async claim(key: string, transition: string, value: string, ttlMs: number): Promise<{ won: boolean; value: string }> {
    const id = `${this.prefix}${key}:${transition}`;
    const set = await this.redis.set(id, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    if (set === 'OK') return { won: true, value };
    const held = await this.redis.get(id);
    return { won: false, value: held ?? value };
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit().catch(() => undefined);
  }
}

/** What the PostgreSQL claim store needs of a client: `pg`'s Pool and Client and PGlite all have it. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Claims in a PostgreSQL (or PGlite) table with a unique (dedup_key, transition) key: an insert
 * that conflicts with a live claim does nothing, one that conflicts with an expired claim takes
 * it over, in one statement. Expiry is judged with the monitor's clock (`now`), so a simulated
 * clock moves it. The table is created if missing (`CREATE TABLE IF NOT EXISTS`): it holds only
 * short-lived claims, not data to migrate.
 */
export class PostgresClaimStore implements ClaimStore {
  readonly kind = 'postgres';
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly options: { table?: string; now?: () => number; close?: () => Promise<void> } = {},
  ) {
    const table = options.table ?? 'monitor_alert_claims';
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/i.test(table)) throw new Error(`PostgresClaimStore: the table name ${JSON.stringify(table)} is not a plain SQL name; use letters, digits and _ (optionally schema.table).`);
  }

  private get table(): string {
    return this.options.table ?? 'monitor_alert_claims';
  }

  private init(): Promise<void> {
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    const schema = this.table.includes('.') ? this.table.slice(0, this.table.indexOf('.')) : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (schema) await this.db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await this.db.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (dedup_key text NOT NULL, transition text NOT NULL, value text NOT NULL, expires_at bigint NOT NULL, claimed_at bigint NOT NULL, PRIMARY KEY (dedup_key, transition))`,
        );
        return;
      } catch (error) {
        // Two processes creating the schema or table at once: one loses the catalog race (a unique
        // violation, or "already exists"); the next try finds them there.
        const code = (error as { code?: string }).code;
        if (attempt >= 3 || (code !== '23505' && code !== '42P07' && code !== '42P06')) throw error;
      }
    }
  }

  async claim(key: string, transition: string, value: string, ttlMs: number): Promise<{ won: boolean; value: string }> {
    await this.init();
    const now = (this.options.now ?? Date.now)();
    const won = await this.db.query<{ value: string }>(
      `INSERT INTO ${this.table} (dedup_key, transition, value, expires_at, claimed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (dedup_key, transition) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, claimed_at = EXCLUDED.claimed_at
       WHERE ${this.table}.expires_at <= $5
       RETURNING value`,
      [key, transition, value, now + Math.max(1, Math.round(ttlMs)), now],
    );
    if (won.rows.length > 0) return { won: true, value };
    const held = await this.db.query<{ value: string }>(`SELECT value FROM ${this.table} WHERE dedup_key = $1 AND transition = $2`, [key, transition]);
    return { won: false, value: held.rows[0]?.value ?? value };
  }

  async close(): Promise<void> {
    await this.options.close?.();
  }
}

/**
 * The claim store for a monitor process: Redis when `REDIS_URL` is set, else PostgreSQL when
 * `DATABASE_URL` is set (in `LLM_LAB_DB_SCHEMA` when that is set), else claims in memory (one
 * process: the embedded database belongs to one process anyway).
 */
export async function openClaimStore(env: Record<string, string | undefined> = process.env, now: () => number = Date.now): Promise<ClaimStore> {
  if (env.REDIS_URL) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(env.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
    return new RedisClaimStore(redis, env.LLM_LAB_ALERTS_REDIS_PREFIX ?? 'llm-lab:alerts:', true);
  }
  if (env.DATABASE_URL) {
    const pg = await import('pg');
    const pool = new pg.default.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    // Beside the lab's tables when they live in a schema of their own (LLM_LAB_DB_SCHEMA).
    const schema = env.LLM_LAB_DB_SCHEMA;
    return new PostgresClaimStore(pool, { now, close: () => pool.end(), ...(schema ? { table: `${schema}.monitor_alert_claims` } : {}) });
  }
  return new MemoryClaimStore(now);
}
