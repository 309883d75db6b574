import { ConfigError, LLMLabError, type BatchStatus, type LoadedConfig } from '@llm-lab/core';
import type { InvalidRow } from '@llm-lab/evaluation';
import type { RunRecord } from '@llm-lab/storage';

// The one place a run's options are resolved, from (highest first) what the run recorded when it
// started (a resume), the caller's options (the CLI's flags), and the config's `run:` block.
// docs/config.md has the same precedence as a table; keep the two together.

/**
 * Per-run overrides of the config's `run:` block and hooks. `limit`, `repeat`, `stream` and
 * `noCache` are recorded with the run (see {@link RecordedRunOptions}) and apply again when it is
 * resumed, so they need not be given twice; `concurrency` and `timeoutMs` only set the pace and
 * are not recorded.
 */
export interface RunOptions {
  /** Calls in flight at once in this process. Free to change on resume. Default `config.run.concurrency`. */
  concurrency?: number;
  /**
   * Longest time one call may take, ms, for providers whose entry sets no `timeoutMs` of its own.
   * Free to change on resume. Default `config.run.timeoutMs`.
   */
  timeoutMs?: number;
  /** Only the first N cases. Default `config.run.limit`. On resume: the run's own (a different value is refused). */
  limit?: number;
  /** Times each case is sent to each provider. Default `config.run.repeat`. On resume: the run's own (a different value is refused). */
  repeat?: number;
  /** Use streamed calls (records time to first token). On resume: the run's own (a different value is refused). */
  stream?: boolean;
  /**
   * Send the calls through the vendors' batch APIs (`--batch`). Default `config.run.batch`. On
   * resume: the run's own unless given (a resumed batch run attaches to the vendor batches it
   * submitted before it stopped).
   */
  batch?: boolean;
  /**
   * Neither read nor write the response cache (`--no-cache`): every answer is a fresh call. On
   * resume it may be turned on; turning it off for a run started with it is refused, since
   * cached answers would then mix into a run meant to hold fresh ones.
   */
  noCache?: boolean;
  /**
   * Continue an earlier run by id: only the missing (case, provider, prompt, repeat) results are
   * run, with the limit, repeat, stream and cache setting the run was started with. Errored
   * results (a failed call, template or evaluator) count as missing: they are run again and
   * their new results replace them.
   */
  resume?: string;
  /**
   * A batch run's vendor batch as each status poll saw it (`providerId`: the provider's label),
   * e.g. to show `in_progress 120/1000`. Not called for runs that make ordinary calls.
   */
  onBatchStatus?: (providerId: string, status: BatchStatus) => void;
  /** Stops the run; everything finished so far is kept and the run is marked cancelled. */
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number | undefined; passed: number; failed: number; errors: number }) => void;
  onInvalidRow?: (row: InvalidRow) => void;
  /**
   * Turns each case's raw row into the fields its prompts and evaluators use (a benchmark
   * suite's `prepare`); applied after case ids are assigned. Not stored with the run (its
   * `preparation` name is): pass it again when resuming or executing a slice.
   */
  prepareCase?: (vars: Record<string, unknown>) => Record<string, unknown>;
  /** The name of `prepareCase` stored in the run's plan (e.g. `suite:mmlu`). Default `prepareCase` when one is given. */
  preparation?: string;
  /**
   * Called once the run row is stored, before any call is made: whatever a person sees of the
   * run, it can be found and resumed.
   */
  onStart?: (run: { id: string; storage: string; providers: string[] }) => void;
  /**
   * Something the user should know that does not stop the run, called once per problem: the
   * response cache (Redis) cannot be reached and the run goes on with the disk cache (as it
   * happens), or, when the run ends, each of its warnings. Default: the lab's logger, if any.
   */
  onWarning?: (message: string) => void;
}

/**
 * The options that decide which results a run is made of and how they are produced, as the run
 * started with them (its flags over the config's `run:` block). Stored with the run, as
 * `runOptions` in its resolved config, so that a resume finishes exactly the work the run set
 * out to do even when the flags are not given again, or the config's `run:` block has changed.
 */
export interface RecordedRunOptions {
  repeat: number;
  /** Null when every case runs. */
  limit: number | null;
  stream: boolean;
  noCache: boolean;
  /** Through the vendors' batch APIs. */
  batch: boolean;
}

/** Every option a run goes by: the recorded ones, and those that only set the pace of this process. */
export interface ResolvedRunOptions extends RecordedRunOptions {
  /** Calls in flight at once in this process. */
  concurrency: number;
  /** Longest time one call may take, ms, for providers without their own `timeoutMs`; undefined: the provider's own. */
  timeoutMs: number | undefined;
  /** Work items per round of a batch run. */
  batchSize: number;
}

/** Work items per round of a batch run when `run.batchSize` is not set. */
export const DEFAULT_BATCH_SIZE = 1_000;

