import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { sanitise } from '@llm-lab/core';
import type { ExecutionOutcome, Lab, RunOptions, SliceExecutor } from '@llm-lab/lab';
import { labVersion, loadShardConfig } from './job-config.js';
import { parseShardJob, retryOnConflict, schemaOfQueue, SHARD_DONE_CHANNEL, type ShardJob, type ShardOutput } from './queue.js';

// A worker: takes shards from the queue and executes each through a run prepared once per run
// (`Lab.openSlices`: the lab's provider manager, cache, rate limits, retries), so its results
// land in storage under their unique key. It takes the next shard as soon as the current one has
// no call left to start, and both share the worker's concurrency, so calls keep flowing. pg-boss gives each shard a lease (its expiry): a worker that dies
// mid-shard loses it, and another worker takes the shard over and skips what is stored.

/** Shards a worker holds at once: the one executing, and the next while the first finishes its last calls. */
const MAX_SHARDS_IN_HAND = 2;
/** The next shard is taken when the current one has this many rounds of calls (× concurrency) left. */
const NEXT_SHARD_ROUNDS = 2;

/** Errors that say this worker cannot execute the run at all (another version, another config, a missing key). */
const REFUSALS = new Set(['version_skew', 'config_resume_mismatch', 'config_invalid', 'run_has_no_plan']);

export type WorkerEvent =
  | { type: 'shard-start'; runId: string; shard: number; shards: number; attempt: number }
  | { type: 'shard-done'; runId: string; shard: number; shards: number; output: ShardOutput }
  | { type: 'shard-handed-back'; runId: string; shard: number; shards: number; executed: number }
  /** The run was cancelled while this worker executed the shard: it stopped after its calls in flight. */
  | { type: 'shard-withdrawn'; runId: string; shard: number; shards: number; executed: number }
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
  /** Seconds between reports of a shard's progress to the queue (the submitter's per-worker figures; a cancelled run is noticed then). Default 2. */
  progressSeconds?: number;
  /** Seconds a run stays prepared (providers open) after its last shard here, for the next. Default 10. */
  keepRunSeconds?: number;
  /** This worker's name in progress and outputs. Default `host:pid`. */
  name?: string;
  /** The case preparation a run's plan names (a benchmark suite's `suite:<name>`), or undefined when this worker has none. */
  prepareCase?: (preparation: string) => RunOptions['prepareCase'] | undefined;
  onEvent?: (event: WorkerEvent) => void;
}

export interface WorkerSummary {
  name: string;
  /** Shards finished, handed back, failed, and stopped because their run was cancelled, by this worker. */
  completed: number;
  handedBack: number;
  failed: number;
  withdrawn: number;
  /** Why the worker stopped by itself (it refused a run's shards), if it did. */
  refused?: string;
}

export interface Worker {
  readonly name: string;
  /** Stops taking shards; the shards in hand finish their calls in flight and are handed back. Resolves when they have been. */
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
  const summary: WorkerSummary = { name, completed: 0, handedBack: 0, failed: 0, withdrawn: 0 };
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
  // Returns false when the shard was cancelled in the queue (its run was cancelled), else true;
  // undefined when the queue could not be asked. A shard no longer active for another reason (its
  // lease lapsed) goes on, as it did before: its results are stored once either way.
  const report = async (id: string, executed: number): Promise<boolean | undefined> => {
    try {
      const db = boss.getDb();
      const updated = await db.executeSql(`UPDATE ${schema}.job SET output = $3::jsonb WHERE name = $1 AND id = $2 AND state = 'active'`, [options.queue, id, JSON.stringify({ worker: name, executed })]);
      if (((updated as { rowCount?: number | null }).rowCount ?? 1) > 0) return true;
      const { rows } = await db.executeSql(`SELECT state::text AS state FROM ${schema}.job WHERE name = $1 AND id = $2`, [options.queue, id]);
      return (rows[0] as { state?: string } | undefined)?.state !== 'cancelled';
    } catch {
      return undefined;
    }
  };

  // One prepared run per run this worker executes shards of (config checked, providers made, plan
  // read), kept while its shards come and closed once none came for a while.
  const runs = new Map<string, { executor: Promise<SliceExecutor>; shards: number; timer?: NodeJS.Timeout }>();
  const keepMs = (options.keepRunSeconds ?? 10) * 1000;
  const executorFor = (shard: ShardJob): Promise<SliceExecutor> => {
    let entry = runs.get(shard.runId);
    if (!entry) {
      const opening = (async () => {
        const loaded = loadShardConfig(shard.config, shard.configFile, options.baseDir ?? shard.baseDir);
        return lab.openSlices(shard.runId, loaded, options.concurrency !== undefined ? { concurrency: options.concurrency } : {});
      })();
      entry = { executor: opening, shards: 0 };
      runs.set(shard.runId, entry);
      // A run that cannot be prepared is prepared again for its next shard (the error may pass).
      opening.catch(() => runs.get(shard.runId)?.executor === opening && runs.delete(shard.runId));
    }
    entry.shards += 1;
    if (entry.timer) clearTimeout(entry.timer);
    return entry.executor;
  };
  const closeRun = async (runId: string) => {
    const entry = runs.get(runId);
    runs.delete(runId);
    await entry?.executor.then((executor) => executor.close()).catch(() => undefined);
  };
  const releaseRun = (runId: string) => {
    const entry = runs.get(runId);
    if (!entry) return;
    entry.shards -= 1;
    if (entry.shards === 0) {
      entry.timer = setTimeout(() => void closeRun(runId), keepMs);
      entry.timer.unref();
    }
  };
  const preparations = new Map<string, Promise<RunOptions['prepareCase'] | undefined>>();
  const preparationFor = (runId: string) => {
    let found = preparations.get(runId);
    if (!found) preparations.set(runId, (found = preparationOf(lab, runId, options.prepareCase)));
    return found;
  };
  // Tells a following submitter at once that a shard of its run ended (it also looks every second).
  const notify = (runId: string) => boss.getDb().executeSql('SELECT pg_notify($1, $2)', [SHARD_DONE_CHANNEL, runId]).catch(() => undefined);

