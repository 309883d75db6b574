import type PgBoss from 'pg-boss';
import { sanitise } from '@llm-lab/core';
import type { Lab, RunPlan, RunReport } from '@llm-lab/lab';
import pg from 'pg';
import { databaseOfQueue, queueSchemaOf, schemaOfQueue, SHARD_DONE_CHANNEL } from './queue.js';

// Following a distributed run from the process that submitted it: progress from storage (results
// stored) and from the queue (shards by state, finished shards by worker), then the record.

export interface WorkerProgress {
  /** `host:pid` of the worker. */
  worker: string;
  /** Shards it finished. */
  shards: number;
  /** Shards it is executing now. */
  active: number;
  /** Results it computed, in finished shards and (as last reported, every few seconds) in those it executes (not those it found stored). */
  executed: number;
}

export interface DistributedProgress {
  runId: string;
  /** Results stored, and planned (cases × prompts × providers × repeat). */
  results: number;
  planned: number;
  /** Cases done: results stored ÷ results per case. */
  casesDone: number;
  cases: number;
  shards: { total: number; queued: number; active: number; completed: number; failed: number; cancelled: number };
  /** Shards finished and being executed, by worker. */
  workers: WorkerProgress[];
  /** Results stored per second over the last minute; undefined until two samples. */
  perSecond: number | undefined;
  /** Seconds left at that rate. */
  etaSeconds: number | undefined;
}

export interface FollowOptions {
  runId: string;
  plan: RunPlan;
  /** The config the run was planned with (recording it checks its thresholds). */
  config: string;
  queue: string;
  /** pg-boss's schema. Default: the one `openQueue` opened the queue in. */
  queueSchema?: string | undefined;
  /** Milliseconds between looks (a worker's notice that a shard of the run ended makes the next look at once). Default 1000. */
  intervalMs?: number;
  onProgress?: (progress: DistributedProgress) => void;
  /** Stops following: the run is cancelled as by {@link cancelRun} (queued shards withdrawn, executing ones stop after their calls in flight). */
  signal?: AbortSignal;
  /** The clock of rates and ETAs (ms). Default Date.now. */
  now?: () => number;
}

export type FollowOutcome =
  | { status: 'completed'; report: RunReport }
  | { status: 'failed'; error: string }
  | { status: 'cancelled' };

interface StateRow {
  state: string;
  worker: string | null;
  shards: number;
  executed: number;
}

/** Shards of a run by state and (finished ones) by worker, from pg-boss's job and archive tables. */
async function shardStates(boss: PgBoss, schema: string, queue: string, runId: string): Promise<StateRow[]> {
  const jobs = (table: string) => `SELECT state::text AS state, output FROM ${schema}.${table} WHERE name = $1 AND data->>'runId' = $2`;
  const { rows } = await boss.getDb().executeSql(
    `SELECT state, CASE WHEN state IN ('completed', 'active') THEN output->>'worker' END AS worker, count(*)::int AS shards,
            coalesce(sum(CASE WHEN state IN ('completed', 'active') THEN (output->>'executed')::int END), 0)::int AS executed
       FROM (${jobs('job')} UNION ALL ${jobs('archive')}) AS shards GROUP BY 1, 2`,
    [queue, runId],
  );
  return rows as StateRow[];
}

/** Why a run's failed shard failed (its last attempt's message). */
async function failureOf(boss: PgBoss, schema: string, queue: string, runId: string): Promise<string> {
  const { rows } = await boss.getDb().executeSql(
    `SELECT data->>'shard' AS shard, output FROM ${schema}.job WHERE name = $1 AND data->>'runId' = $2 AND state = 'failed'
     UNION ALL SELECT data->>'shard', output FROM ${schema}.archive WHERE name = $1 AND data->>'runId' = $2 AND state = 'failed' LIMIT 1`,
    [queue, runId],
  );
  const row = rows[0] as { shard: string; output: { message?: string; value?: { message?: string } } | null } | undefined;
  const message = row?.output?.message ?? row?.output?.value?.message ?? 'no reason recorded';
  return `shard ${Number(row?.shard ?? 0) + 1} failed on its last attempt: ${message}`;
}

