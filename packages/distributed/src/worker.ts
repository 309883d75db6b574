import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { sanitise } from '@llm-lab/core';
import type { ExecutionOutcome, Lab, RunOptions } from '@llm-lab/lab';
import { labVersion, loadShardConfig } from './job-config.js';
import { parseShardJob, retryOnConflict, schemaOfQueue, type ShardJob, type ShardOutput } from './queue.js';

// A worker: takes shards from the queue one at a time and executes each through `Lab.execute`
// (the lab's provider manager: cache, rate limits, retries), so its results land in storage
// under their unique key. pg-boss gives each shard a lease (its expiry): a worker that dies
// mid-shard loses it, and another worker takes the shard over and skips what is stored.

/** Errors that say this worker cannot execute the run at all (another version, another config, a missing key). */
const REFUSALS = new Set(['version_skew', 'config_resume_mismatch', 'config_invalid', 'run_has_no_plan']);

export type WorkerEvent =
  | { type: 'shard-start'; runId: string; shard: number; shards: number; attempt: number }
  | { type: 'shard-done'; runId: string; shard: number; shards: number; output: ShardOutput }
  | { type: 'shard-handed-back'; runId: string; shard: number; shards: number; executed: number }
  | { type: 'shard-failed'; runId: string; shard: number; shards: number; message: string }
  | { type: 'refused'; runId: string; shard: number; message: string };

export interface WorkerOptions {
  queue: string;
  /** Calls in flight at once within a shard. Default: the run's `run.concurrency`. */
  concurrency?: number;
  /** Folder relative dataset paths are resolved against. Default: the submitting machine's config folder, as queued. */
  baseDir?: string;
  /** Seconds between looks at an empty queue. Default 1. */
  pollSeconds?: number;
  /** Seconds between reports of a shard's progress to the queue (the submitter's per-worker figures). Default 2. */
  progressSeconds?: number;
  /** This worker's name in progress and outputs. Default `host:pid`. */
  name?: string;
  /** The case preparation a run's plan names (a benchmark suite's `suite:<name>`), or undefined when this worker has none. */
  prepareCase?: (preparation: string) => RunOptions['prepareCase'] | undefined;
  onEvent?: (event: WorkerEvent) => void;
}

export interface WorkerSummary {
  name: string;
  /** Shards finished, handed back and failed by this worker. */
  completed: number;
  handedBack: number;
  failed: number;
  /** Why the worker stopped by itself (it refused a run's shards), if it did. */
  refused?: string;
}

export interface Worker {
  readonly name: string;
  /** Stops taking shards; the shard in hand finishes its calls in flight and is handed back. Resolves when it has been. */
  stop(): Promise<WorkerSummary>;
  /** Settles when the worker stops (by `stop`, or by itself after refusing a run). */
  readonly done: Promise<WorkerSummary>;
}

class RefusedError extends Error {
  readonly code = 'version_skew';
}

