import type { AnalysisStore } from './analysis-query.js';
import type { AuditStore } from './audit-store.js';
import type { HoldOptions, RunHold } from './run-holds.js';
import type { MetricStore } from './metric-types.js';

export type * from './metric-types.js';

/**
 * The shape of stored data, shared by the engine that writes it and the CLI, library and
 * dashboard that read it. Timestamps are Date objects; money is US dollars; times are ms.
 */

/**
 * How a run stands: `planned` is a run planned and stored for slices to execute (`Lab.plan`),
 * until one process records it; `running` until its process records how it ended.
 */
export type RunStatus = 'planned' | 'running' | 'completed' | 'failed' | 'cancelled';

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
  /** The provider's id (`openai:gpt-4o-mini`), whatever its label. Null (or absent) when not known (results stored before it was kept). */
  provider?: string | null;
  /** The model the vendor reported having used (may be a dated snapshot). Null (or absent) when the call failed or did not say. */
  model?: string | null;
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
  provider: string | null;
  model: string | null;
  /** The mean of the evaluators' scores (0–1), computed when stored; null when nothing scored it. */
  score: number | null;
  createdAt: Date;
}

/**
 * What a result came to: `passed` (every evaluator passed), `failed` (an evaluator failed), or
 * `errored` (the call, its template or an evaluator failed: `errorKind` set, or `passed` null).
 */
export type ResultOutcome = 'passed' | 'failed' | 'errored';

/** The outcome of a stored result (see {@link ResultOutcome}). */
export function resultOutcome(result: Pick<NewResult, 'passed' | 'errorKind'>): ResultOutcome {
  if (result.errorKind !== null || result.passed === null) return 'errored';
  return result.passed ? 'passed' : 'failed';
}

/** Which results of a run a query returns; every field given must match. */
export interface ResultFilter {
  /** One outcome, or several (`['failed', 'errored']`: every result that did not pass). */
  outcome?: ResultOutcome | readonly ResultOutcome[];
  /** The provider's label. */
  providerId?: string;
  promptId?: string;
  caseId?: string;
  /**
   * Only cases whose index is in `[fromCase, toCase)`: a window of the run read from the case-order
   * index without reading what comes before it (a sample of a large run, a slice).
   */
  caseRange?: CaseRange;
}

/** The orders a result query can page in, each read from an index. */
export type ResultSortKey = 'case' | 'latency' | 'score';

export interface ResultSort {
  /**
   * `case`: case index, provider, prompt, repeat (the default). `latency`: the call's latency (a
   * result without one, a call that never ran, sorts as the slowest). `score`: the mean evaluator
   * score (a result without one sorts as the lowest).
   */
  by: ResultSortKey;
  /** Default `asc`. */
  order?: 'asc' | 'desc';
}

/** A page of one run's results (see {@link ResultStore.listResults}). */
export interface ResultQuery {
  runId: string;
  filter?: ResultFilter;
  /** Default `{ by: 'case' }`. */
  sort?: ResultSort;
  /** Where the previous page ended (its `nextCursor`); the same filter and sort must be given. */
  cursor?: string | null;
  /** Results to skip first (instead of a cursor: each skipped row is still read). */
  offset?: number;
  /** Most results in the page: default 100, at most {@link MAX_RESULT_PAGE}. */
  limit?: number;
}

/** The largest page {@link ResultStore.listResults} returns. */
export const MAX_RESULT_PAGE = 10_000;
/** The page size when a query gives no limit. */
export const DEFAULT_PAGE = 100;

