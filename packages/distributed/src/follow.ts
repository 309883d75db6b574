import type PgBoss from 'pg-boss';
import { sanitise } from '@llm-lab/core';
import type { Lab, RunPlan, RunReport } from '@llm-lab/lab';
import { queueSchemaOf, schemaOfQueue } from './queue.js';

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
  /** Milliseconds between looks. Default 1000. */
  intervalMs?: number;
  onProgress?: (progress: DistributedProgress) => void;
  /** Stops following: the run's queued shards are cancelled and the run is marked cancelled (in-flight shards finish). */
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

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Follows a submitted run until every shard is done, then records it (`Lab.record`: summary,
 * thresholds, status `completed`). A shard that failed its last attempt marks the run failed
 * with its reason and cancels the shards still queued.
 */
export async function followRun(lab: Lab, boss: PgBoss, options: FollowOptions): Promise<FollowOutcome> {
  const now = options.now ?? Date.now;
  const samples: Array<{ at: number; results: number }> = [];
  const schema = options.queueSchema !== undefined ? queueSchemaOf(options.queueSchema) : schemaOfQueue(boss);
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

async function cancelQueued(boss: PgBoss, schema: string, options: Pick<FollowOptions, 'queue' | 'runId'>): Promise<void> {
  const { rows } = await boss
    .getDb()
    .executeSql(`SELECT id FROM ${schema}.job WHERE name = $1 AND data->>'runId' = $2 AND state < 'active'`, [options.queue, options.runId]);
  const ids = (rows as Array<{ id: string }>).map((row) => row.id);
  if (ids.length > 0) await boss.cancel(options.queue, ids);
}

async function cancel(lab: Lab, boss: PgBoss, schema: string, options: FollowOptions): Promise<FollowOutcome> {
  await cancelQueued(boss, schema, options);
  await markRun(lab, options.runId, 'cancelled', 'cancelled by the user');
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