/** Counts a run's shards and results once. */
export async function distributedProgress(lab: Lab, boss: PgBoss, options: Pick<FollowOptions, 'runId' | 'plan' | 'queue' | 'queueSchema'>): Promise<Omit<DistributedProgress, 'perSecond' | 'etaSeconds'>> {
  const schema = options.queueSchema !== undefined ? queueSchemaOf(options.queueSchema) : schemaOfQueue(boss);
  const [rows, results] = await Promise.all([shardStates(boss, schema, options.queue, options.runId), lab.countResults(options.runId)]);
  const shards = { total: 0, queued: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
  const workers = new Map<string, WorkerProgress>();
  for (const row of rows) {
    shards.total += row.shards;
    if (row.state === 'created' || row.state === 'retry') shards.queued += row.shards;
    else if (row.state === 'active' || row.state === 'completed' || row.state === 'failed' || row.state === 'cancelled') shards[row.state] += row.shards;
    if ((row.state === 'completed' || row.state === 'active') && row.worker) {
      const worker = workers.get(row.worker) ?? { worker: row.worker, shards: 0, active: 0, executed: 0 };
      if (row.state === 'completed') worker.shards += row.shards;
      else worker.active += row.shards;
      worker.executed += row.executed;
      workers.set(row.worker, worker);
    }
  }
  const perCase = options.plan.prompts.length * options.plan.providers.length * options.plan.repeat;
  return {
    runId: options.runId,
    results,
    planned: options.plan.cases * perCase,
    casesDone: perCase > 0 ? Math.floor(results / perCase) : 0,
    cases: options.plan.cases,
    shards,
    workers: [...workers.values()].sort((a, b) => (a.worker < b.worker ? -1 : 1)),
  };
}

/**
 * Waits between looks at a run: `ms`, or less when a worker notifies the end of one of the run's
 * shards (LISTEN on its own connection), or when `signal` aborts. Without a connection (it could
 * not be opened), the wait is the whole `ms`.
 */
const NOTICE_GAP_MS = 200;

async function shardNotices(databaseUrl: string | undefined, runId: string) {
  let wake: (() => void) | undefined;
  let pending = false;
  let client: pg.Client | undefined;
  if (databaseUrl) {
    const opened = new pg.Client({ connectionString: databaseUrl, application_name: 'llm-lab-follow' });
    opened.on('error', () => undefined);
    opened.on('notification', (message) => {
      if (message.payload !== runId) return;
      pending = true;
      wake?.();
    });
    try {
      await opened.connect();
      await opened.query(`LISTEN ${SHARD_DONE_CHANNEL}`);
      client = opened;
    } catch {
      await opened.end().catch(() => undefined);
    }
  }
  return {
    // A notice shortens the wait to NOTICE_GAP_MS at least: a run whose shards end many times a
    // second is looked at five times a second, not at every shard.
    wait: (ms: number, signal: AbortSignal | undefined) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const startedAt = performance.now();
        let timer = setTimeout(done, pending ? Math.min(ms, NOTICE_GAP_MS) : ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          pending = false;
          signal?.removeEventListener('abort', done);
          resolve();
        }
        wake = () => {
          clearTimeout(timer);
          timer = setTimeout(done, Math.max(0, Math.min(ms, NOTICE_GAP_MS) - (performance.now() - startedAt)));
        };
        signal?.addEventListener('abort', done, { once: true });
      }),
    close: async () => {
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Follows a submitted run until every shard is done, then records it (`Lab.record`: summary,
 * thresholds, status `completed`). A shard that failed its last attempt marks the run failed
 * with its reason and cancels the shards still queued.
 */
export async function followRun(lab: Lab, boss: PgBoss, options: FollowOptions): Promise<FollowOutcome> {
  const schema = options.queueSchema !== undefined ? queueSchemaOf(options.queueSchema) : schemaOfQueue(boss);
  const notices = await shardNotices(databaseOfQueue(boss), options.runId);
  try {
    return await follow(lab, boss, options, schema, notices.wait);
  } finally {
    await notices.close();
  }
}

async function follow(lab: Lab, boss: PgBoss, options: FollowOptions, schema: string, sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>): Promise<FollowOutcome> {
  const now = options.now ?? Date.now;
  const samples: Array<{ at: number; results: number }> = [];
  for (;;) {
    if (options.signal?.aborted) return cancel(lab, boss, schema, options);
    const counted = await distributedProgress(lab, boss, options);
    const at = now();
    samples.push({ at, results: counted.results });
    while (samples.length > 2 && at - (samples[0] as { at: number }).at > 60_000) samples.shift();
    const first = samples[0] as { at: number; results: number };
    const seconds = (at - first.at) / 1000;
    const perSecond = samples.length > 1 && seconds > 0 ? (counted.results - first.results) / seconds : undefined;
    const left = Math.max(0, counted.planned - counted.results);
    const etaSeconds = perSecond !== undefined && perSecond > 0 ? left / perSecond : undefined;
    options.onProgress?.({ ...counted, perSecond, etaSeconds });

    if (counted.shards.failed > 0) {
      const error = await failureOf(boss, schema, options.queue, options.runId);
      await cancelQueued(boss, schema, options);
      await markRun(lab, options.runId, 'failed', error);
      return { status: 'failed', error };
    }
    // Cancelled from another process (`llm-lab runs cancel`): the run is already marked.
    if (counted.shards.cancelled > 0) return { status: 'cancelled' };
    if (counted.shards.total > 0 && counted.shards.completed === counted.shards.total) {
      try {
        return { status: 'completed', report: await lab.record(options.runId, options.config) };
      } catch (error) {
        // A shard taken over after its lease lapsed while its first worker still writes: the
        // record waits for that worker (its results count too).
        if ((error as { code?: unknown } | null)?.code !== 'run_in_progress') throw error;
      }
    }
    await sleep(options.intervalMs ?? 1000, options.signal);
  }
}

/**
 * Cancels a run's shards in the queue: those queued (`active: false`), or every unfinished one,
 * those being executed too. As pg-boss's `cancel`, in one statement that locks the rows first, so
 * the count of shards that were being executed is exact (one finishing at that moment is either
 * completed first, or cancelled and counted). Returns how many of each were cancelled.
 */
async function cancelShards(boss: PgBoss, schema: string, options: Pick<FollowOptions, 'queue' | 'runId'>, active: boolean): Promise<{ queued: number; active: number }> {
  const { rows } = await boss.getDb().executeSql(
    `WITH target AS (
       SELECT id, state FROM ${schema}.job WHERE name = $1 AND data->>'runId' = $2 AND state ${active ? "< 'completed'" : "< 'active'"} FOR UPDATE
     )
     UPDATE ${schema}.job AS job SET completed_on = now(), state = 'cancelled'
       FROM target WHERE job.name = $1 AND job.id = target.id
     RETURNING target.state::text AS state`,
    [options.queue, options.runId],
  );
  const states = rows as Array<{ state: string }>;
  const executing = states.filter((row) => row.state === 'active').length;
  return { queued: states.length - executing, active: executing };
}

async function cancelQueued(boss: PgBoss, schema: string, options: Pick<FollowOptions, 'queue' | 'runId'>): Promise<void> {
  await cancelShards(boss, schema, options, false);
}

/** What {@link cancelRun} did. */
export interface CancelledRun {
  /** Shards withdrawn before any worker took them, and shards being executed (their workers stop after their calls in flight). */
  queued: number;
  active: number;
}

/**
 * Cancels a distributed run from any process: its unfinished shards are cancelled in the queue
 * (workers take no more of them, and those executing one stop within a few seconds, after their
 * calls in flight), the run is marked `cancelled` (resumable with `--resume`), and a submitter
 * following it is told at once.
 */
export async function cancelRun(lab: Lab, boss: PgBoss, options: { runId: string; queue: string; queueSchema?: string | undefined; reason?: string }): Promise<CancelledRun> {
  const schema = options.queueSchema !== undefined ? queueSchemaOf(options.queueSchema) : schemaOfQueue(boss);
  const cancelled = await cancelShards(boss, schema, options, true);
  await markRun(lab, options.runId, 'cancelled', options.reason ?? 'cancelled by the user');
  await boss.getDb().executeSql('SELECT pg_notify($1, $2)', [SHARD_DONE_CHANNEL, options.runId]).catch(() => undefined);
  return cancelled;
}

async function cancel(lab: Lab, boss: PgBoss, schema: string, options: FollowOptions): Promise<FollowOutcome> {
  await cancelRun(lab, boss, { runId: options.runId, queue: options.queue, queueSchema: schema });
  return { status: 'cancelled' };
}

async function markRun(lab: Lab, runId: string, status: 'failed' | 'cancelled', error: string): Promise<void> {
  const storage = await lab.openStorage();
  const run = await storage.getRun(runId);
  const finishedAt = new Date();
  await storage.updateRun(runId, {
    status,
    finishedAt,
    durationMs: run ? finishedAt.getTime() - run.startedAt.getTime() : null,
    error: sanitise(error),
  });
}