export interface ResultPage {
  results: ResultRecord[];
  /** Pass as `cursor` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

/** A run's results counted by outcome, with token and cost sums: SQL aggregates over the stored rows. */
export interface ResultAggregates {
  results: number;
  /** Distinct case ids. */
  cases: number;
  passed: number;
  failed: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** How a call outside a run ended. */
export type RequestStatus = 'ok' | 'error' | 'cancelled';

/** One call to a provider made outside a run (gateway traffic, a probe). */
export interface NewRequest {
  /** The caller's id for the call; a request whose id is stored is skipped. */
  requestId: string;
  /** When the call started; now when absent. */
  at?: Date;
  /** What made the call: `gateway`, `probe`, ... */
  source: string;
  /** The gateway route or endpoint that received it. */
  route?: string | null;
  /** The provider's id (`openai:gpt-4o-mini`); null when no provider was called (a call the gateway refused). */
  provider: string | null;
  /** The provider's label, when the config gave one. */
  label?: string | null;
  /** The model the vendor reported having used. */
  model?: string | null;
  latencyMs?: number | null;
  timeToFirstTokenMs?: number | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  /** Input tokens the vendor served from its prompt cache. */
  cachedTokens?: number | null;
  costUsd?: number | null;
  /** Answered from LLM Lab's response cache. Default false. */
  cacheHit?: boolean;
  /** Calls made to providers (retries and fallbacks count). Default 1. */
  attempts?: number;
  /** The ProviderError kind when the call failed. */
  errorClass?: string | null;
  status: RequestStatus;
  /** The HTTP status answered to the caller, when there was one. */
  httpStatus?: number | null;
  /** The gateway's virtual key that made the call. */
  keyId?: string | null;
  /** The request body, for routes that keep bodies (off by default). */
  requestBody?: unknown;
  /** The response body, for routes that keep bodies (off by default). */
  responseBody?: unknown;
}

export interface RequestRecord {
  id: number;
  requestId: string;
  at: Date;
  source: string;
  route: string | null;
  provider: string | null;
  label: string | null;
  model: string | null;
  latencyMs: number | null;
  timeToFirstTokenMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  costUsd: number | null;
  cacheHit: boolean;
  attempts: number;
  errorClass: string | null;
  status: RequestStatus;
  httpStatus: number | null;
  keyId: string | null;
  requestBody: unknown;
  responseBody: unknown;
}

/** A page of requests, newest first. */
export interface RequestQuery {
  source?: string;
  provider?: string;
  status?: RequestStatus;
  /** Requests at or after this time. */
  since?: Date;
  /** Requests before this time. */
  until?: Date;
  /** Where the previous page ended (its `nextCursor`). */
  cursor?: string | null;
  /** Default 100, at most {@link MAX_RESULT_PAGE}. */
  limit?: number;
}

export interface RequestPage {
  requests: RequestRecord[];
  nextCursor: string | null;
}

/** Which requests {@link RequestStore.summariseRequests} sums up. */
export interface RequestSummaryQuery {
  source?: string;
  /** Requests at or after this time. */
  since?: Date;
  /** Requests before this time. */
  until?: Date;
}

/** The requests of one (route, provider, key), summed up in SQL. */
export interface RequestSummaryRow {
  route: string | null;
  provider: string | null;
  keyId: string | null;
  /** The key's name, when the key is (or was) a gateway key. */
  keyName: string | null;
  requests: number;
  /** Requests whose status is not `ok`. */
  errors: number;
  cacheHits: number;
  /** Latency percentiles (continuous), null when no request of the group has a latency. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A gateway virtual key to store: the key itself is never given, only its hash. */
export interface NewGatewayKey {
  /** Generated when absent. */
  id?: string;
  name: string;
  /** SHA-256 of the key, hex. */
  keyHash: string;
  /** The key's first characters, shown to tell keys apart. */
  prefix: string;
  budgetUsd?: number | null;
  rpm?: number | null;
  /** Routes the key may call; null or absent: every route. */
  models?: string[] | null;
}

export interface GatewayKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  budgetUsd: number | null;
  rpm: number | null;
  models: string[] | null;
  spendUsd: number;
}

/** Spend to add to a key (US dollars). */
export interface KeySpend {
  keyId: string;
  usd: number;
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

/** The options of the older `listResults(runId, options)` form. */
export interface ListResultsOptions {
  providerId?: string;
  limit?: number;
  offset?: number;
}

/** Cases by index: `[fromCase, toCase)`. */
export interface CaseRange {
  fromCase: number;
  toCase: number;
}

/** Where a storage is and what it runs on. */
export interface StorageInfo {
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
  close(): Promise<void>;
}

/** Runs: their rows, and which process runs them. */
export interface RunStore {
  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(id: string, update: RunUpdate): Promise<void>;
  /** Run by id, or by a unique start or end of its id; several matches are a `run_id_ambiguous` error. */
  getRun(idOrPrefix: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;
  /** Deletes a run and, by cascade, its results. Returns whether the run existed. */
  deleteRun(id: string): Promise<boolean>;
  /**
   * Claims a run for this process while it runs it (release when done). On a PostgreSQL server
   * the claim is a session advisory lock that the server drops when the process dies; a second
   * process claiming the same run is refused with `run_in_progress`. A `shared` claim is a
   * slice's: several processes executing slices of one planned run hold it together, and no
   * exclusive claim is granted meanwhile.
   */
  holdRun(runId: string, options?: HoldOptions): Promise<RunHold>;
  /**
   * Of `runIds`, those a live process is running. A run whose status is still `running` but which
   * nobody holds was interrupted (killed, or its machine went down) and can be resumed.
   */
  heldRuns(runIds: readonly string[]): Promise<Set<string>>;
}

/** The results of runs. */
export interface ResultStore {
  /** Inserts results; a row whose (run, case, provider, prompt, repeat) exists is skipped. Returns the number inserted. */
  insertResults(results: NewResult[]): Promise<number>;
  /**
   * One page of a run's results, filtered and sorted on indexed columns; follow `nextCursor`
   * for the next (keyset paging: each page costs the same however deep). See {@link eachResult}
   * to read every matching result with flat memory.
   */
  listResults(query: ResultQuery): Promise<ResultPage>;
  /**
   * @deprecated The older form: results ordered by case index, provider, prompt, repeat, paged by
   * offset. Use `listResults({ runId, ... })`.
   */
  listResults(runId: string, options?: ListResultsOptions): Promise<ResultRecord[]>;
  /** How many results of a run match `filter` (all of them without one). */
  countResults(runId: string, filter?: ResultFilter): Promise<number>;
  /** Counts by outcome, distinct cases, and token and cost sums of a run's stored results, in one SQL aggregate. */
  aggregateResults(runId: string): Promise<ResultAggregates>;
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
}

/** Calls to providers made outside a run (gateway traffic, probes). */
export interface RequestStore {
  /** Inserts requests in one statement; one whose `requestId` is stored is skipped. Returns the number inserted. */
  insertRequests(requests: NewRequest[]): Promise<number>;
  /** A page of requests, newest first; follow `nextCursor` for older ones. */
  listRequests(query?: RequestQuery): Promise<RequestPage>;
  /** Requests grouped by route, provider and key: counts, errors, latency percentiles, tokens and cost, in one SQL aggregate. */
  summariseRequests(query?: RequestSummaryQuery): Promise<RequestSummaryRow[]>;
}

/** The gateway's virtual keys and what they spent. */
export interface KeyStore {
  /** Stores a key; a live key with the same name is a `key_exists` error. */
  createKey(key: NewGatewayKey): Promise<GatewayKeyRecord>;
  /** Keys, oldest first; revoked ones only with `includeRevoked`. */
  listKeys(options?: { includeRevoked?: boolean }): Promise<GatewayKeyRecord[]>;
  /**
   * Revokes the live key with this id or name (or, failing both, the one whose prefix this is);
   * undefined when none matches. Several keys matching one prefix is a `key_ambiguous` error.
   */
  revokeKey(idNameOrPrefix: string): Promise<GatewayKeyRecord | undefined>;
  /** Adds spend to keys, all in one statement (a key listed twice gets both). */
  addKeySpend(spend: KeySpend[]): Promise<void>;
}

/** Where a run's vendor batch is: results not read yet, or read. */
export type RunBatchStatus = 'submitted' | 'ended';

/** A vendor batch a run submitted. */
export interface NewRunBatch {
  runId: string;
  /** The label of the run's provider that submitted it. */
  providerId: string;
  /** The vendor's id of the batch. */
  vendorBatchId: string;
  /** The item ids it was submitted with, in order. */
  itemKeys: string[];
}

export interface RunBatchRecord extends NewRunBatch {
  status: RunBatchStatus;
  createdAt: Date;
}

/** The vendor batches of runs (`run.batch`), so that a resumed run picks up what it submitted. */
export interface BatchStore {
  /** Records a submitted batch (status `submitted`); recording the same vendor batch again is a no-op. */
  recordBatch(batch: NewRunBatch): Promise<void>;
  /** A run's batches, oldest first; only those with `status` when given. */
  listBatches(runId: string, status?: RunBatchStatus): Promise<RunBatchRecord[]>;
  /** Sets the status of a run's batch. */
  updateBatchStatus(runId: string, vendorBatchId: string, status: RunBatchStatus): Promise<void>;
}

/**
 * What every storage backend (PGlite, PostgreSQL) offers: one part per concern, each with its
 * own tables and migrations. A later concern (metric points, alerts, an audit log) is a new part
 * added here and to the backends, not new methods on an existing part; code that needs one
 * concern asks for that part (`ResultStore`, ...) and can be given anything that has it.
 */
export interface Storage extends StorageInfo, RunStore, ResultStore, RequestStore, KeyStore, BatchStore, AnalysisStore, MetricStore, AuditStore {}

/** The names of the {@link Storage} methods (what a backend that forwards calls must answer). */
export type StorageMethod = {
  [K in keyof Storage]-?: Storage[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Storage];

/**
 * Every result of a query, page by page (keyset), in the query's order: memory stays at one
 * page whatever the run's size. `pageSize` defaults to 1,000.
 */
export async function* eachResult(
  store: Pick<ResultStore, 'listResults'>,
  query: Omit<ResultQuery, 'cursor' | 'limit'>,
  pageSize = 1_000,
): AsyncGenerator<ResultRecord, void, undefined> {
  let cursor: string | null = null;
  let offset = query.offset;
  do {
    const page: ResultPage = await store.listResults({ ...query, ...(offset !== undefined ? { offset } : {}), cursor, limit: pageSize });
    offset = undefined;
    yield* page.results;
    cursor = page.nextCursor;
  } while (cursor !== null);
}