/** The options a stored run recorded when it started; undefined for runs stored before they were recorded. */
export function recordedRunOptions(run: Pick<RunRecord, 'resolvedConfig'>): RecordedRunOptions | undefined {
  const recorded = (run.resolvedConfig as { runOptions?: Partial<Record<keyof RecordedRunOptions, unknown>> } | null)?.runOptions;
  if (typeof recorded !== 'object' || recorded === null) return undefined;
  const { repeat, limit, stream, noCache, batch } = recorded;
  const count = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;
  if (!count(repeat) || !(limit === null || count(limit)) || typeof stream !== 'boolean' || typeof noCache !== 'boolean') return undefined;
  // Runs recorded before batch runs existed made ordinary calls.
  return { repeat, limit, stream, noCache, batch: batch === true };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError({ path: name, message: `expected a positive integer, got ${value}.` });
  }
  return value;
}

/**
 * The options a run goes by. Pace (`concurrency`, `timeoutMs`): the caller's, else the config's
 * `run:` block, on a new run and a resume alike. What the run is made of (`repeat`, `limit`,
 * `stream`, `noCache`): for a new run, the caller's over the config's `run:` block; for a resumed
 * run, the options it recorded when it started. A flag given on resume that contradicts a
 * recorded option is refused rather than obeyed: a different repeat or limit changes which
 * results make up the run, and a different stream or cache setting how they were produced, so
 * the run would end up neither the one started nor the one asked for. Runs stored before
 * options were recorded resume as they always did, with the flags given over the config.
 */
export function resolveRunOptions(config: LoadedConfig['config'], options: RunOptions, previous?: RunRecord): ResolvedRunOptions {
  const pace = {
    concurrency: positiveInteger(options.concurrency ?? config.run.concurrency, options.concurrency !== undefined ? 'concurrency' : 'run.concurrency'),
    timeoutMs: options.timeoutMs ?? config.run.timeoutMs,
    batchSize: config.run.batchSize ?? DEFAULT_BATCH_SIZE,
  };
  if (pace.timeoutMs !== undefined) positiveInteger(pace.timeoutMs, options.timeoutMs !== undefined ? 'timeoutMs' : 'run.timeoutMs');
  const recorded = recordedOptionsFor(config, options, previous);
  if (recorded.batch && recorded.stream) {
    throw new ConfigError({ path: 'run.batch', message: 'a batch run cannot stream its calls (vendor batch APIs answer whole): leave out --stream, or --batch / run.batch.' });
  }
  return { ...recorded, ...pace };
}

function recordedOptionsFor(config: LoadedConfig['config'], options: RunOptions, previous: RunRecord | undefined): RecordedRunOptions {
  const recorded = previous ? recordedRunOptions(previous) : undefined;
  if (!previous || !recorded) {
    return {
      repeat: positiveInteger(options.repeat ?? config.run.repeat, options.repeat !== undefined ? 'repeat' : 'run.repeat'),
      limit: options.limit ?? config.run.limit ?? null,
      stream: options.stream ?? false,
      noCache: options.noCache ?? false,
      batch: options.batch ?? config.run.batch ?? false,
    };
  }
  const describe = {
    repeat: (value: number) => `--repeat ${value}`,
    limit: (value: number | null) => (value === null ? 'no --limit (every case)' : `--limit ${value}`),
    stream: (value: boolean) => (value ? '--stream' : 'no --stream'),
    noCache: (value: boolean) => (value ? '--no-cache' : 'the cache on'),
  };
  const conflicts: string[] = [];
  if (options.repeat !== undefined && options.repeat !== recorded.repeat) conflicts.push(`${describe.repeat(options.repeat)} (the run has ${describe.repeat(recorded.repeat)})`);
  if (options.limit !== undefined && options.limit !== recorded.limit) conflicts.push(`${describe.limit(options.limit)} (the run has ${describe.limit(recorded.limit)})`);
  if (options.stream !== undefined && options.stream !== recorded.stream) conflicts.push(`${describe.stream(options.stream)} (the run has ${describe.stream(recorded.stream)})`);
  // Bypassing the cache on resume only makes the remaining answers fresh calls; using it for a
  // run started with --no-cache would mix cached answers in.
  if (options.noCache === false && recorded.noCache) conflicts.push(`${describe.noCache(false)} (the run has ${describe.noCache(true)})`);
  if (conflicts.length > 0) {
    throw new LLMLabError(
      'config_resume_options_mismatch',
      `Cannot resume ${previous.id} with ${conflicts.join(', ')}: a resume finishes the work the run was started with. ` +
        (conflicts.length > 1
          ? `Resume without these options (the run's own apply), or start a new run (without --resume) to use the new values.`
          : `Resume without it (the run's own applies), or start a new run (without --resume) to use the new value.`),
    );
  }
  // Batch or not only changes how the remaining calls are made (and what they cost), not which results make up the run.
  return { ...recorded, noCache: recorded.noCache || options.noCache === true, batch: options.batch ?? recorded.batch };
}