/** Starts a worker on `queue`. */
export function startWorker(lab: Lab, boss: PgBoss, options: WorkerOptions): Worker {
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const summary: WorkerSummary = { name, completed: 0, handedBack: 0, failed: 0 };
  const stopping = new AbortController();
  const versionOf = labVersion();
  versionOf.catch(() => undefined);
  const emit = (event: WorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure is not the worker's.
    }
  };

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  // Who holds an active shard and how far it got, in the job's `output` (which pg-boss replaces
  // when the job completes or fails): the submitter's progress per worker reads it.
  const schema = schemaOfQueue(boss);
  const report = (id: string, executed: number) =>
    boss
      .getDb()
      .executeSql(`UPDATE ${schema}.job SET output = $3::jsonb WHERE name = $1 AND id = $2 AND state = 'active'`, [options.queue, id, JSON.stringify({ worker: name, executed })])
      .catch(() => undefined);

  async function runShard(id: string, shard: ShardJob, attempt: number): Promise<void> {
    const where = { runId: shard.runId, shard: shard.shard, shards: shard.shards };
    emit({ type: 'shard-start', ...where, attempt });
    const started = performance.now();
    await report(id, 0);
    let reportedAt = started;
    // The engine's progress counts results found stored (`skipped`) as done: only computed ones are reported.
    const onProgress = (progress: { done: number; skipped?: number }) => {
      const now = performance.now();
      if (now - reportedAt < (options.progressSeconds ?? 2) * 1000) return;
      reportedAt = now;
      void report(id, progress.done - (progress.skipped ?? 0));
    };
    let outcome: ExecutionOutcome;
    try {
      const version = await versionOf;
      if (shard.labVersion !== version) {
        throw new RefusedError(`worker ${name} runs LLM Lab ${version} and run ${shard.runId} was planned by ${shard.labVersion}; start workers of the run's version so results are not mixed.`);
      }
      const loaded = loadShardConfig(shard.config, shard.configFile, options.baseDir ?? shard.baseDir);
      const prepareCase = await preparationOf(lab, shard.runId, options.prepareCase);
      outcome = await lab.execute(shard.runId, loaded, {
        slice: shard.slice,
        signal: stopping.signal,
        onProgress,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(prepareCase ? { prepareCase } : {}),
      });
    } catch (error) {
      const message = sanitise(error instanceof Error ? error.message : String(error));
      const code = (error as { code?: unknown } | null)?.code;
      await retryOnConflict(() => boss.fail(options.queue, id, { worker: name, message }));
      if (typeof code === 'string' && REFUSALS.has(code)) {
        summary.refused = message;
        emit({ type: 'refused', runId: shard.runId, shard: shard.shard, message });
        stopping.abort(new Error(message));
      } else {
        summary.failed += 1;
        emit({ type: 'shard-failed', ...where, message });
      }
      return;
    }
    if (outcome.status === 'cancelled') {
      // Stopped: the calls in flight finished and were stored; the rest goes back to the queue.
      await retryOnConflict(() => boss.fail(options.queue, id, { worker: name, message: `handed back by ${name} (stopping) after ${outcome.executed} results`, handedBack: true }));
      summary.handedBack += 1;
      emit({ type: 'shard-handed-back', ...where, executed: outcome.executed });
      return;
    }
    const output: ShardOutput = {
      worker: name,
      cases: outcome.cases,
      executed: outcome.executed,
      written: outcome.written,
      skipped: outcome.skipped,
      durationMs: Math.round(performance.now() - started),
    };
    await retryOnConflict(() => boss.complete(options.queue, id, output));
    summary.completed += 1;
    emit({ type: 'shard-done', ...where, output });
  }

  async function loop(): Promise<WorkerSummary> {
    while (!stopping.signal.aborted) {
      const [job] = await boss.fetch<unknown>(options.queue, { batchSize: 1, includeMetadata: true });
      if (!job) {
        await idle((options.pollSeconds ?? 1) * 1000);
        continue;
      }
      const shard = parseShardJob(job.data);
      if (!shard) {
        await boss.fail(options.queue, job.id, { worker: name, message: `not a shard this version of LLM Lab (${await versionOf}) understands` });
        continue;
      }
      await runShard(job.id, shard, job.retryCount + 1);
    }
    return summary;
  }

  const done = loop();
  return {
    name,
    done,
    stop: async () => {
      if (!stopping.signal.aborted) stopping.abort(new Error(`worker ${name} is stopping`));
      return done;
    },
  };
}

/** The case preparation a run's plan names, from `resolve`; undefined when it names none. */
async function preparationOf(lab: Lab, runId: string, resolve: WorkerOptions['prepareCase']): Promise<RunOptions['prepareCase'] | undefined> {
  if (!resolve) return undefined;
  const found = await lab.getRun(runId);
  const preparation = (found?.run.resolvedConfig as { plan?: { preparation?: unknown } } | null | undefined)?.plan?.preparation;
  return typeof preparation === 'string' ? resolve(preparation) : undefined;
}