  async function runShard(id: string, shard: ShardJob, attempt: number, onDrain: () => void): Promise<void> {
    const where = { runId: shard.runId, shard: shard.shard, shards: shard.shards };
    emit({ type: 'shard-start', ...where, attempt });
    const started = performance.now();
    // The shard stops (its calls in flight finish) when the worker stops or the run is cancelled.
    const withdrawn = new AbortController();
    const signal = AbortSignal.any([stopping.signal, withdrawn.signal]);
    // Its progress is reported every few seconds; the report finds out whether it was withdrawn.
    // The engine's progress counts results found stored (`skipped`) as done: only computed ones are reported.
    let computed = 0;
    let rounds = Number.POSITIVE_INFINITY;
    const onProgress = (progress: { done: number; total: number | undefined; skipped?: number }) => {
      computed = progress.done - (progress.skipped ?? 0);
      // Two rounds of calls from its end, the next shard is taken: its set-up overlaps them.
      if (progress.total !== undefined && progress.total - progress.done <= NEXT_SHARD_ROUNDS * rounds) onDrain();
    };
    const check = async () => {
      if ((await report(id, computed)) === false) withdrawn.abort(new Error(`run ${shard.runId} was cancelled`));
    };
    void check();
    const ticker = setInterval(() => void check(), (options.progressSeconds ?? 2) * 1000);
    let outcome: ExecutionOutcome;
    let held = false;
    try {
      const version = await versionOf;
      if (shard.labVersion !== version) {
        throw new RefusedError(`worker ${name} runs LLM Lab ${version} and run ${shard.runId} was planned by ${shard.labVersion}; start workers of the run's version so results are not mixed.`);
      }
      held = true;
      const executor = await executorFor(shard);
      rounds = executor.concurrency;
      const prepareCase = await preparationFor(shard.runId);
      outcome = await executor.execute({
        slice: shard.slice,
        signal,
        onProgress,
        onDrain,
        ...(prepareCase ? { prepareCase } : {}),
      });
    } catch (error) {
      onDrain();
      const message = sanitise(error instanceof Error ? error.message : String(error));
      const code = (error as { code?: unknown } | null)?.code;
      await retryOnConflict(() => boss.fail(options.queue, id, { worker: name, message }));
      void notify(shard.runId);
      if (typeof code === 'string' && REFUSALS.has(code)) {
        summary.refused = message;
        emit({ type: 'refused', runId: shard.runId, shard: shard.shard, message });
        stopping.abort(new Error(message));
      } else {
        summary.failed += 1;
        emit({ type: 'shard-failed', ...where, message });
      }
      return;
    } finally {
      clearInterval(ticker);
      if (held) releaseRun(shard.runId);
    }
    if (outcome.status === 'cancelled' && withdrawn.signal.aborted && !stopping.signal.aborted) {
      // The run was cancelled (its shards withdrawn from the queue): the calls in flight finished; nothing to hand back.
      summary.withdrawn += 1;
      emit({ type: 'shard-withdrawn', ...where, executed: outcome.executed });
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
    // pg-boss answers { affected } (its types say void): 0 when the shard was no longer active.
    const completed = (await retryOnConflict(() => boss.complete(options.queue, id, output))) as unknown as { affected?: number } | undefined;
    void notify(shard.runId);
    if (completed?.affected === 0 && (await report(id, outcome.executed)) === false) {
      // The run was cancelled as the shard's last calls finished: its results are stored all the same.
      summary.withdrawn += 1;
      emit({ type: 'shard-withdrawn', ...where, executed: outcome.executed });
      return;
    }
    summary.completed += 1;
    emit({ type: 'shard-done', ...where, output });
  }

  // Shards in hand: the one executing, and the next one, taken once the first has two rounds of
  // calls left or fewer, so the next one's set-up overlaps them and the worker's calls keep
  // flowing between shards (the two share the worker's concurrency).
  const inHand = new Set<Promise<void>>();
  let undrained = 0;
  let changed: () => void = () => undefined;
  const nextChange = () => new Promise<void>((resolve) => (changed = resolve));
  stopping.signal.addEventListener('abort', () => changed(), { once: true });

  async function loop(): Promise<WorkerSummary> {
    while (!stopping.signal.aborted) {
      if (undrained > 0 || inHand.size >= MAX_SHARDS_IN_HAND) {
        await nextChange();
        continue;
      }
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
      undrained += 1;
      let drained = false;
      const onDrain = () => {
        if (drained) return;
        drained = true;
        undrained -= 1;
        changed();
      };
      const running: Promise<void> = runShard(job.id, shard, job.retryCount + 1, onDrain)
        .catch((error: unknown) => {
          // Storage or queue unreachable: the worker stops with the error (the shard is taken over after its lease).
          failure ??= error;
          stopping.abort(error);
        })
        .finally(() => {
          onDrain();
          inHand.delete(running);
          changed();
        });
      inHand.add(running);
    }
    await Promise.all(inHand);
    await Promise.all([...runs.keys()].map(closeRun));
    if (failure !== undefined) throw failure;
    return summary;
  }
  let failure: unknown;

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
