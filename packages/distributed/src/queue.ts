import PgBoss from 'pg-boss';
import { LLMLabError } from '@llm-lab/core';
import type { PlanSlice } from '@llm-lab/evaluation';

// The queue: pg-boss on the PostgreSQL that holds the results. One job is one shard of a planned
// run (a slice of consecutive cases); a job's data names the run, its slice and how to load the
// run's config. pg-boss owns its own schema (default `llm_lab_queue`); no LLM Lab table changes.

/** The queue shards go on unless `--queue` names another. */
export const DEFAULT_QUEUE = 'llm-lab-shards';

/** How long a worker may hold a shard before pg-boss hands it to another (pg-boss 10 has no heartbeat: this is the lease). */
export const DEFAULT_SHARD_TIMEOUT_SECONDS = 15 * 60;
/** How often expired shards are looked for (by any worker or follower connected to the queue). */
export const DEFAULT_MAINTENANCE_SECONDS = 30;
/** Attempts of a shard before the run is marked failed (the first and its retries). */
export const DEFAULT_SHARD_ATTEMPTS = 3;

/** The PostgreSQL channel a worker notifies (payload: the run id) when it finished or gave up a shard: the submitter following the run looks at once. */
export const SHARD_DONE_CHANNEL = 'llm_lab_shard_done';

/** What a shard job carries. */
export interface ShardJob {
  /** Shape of this object. */
  kind: 'llm-lab-shard';
  version: 1;
  runId: string;
  /** This shard's place among the run's shards (0-based) and how many there are. */
  shard: number;
  shards: number;
  slice: PlanSlice;
  /** The LLM Lab version that planned the run: a worker of another version refuses the shard. */
  labVersion: string;
  /**
   * The config as written (`${ENV}` references left for each worker to resolve in its own
   * environment; literal keys removed), its file name and folder (relative dataset paths are
   * resolved against it, or against the worker's `--base-dir`).
   */
  config: Record<string, unknown>;
  configFile: string | null;
  baseDir: string;
}

/** What a worker stores as a finished shard's output. */
export interface ShardOutput {
  worker: string;
  cases: number;
  executed: number;
  written: number;
  skipped: number;
  durationMs: number;
}

export interface QueueOptions {
  /** The PostgreSQL that holds the results (DATABASE_URL). */
  databaseUrl: string | undefined;
  /** pg-boss's schema. Default `llm_lab_queue` (env LLM_LAB_QUEUE_SCHEMA). */
  schema?: string | undefined;
  /** Connections this process keeps for the queue. Default 3. */
  connections?: number;
  /** Seconds between looks for expired shards. Default {@link DEFAULT_MAINTENANCE_SECONDS}. */
  maintenanceSeconds?: number;
}

/** Refuses a distributed command without a PostgreSQL URL, naming what to set. */
export function requireDatabaseUrl(databaseUrl: string | undefined): string {
  if (databaseUrl === undefined || databaseUrl === '') {
    throw new LLMLabError(
      'distributed_needs_postgres',
      'A distributed run needs PostgreSQL: its shards are queued and its results stored there. Set DATABASE_URL (or --database-url) to postgres://user:password@host:5432/db, the same for the submitting command and every worker.',
    );
  }
  if (!/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new LLMLabError('distributed_needs_postgres', `A distributed run needs a PostgreSQL URL (postgres://...); DATABASE_URL is not one. Set DATABASE_URL to the PostgreSQL that stores the results.`);
  }
  return databaseUrl;
}

/** pg-boss's schema name: the option, else LLM_LAB_QUEUE_SCHEMA, else `llm_lab_queue`. */
export function queueSchemaOf(schema: string | undefined): string {
  const name = schema ?? process.env.LLM_LAB_QUEUE_SCHEMA ?? 'llm_lab_queue';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new LLMLabError('invalid_queue_schema', `invalid queue schema name "${name}": use lowercase letters, digits and underscores (LLM_LAB_QUEUE_SCHEMA).`);
  }
  return name;
}

/** The schema each queue opened by {@link openQueue} lives in, and its database. */
const schemas = new WeakMap<PgBoss, string>();
const databases = new WeakMap<PgBoss, string>();

/** The database URL of a queue opened by {@link openQueue}. */
export function databaseOfQueue(boss: PgBoss): string | undefined {
  return databases.get(boss);
}

/** The schema of a queue opened by {@link openQueue} (else the default one). */
export function schemaOfQueue(boss: PgBoss): string {
  return schemas.get(boss) ?? queueSchemaOf(undefined);
}

/** Starts pg-boss (creating or migrating its schema) and makes sure `queue` exists. */
export async function openQueue(options: QueueOptions, queue: string): Promise<PgBoss> {
  const schema = queueSchemaOf(options.schema);
  const boss = new PgBoss({
    connectionString: requireDatabaseUrl(options.databaseUrl),
    schema,
    max: options.connections ?? 3,
    application_name: 'llm-lab-queue',
    maintenanceIntervalSeconds: options.maintenanceSeconds ?? DEFAULT_MAINTENANCE_SECONDS,
    // Queue sizes are read by the follower itself; no cron schedules are used.
    monitorStateIntervalSeconds: 60,
    schedule: false,
  });
  // A lost connection is reported by the next call that needs one; pg-boss's background loops only log.
  boss.on('error', () => undefined);
  schemas.set(boss, schema);
  databases.set(boss, requireDatabaseUrl(options.databaseUrl));
  try {
    await retryOnConflict(() => boss.start());
    // Workers starting together on a new database create the queue at the same moment: one
    // wins, the others find it (or are chosen as a deadlock's victim, and look again).
    await retryOnConflict(async () => {
      if (!(await boss.getQueue(queue))) await boss.createQueue(queue, { name: queue, policy: 'standard' });
    });
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw error;
  }
  return boss;
}

/** PostgreSQL's deadlock and serialization failures: the statement was rolled back and may simply be run again. */
function isConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Runs `action`, again (up to 5 times, after a short random pause) when PostgreSQL rolled it back for a conflict. */
export async function retryOnConflict<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!isConflict(error) || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 100 * attempt));
    }
  }
}

/**
 * The shard size when none is given: about fifty shards, of 20 to 500 cases. Enough shards that
 * a few dozen workers finish together (the last shards are small beside the run), few and large
 * enough that each shard's own cost (a fetch, a stored-keys read, a completion, the dataset read
 * up to it) stays small beside its calls, and the queue's rows few.
 */
export function defaultShardSize(cases: number): number {
  return Math.min(500, Math.max(20, Math.ceil(cases / 50)));
}

/** Shards of `size` cases covering a plan of `cases` cases; the last runs to the end of the dataset. */
export function shardSlices(cases: number, size: number): PlanSlice[] {
  if (!Number.isInteger(size) || size < 1) throw new LLMLabError('invalid_shard_size', `--shard-size must be a positive whole number of cases, got ${size}.`);
  const count = Math.max(1, Math.ceil(cases / size));
  return Array.from({ length: count }, (_, index) => ({ fromCase: index * size, toCase: index === count - 1 ? null : (index + 1) * size }));
}

/** A job's data as a shard, or undefined when it is not one this version understands. */
export function parseShardJob(data: unknown): ShardJob | undefined {
  const job = data as Partial<ShardJob> | null;
  if (!job || job.kind !== 'llm-lab-shard' || job.version !== 1 || typeof job.runId !== 'string' || typeof job.config !== 'object') return undefined;
  return job as ShardJob;
}
