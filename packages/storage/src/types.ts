import type { RunHold } from './run-holds.js';

/**
 * The shape of stored data, shared by the engine that writes it and the CLI, library and
 * dashboard that read it. Timestamps are Date objects; money is US dollars; times are ms.
 */

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** One evaluator's verdict on one result. */
export interface ScoreRecord {
  /** The evaluator's name (its `name:` or its type). */
  name: string;
  type: string;
  passed: boolean;
  /** 0–1 where the evaluator grades; 1/0 for pass/fail checks. */
  score: number;
  /** Why, in a sentence a person reads. */
  reason?: string;
  /** Model-graded evaluators: the prompt sent to the judge (several calls are separated by a header line). */
  judgePrompt?: string;
  /** Model-graded evaluators: the judge's raw answer (several calls are separated by a header line). */
  judgeOutput?: string;
}

/** Totals kept on the run row. */
export interface RunTotals {
  cases: number;
  results: number;
  passed: number;
  failed: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Dataset rows that could not be read and were skipped. */
  invalidRows: number;
}

export interface NewRun {
  /** Generated when absent. */
  id?: string;
  description?: string | null;
  /** The config file's path, when there was one. */
  configFile?: string | null;
  /** The config as given (before defaults). */
  config: unknown;
  /** The config with defaults applied and ${ENV} resolved (secrets redacted). */
  resolvedConfig: unknown;
  /** Who started it (OS user name). */
  createdBy?: string | null;
  status?: RunStatus;
  /** When the run started; now when absent (set it when importing runs). */
  startedAt?: Date;
}

export interface RunRecord {
  id: string;
  description: string | null;
  status: RunStatus;
  configFile: string | null;
  config: unknown;
  resolvedConfig: unknown;
  createdBy: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  totals: RunTotals | null;
  /** Per-provider metrics as computed at the end of the run (free-form JSON). */
  summary: unknown;
  /** Why the run failed or was cancelled. */
  error: string | null;
}

export interface RunUpdate {
  status?: RunStatus;
  finishedAt?: Date | null;
  durationMs?: number | null;
  totals?: RunTotals | null;
  summary?: unknown;
  error?: string | null;
}

/** One result: a (case, provider, prompt, repeat) of a run. Written once, never rewritten (an errored one may be deleted to be run again). */
export interface NewResult {
  runId: string;
  caseId: string;
  /** Position of the case in the dataset (0-based), for ordering. */
  caseIndex: number;
  /** The provider's label (its id unless the config gave a label). */
  providerId: string;
  /** The prompt variant's id. */
  promptId: string;
  repeat: number;
  /** The rendered messages sent. */
  prompt: unknown;
  /** The case's row. */
  vars: unknown;
  output: string | null;
  /** All evaluators passed (null when the call failed). */
  passed: boolean | null;
  scores: ScoreRecord[];
  /** The provider call alone, in milliseconds (a cached answer: the lookup). */
  latencyMs: number | null;
  timeToFirstTokenMs: number | null;
  /**
   * Milliseconds the call waited before it could start: for a concurrency slot, a rate limiter,
   * an open circuit breaker, or a provider's own lock (a local model running one call at a time).
   * Null (or absent) when not measured.
   */
  queueMs?: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  cached: boolean;
  attempts: number;
  /** Who produced the answer when it was not the provider asked (a fallback or a load-balanced member). */
  answeredBy?: string | null;
  /** ProviderError kind (or `template`, `evaluator`, ...) when the case failed to run. */
  errorKind: string | null;
  errorMessage: string | null;
  warnings: unknown;
}

export interface ResultRecord extends NewResult {
  id: number;
  createdAt: Date;
}

/** The identity of a result within a run; used to skip work already done on resume. */
export function resultKey(result: Pick<NewResult, 'caseId' | 'providerId' | 'promptId' | 'repeat'>): string {
  return `${result.caseId}\u0000${result.providerId}\u0000${result.promptId}\u0000${result.repeat}`;
}

export interface ListRunsOptions {
  limit?: number;
  offset?: number;
  status?: RunStatus;
}

export interface ListResultsOptions {
  providerId?: string;
  limit?: number;
  offset?: number;
}

/** What every storage backend (PGlite, PostgreSQL) offers. */
/** Cases by index: `[fromCase, toCase)`. */
export interface CaseRange {
  fromCase: number;
  toCase: number;
}

export interface Storage {
  readonly kind: 'pglite' | 'postgres';
  /** Human-readable location (a folder, or the URL without password). */
  readonly location: string;
  /** The PostgreSQL schema holding the tables, when one was chosen (else the default search_path). */
  readonly schema?: string | undefined;
  /**
   * True when calls run strictly one after another in the order they were made (the embedded
   * database in its worker thread): a caller may then issue a write without awaiting it and
   * rely on later writes landing after it.
   */
  readonly ordered?: boolean;
  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(id: string, update: RunUpdate): Promise<void>;
  /** Run by id, or by a unique start or end of its id; several matches are a `run_id_ambiguous` error. */
  getRun(idOrPrefix: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;
  /** Inserts results; a row whose (run, case, provider, prompt, repeat) exists is skipped. Returns the number inserted. */
  insertResults(results: NewResult[]): Promise<number>;
  /** Ordered by case index, provider, prompt, repeat. */
  listResults(runId: string, options?: ListResultsOptions): Promise<ResultRecord[]>;
  countResults(runId: string): Promise<number>;
  /** Deletes a run and, by cascade, its results. Returns whether the run existed. */
  deleteRun(id: string): Promise<boolean>;
  /**
   * The {@link resultKey}s of results already stored for a run; with a range, only those of the
   * cases whose index is in `[fromCase, toCase)`, so that a resume of a large run holds one
   * window of keys at a time.
   */
  completedKeys(runId: string, range?: CaseRange): Promise<Set<string>>;
  /**
   * Deletes a run's errored results (a failed call, template or evaluator: `errorKind` set, or
   * `passed` null), so that they can be run again and their new results stored under the same
   * keys. Returns how many were deleted.
   */
  deleteErroredResults(runId: string): Promise<number>;
  /**
   * Claims a run for this process while it runs it (release when done). On a PostgreSQL server
   * the claim is a session advisory lock that the server drops when the process dies; a second
   * process claiming the same run is refused with `run_in_progress`.
   */
  holdRun(runId: string): Promise<RunHold>;
  /**
   * Of `runIds`, those a live process is running. A run whose status is still `running` but which
   * nobody holds was interrupted (killed, or its machine went down) and can be resumed.
   */
  heldRuns(runIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}
