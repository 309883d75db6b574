import { and, asc, count, desc, eq, gte, isNotNull, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { createLocalRunHolds, type HoldOptions, type RunHold, type RunHolds } from './run-holds.js';
import { StorageError, isStorageError, messageOf, sqlStateOf } from './errors.js';
import { generateRunId } from './run-id.js';
import { addKeySpend, createKey, insertRequests, listKeys, revokeKey, summariseRequests } from './gateway-store.js';
import { columnArrays, copyStatement, copyText, json, storableJson, storableText, unnestInsertStatement, type RowColumn } from './row-encoding.js';
import { appendAudit, auditHead, listAudit, type AuditHead, type AuditListQuery, type AuditRecord } from './audit-store.js';
import { describeResultSides, listResultSides, pairResults, type PairedResultsAnswer, type PairedResultsQuery, type ResultSideListing, type ResultSideSummary } from './analysis-query.js';
import { deleteMetricPoints, markMetricPointsRolledUp, metricPointsToRollUp, readMetricPoints, writeMetricPoints } from './metric-store.js';
import type { MetricPoint, MetricPointQuery, MetricPointRecord, MetricResolution } from './metric-types.js';
import { meanScore, planRequestQuery, planResultQuery, resultConditions } from './result-query.js';
import { batches, requests, results, runs, type schema } from './schema.js';
import {
  resultKey,
  type RunBatchRecord,
  type RunBatchStatus,
  type CaseRange,
  type GatewayKeyRecord,
  type KeySpend,
  type NewGatewayKey,
  type NewRunBatch,
  type NewRequest,
  type RequestSummaryQuery,
  type RequestSummaryRow,
  type RequestPage,
  type RequestQuery,
  type ResultAggregates,
  type ResultFilter,
  type ResultPage,
  type ResultQuery,
  type ListResultsOptions,
  type ListRunsOptions,
  type NewResult,
  type NewRun,
  type ResultRecord,
  type RunRecord,
  type RunUpdate,
  type Storage,
} from './types.js';

/** A drizzle database over either driver (PGlite or node-postgres). */
export type StorageDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The columns insertResults writes, their SQL array types, and how each is read from a result. */
const RESULT_INSERT_COLUMNS: ReadonlyArray<RowColumn<NewResult>> = [
  { name: 'run_id', type: 'text', value: (result) => result.runId },
  { name: 'case_id', type: 'text', value: (result) => storableText(result.caseId) },
  { name: 'case_index', type: 'int4', value: (result) => result.caseIndex },
  { name: 'provider_id', type: 'text', value: (result) => result.providerId },
  { name: 'provider', type: 'text', value: (result) => result.provider ?? null },
  { name: 'model', type: 'text', value: (result) => storableText(result.model ?? null) },
  { name: 'prompt_id', type: 'text', value: (result) => result.promptId },
  { name: 'repeat', type: 'int4', value: (result) => result.repeat },
  { name: 'prompt', type: 'jsonb', value: (result) => json(result.prompt) },
  { name: 'vars', type: 'jsonb', value: (result) => json(result.vars) },
  { name: 'output', type: 'text', value: (result) => storableText(result.output) },
  { name: 'passed', type: 'bool', value: (result) => result.passed },
  { name: 'scores', type: 'jsonb', value: (result) => json(result.scores) ?? '[]' },
  { name: 'score', type: 'float8', value: (result) => meanScore(result.scores) },
  { name: 'latency_ms', type: 'float8', value: (result) => result.latencyMs },
  { name: 'ttft_ms', type: 'float8', value: (result) => result.timeToFirstTokenMs },
  { name: 'queue_ms', type: 'float8', value: (result) => result.queueMs ?? null },
  { name: 'input_tokens', type: 'int4', value: (result) => result.inputTokens },
  { name: 'output_tokens', type: 'int4', value: (result) => result.outputTokens },
  { name: 'cost_usd', type: 'float8', value: (result) => result.costUsd },
  { name: 'cached', type: 'bool', value: (result) => result.cached },
  { name: 'attempts', type: 'int4', value: (result) => result.attempts },
  { name: 'answered_by', type: 'text', value: (result) => result.answeredBy ?? null },
  { name: 'error_kind', type: 'text', value: (result) => result.errorKind },
  { name: 'error_message', type: 'text', value: (result) => storableText(result.errorMessage) },
  { name: 'warnings', type: 'jsonb', value: (result) => json(result.warnings) },
];

const INSERT_RESULTS_SQL = unnestInsertStatement('results', RESULT_INSERT_COLUMNS);
/** The same columns loaded by COPY (PGlite): text format, read from the blob passed with the query. */
const COPY_RESULTS_SQL = copyStatement('results', RESULT_INSERT_COLUMNS);

/** How many matches an ambiguous-prefix error names. */
const AMBIGUOUS_MATCHES_SHOWN = 5;
const UNIQUE_VIOLATION = '23505';

export interface DrizzleStorageOptions {
  kind: Storage['kind'];
  location: string;
  schema: string | undefined;
  database: StorageDatabase;
  /** Runs raw SQL with positional parameters on the same driver; returns the rows. */
  query: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;
  /**
   * Runs a `COPY … FROM '/dev/blob'` statement with `text` as the data; returns the rows loaded.
   * Given (PGlite), results are loaded this way: about a third less work than `unnest` of array
   * parameters, which PGlite first writes as array literals and PostgreSQL parses back.
   */
  copyFromText?: (statement: string, text: string) => Promise<number>;
  /**
   * Runs one read-only aggregate over many rows (see `analysis-query.ts`) in a transaction of its
   * own, with `settings` (planner settings a statement needs) applied to it alone; default:
   * `query`, without the settings.
   */
  analyticQuery?: (text: string, params: unknown[], settings?: Readonly<Record<string, string>>) => Promise<Array<Record<string, unknown>>>;
  /** Closes the driver (and releases any lock). */
  close: () => Promise<void>;
  /** Who is running which run (default: this process only, as for the embedded database). */
  runHolds?: RunHolds;
}

/** Escapes `%`, `_` and `\` so a user's text matches literally in LIKE. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The {@link Storage} contract implemented with drizzle on PostgreSQL (embedded or server). */
export class DrizzleStorage implements Storage {
  readonly kind: Storage['kind'];
  readonly location: string;
  readonly schema: string | undefined;
  private readonly database: StorageDatabase;
  private readonly query: DrizzleStorageOptions['query'];
  private readonly analyticQuery: NonNullable<DrizzleStorageOptions['analyticQuery']>;
  private readonly copyFromText: DrizzleStorageOptions['copyFromText'];
  private readonly closeDriver: () => Promise<void>;
  private readonly runHolds: RunHolds;
  private closing: Promise<void> | undefined;

  constructor(options: DrizzleStorageOptions) {
    this.kind = options.kind;
    this.location = options.location;
    this.schema = options.schema;
    this.database = options.database;
    this.query = options.query;
    this.analyticQuery = options.analyticQuery ?? options.query;
    this.copyFromText = options.copyFromText;
    this.closeDriver = options.close;
    this.runHolds = options.runHolds ?? createLocalRunHolds();
  }

  /**
   * Runs one call's database work. A failure that is not already a {@link StorageError} (the
   * driver's, which quotes the whole statement and its parameters) becomes one that says what
   * was being done, where, and the database's own reason.
   */
  private async attempt<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isStorageError(error)) throw error;
      const reason = messageOf((error as { cause?: unknown }).cause ?? error) || messageOf(error);
      throw new StorageError('storage_query_failed', `${what} in ${this.location} failed: ${reason}`, { cause: error });
    }
  }

  holdRun(runId: string, options?: HoldOptions): Promise<RunHold> {
    return this.runHolds.hold(runId, options);
  }

  heldRuns(runIds: readonly string[]): Promise<Set<string>> {
    return this.runHolds.held(runIds);
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    return this.attempt(`storing a new run`, async () => {
      const values = {
        description: storableText(run.description ?? null),
        status: run.status ?? 'running',
        configFile: run.configFile ?? null,
        config: storableJson(run.config ?? null),
        resolvedConfig: storableJson(run.resolvedConfig ?? null),
        createdBy: run.createdBy ?? null,
        startedAt: run.startedAt ?? new Date(),
      };
      // A generated id can collide (same second, same 4 random characters): draw again.
      for (let attempt = 0; ; attempt += 1) {
        const id = run.id ?? generateRunId(values.startedAt);
        try {
          const [row] = await this.database
            .insert(runs)
            .values({ id, ...values })
            .returning();
          if (!row) throw new Error(`inserting run ${id} returned no row`);
          return row;
        } catch (error) {
          if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
          if (run.id === undefined && attempt < 5) continue;
          throw new StorageError('run_exists', `a run with id "${id}" already exists in ${this.location}; choose another id`, {
            cause: error,
          });
        }
      }
    });
  }

  async updateRun(id: string, update: RunUpdate): Promise<void> {
    return this.attempt(`updating run ${id}`, async () => {
      const changes: Partial<typeof runs.$inferInsert> = {};
      if (update.status !== undefined) changes.status = update.status;
      if (update.finishedAt !== undefined) changes.finishedAt = update.finishedAt;
      if (update.durationMs !== undefined) changes.durationMs = update.durationMs;
      if (update.totals !== undefined) changes.totals = update.totals;
      if (update.summary !== undefined) changes.summary = storableJson(update.summary);
      if (update.error !== undefined) changes.error = storableText(update.error);

      const matched =
        Object.keys(changes).length === 0
          ? await this.database.select({ id: runs.id }).from(runs).where(eq(runs.id, id))
          : await this.database.update(runs).set(changes).where(eq(runs.id, id)).returning({ id: runs.id });
      if (matched.length === 0) {
        throw new StorageError('run_not_found', `cannot update run "${id}": no such run in ${this.location}`);
      }
      // The embedded database has no autovacuum: when a run ends, its results' pages are marked
      // all-visible, so comparisons and summaries read them from the covering index alone
      // (index-only scans) instead of visiting every row; VACUUM reads only the pages written
      // since the last one (~3.5 s after a million results). After a run of 1,000 results or
      // more the planner's statistics of the columns comparisons select by are made again
      // (~0.4 s): without them a side of 10,000 results was planned as one row.
      if (this.kind === 'pglite' && (update.status === 'completed' || update.status === 'failed' || update.status === 'cancelled')) {
        await this.query('VACUUM results', []);
        const [counted] = await this.query('SELECT count(*)::int AS n FROM results WHERE run_id = $1', [id]);
        if (Number(counted?.n ?? 0) >= 1_000) await this.query('ANALYZE results (run_id, provider_id, prompt_id, repeat, case_id, case_index)', []);
      }
    });
  }

  async getRun(idOrPrefix: string): Promise<RunRecord | undefined> {
    return this.attempt(`reading run ${idOrPrefix}`, async () => {
      if (idOrPrefix === '') return undefined;
      const [exact] = await this.database.select().from(runs).where(eq(runs.id, idOrPrefix));
      if (exact) return exact;
      // The start of an id (`run-20261128-18`) or its end (the random `alre` of
      // `run-20261128-181128-alre`, the part a person remembers).
      const escaped = escapeLike(idOrPrefix);
      const matches = await this.database
        .select()
        .from(runs)
        .where(or(like(runs.id, `${escaped}%`), like(runs.id, `%${escaped}`)))
        .orderBy(desc(runs.startedAt), desc(runs.id))
        .limit(AMBIGUOUS_MATCHES_SHOWN + 1);
      if (matches.length <= 1) return matches[0];
      const shown = matches.slice(0, AMBIGUOUS_MATCHES_SHOWN).map((match) => match.id);
      const more = matches.length > AMBIGUOUS_MATCHES_SHOWN ? ', …' : '';
      throw new StorageError(
        'run_id_ambiguous',
        `run id "${idOrPrefix}" matches several runs by its start or end (${shown.join(', ')}${more}); give more characters of the id`,
      );
    });
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    return this.attempt(`listing runs`, async () => {
      const query = this.database
        .select()
        .from(runs)
        .where(options.status === undefined ? undefined : eq(runs.status, options.status))
        .orderBy(desc(runs.startedAt), desc(runs.id))
        .$dynamic();
      if (options.limit !== undefined) query.limit(options.limit);
      if (options.offset !== undefined) query.offset(options.offset);
      return query;
    });
  }

  /** Deletes a run and (by cascade) its results. Returns whether the run existed. */
  async deleteRun(id: string): Promise<boolean> {
    return this.attempt(`deleting run ${id}`, async () => {
      const deleted = await this.database.delete(runs).where(eq(runs.id, id)).returning({ id: runs.id });
      return deleted.length > 0;
    });
  }

  /**
   * One statement whatever the batch size: each column travels as one array parameter and
   * `unnest` turns them back into rows, so there is no bind-parameter limit to chunk around, the
   * batch is atomic, and the cost per row is a fraction of a row-by-row VALUES list (this is the
   * hot path of every run). Rows whose key exists are skipped.
   */
  async insertResults(newResults: NewResult[]): Promise<number> {
    return this.attempt(`storing ${newResults.length} results`, async () => {
      if (newResults.length === 0) return 0;
      if (this.copyFromText) {
        // COPY has no ON CONFLICT: a batch holding a stored key fails whole (nothing is loaded) and
        // goes the unnest way below, which skips the stored rows. Runs that are not resumed never do.
        try {
          return await this.copyFromText(COPY_RESULTS_SQL, copyText(newResults, RESULT_INSERT_COLUMNS));
        } catch (error) {
          if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
        }
      }
      const rows = await this.query(INSERT_RESULTS_SQL, columnArrays(newResults, RESULT_INSERT_COLUMNS));
      return Number(rows[0]?.inserted ?? 0);
    });
  }

  listResults(query: ResultQuery): Promise<ResultPage>;
  listResults(runId: string, options?: ListResultsOptions): Promise<ResultRecord[]>;
  async listResults(queryOrRunId: ResultQuery | string, options: ListResultsOptions = {}): Promise<ResultPage | ResultRecord[]> {
    if (typeof queryOrRunId === 'string') {
      // The older form: every result (or an offset page) in case order, as an array.
      const runId = queryOrRunId;
      return this.attempt(`reading the results of run ${runId}`, async () => {
        const query = this.database
          .select()
          .from(results)
          .where(
            options.providerId === undefined
              ? eq(results.runId, runId)
              : and(eq(results.runId, runId), eq(results.providerId, options.providerId)),
          )
          .orderBy(asc(results.caseIndex), asc(results.providerId), asc(results.promptId), asc(results.repeat), asc(results.id))
          .$dynamic();
        if (options.limit !== undefined) query.limit(options.limit);
        if (options.offset !== undefined) query.offset(options.offset);
        return query;
      });
    }
    const query = queryOrRunId;
    const plan = planResultQuery(query);
    return this.attempt(`reading the results of run ${query.runId}`, async () => {
      // One row more than the page tells whether another page follows.
      const rows = await this.database
        .select()
        .from(results)
        .where(and(...plan.conditions))
        .orderBy(...plan.orderBy)
        .limit(plan.limit + 1)
        .offset(plan.offset);
      const more = rows.length > plan.limit;
      const page = more ? rows.slice(0, plan.limit) : rows;
      const last = page[page.length - 1];
      return { results: page, nextCursor: more && last ? plan.cursorAfter(last) : null };
    });
  }

  async countResults(runId: string, filter?: ResultFilter): Promise<number> {
    const conditions = resultConditions(runId, filter);
    return this.attempt(`counting the results of run ${runId}`, async () => {
      const [row] = await this.database
        .select({ total: count() })
        .from(results)
        .where(and(...conditions));
      return row?.total ?? 0;
    });
  }

  async aggregateResults(runId: string): Promise<ResultAggregates> {
    return this.attempt(`summing up the results of run ${runId}`, async () => {
      const [row] = await this.database
        .select({
          results: sql<number>`count(*)::int`,
          cases: sql<number>`count(DISTINCT ${results.caseId})::int`,
          passed: sql<number>`(count(*) FILTER (WHERE ${results.passed} IS TRUE AND ${results.errorKind} IS NULL))::int`,
          failed: sql<number>`(count(*) FILTER (WHERE ${results.passed} IS FALSE AND ${results.errorKind} IS NULL))::int`,
          errors: sql<number>`(count(*) FILTER (WHERE ${results.passed} IS NULL OR ${results.errorKind} IS NOT NULL))::int`,
          inputTokens: sql<number>`coalesce(sum(${results.inputTokens}), 0)::float8`,
          outputTokens: sql<number>`coalesce(sum(${results.outputTokens}), 0)::float8`,
          costUsd: sql<number>`coalesce(sum(${results.costUsd}), 0)::float8`,
        })
        .from(results)
        .where(eq(results.runId, runId));
      const number = (value: unknown) => Number(value ?? 0);
      return {
        results: number(row?.results),
        cases: number(row?.cases),
        passed: number(row?.passed),
        failed: number(row?.failed),
        errors: number(row?.errors),
        inputTokens: number(row?.inputTokens),
        outputTokens: number(row?.outputTokens),
        costUsd: number(row?.costUsd),
      };
    });
  }

  async describeResultSides(runIds: readonly string[], options?: { latencyP50?: boolean }): Promise<ResultSideSummary[]> {
    return this.attempt(`summing up the results of ${runIds.length === 0 ? 'every run' : `run ${runIds.join(', ')}`} by provider and prompt`, () => describeResultSides(this.analyticQuery, runIds, options));
  }

  async listResultSides(runIds: readonly string[]): Promise<ResultSideListing[]> {
    return this.attempt(`listing the providers and prompts of run ${runIds.join(', ')}`, () => listResultSides(this.analyticQuery, runIds));
  }

  async pairResults(request: PairedResultsQuery): Promise<PairedResultsAnswer> {
    return this.attempt(`pairing ${request.a.providerId} in run ${request.a.runId} with ${request.b.providerId} in run ${request.b.runId}`, () => pairResults(this.analyticQuery, request));
  }

  async insertRequests(newRequests: NewRequest[]): Promise<number> {
    return this.attempt(`storing ${newRequests.length} requests`, () => insertRequests(this.query, newRequests, this.copyFromText));
  }

  async recordBatch(batch: NewRunBatch): Promise<void> {
    await this.attempt(`recording batch ${batch.vendorBatchId} of run ${batch.runId}`, async () => {
      await this.database
        .insert(batches)
        .values({ runId: batch.runId, providerId: storableText(batch.providerId), vendorBatchId: batch.vendorBatchId, itemKeys: batch.itemKeys, status: 'submitted' })
        .onConflictDoNothing();
    });
  }

  async listBatches(runId: string, status?: RunBatchStatus): Promise<RunBatchRecord[]> {
    return this.attempt(`listing the batches of run ${runId}`, async () => {
      const rows = await this.database
        .select()
        .from(batches)
        .where(status === undefined ? eq(batches.runId, runId) : and(eq(batches.runId, runId), eq(batches.status, status)))
        .orderBy(asc(batches.id));
      return rows.map(({ id: _id, ...row }) => row);
    });
  }

  async updateBatchStatus(runId: string, vendorBatchId: string, status: RunBatchStatus): Promise<void> {
    await this.attempt(`updating batch ${vendorBatchId} of run ${runId}`, async () => {
      await this.database.update(batches).set({ status }).where(and(eq(batches.runId, runId), eq(batches.vendorBatchId, vendorBatchId)));
    });
  }

  async listRequests(query: RequestQuery = {}): Promise<RequestPage> {
    const plan = planRequestQuery(query);
    return this.attempt(`listing requests`, async () => {
      const rows = await this.database
        .select()
        .from(requests)
        .where(plan.conditions.length > 0 ? and(...plan.conditions) : undefined)
        .orderBy(desc(requests.at), desc(requests.id))
        .limit(plan.limit + 1);
      const more = rows.length > plan.limit;
      const page = more ? rows.slice(0, plan.limit) : rows;
      const last = page[page.length - 1];
      return { requests: page, nextCursor: more && last ? plan.cursorAfter(last) : null };
    });
  }

  async summariseRequests(query: RequestSummaryQuery = {}): Promise<RequestSummaryRow[]> {
    return this.attempt(`summing up requests`, () => summariseRequests(this.database, query));
  }

  async auditHead(): Promise<AuditHead> {
    return this.attempt('reading the audit log head', () => auditHead(this.database));
  }

  async appendAudit(entry: AuditRecord): Promise<boolean> {
    return this.attempt(`appending audit entry ${entry.seq} (${entry.action})`, () => appendAudit(this.database, entry));
  }

  async listAudit(query: AuditListQuery = {}): Promise<AuditRecord[]> {
    return this.attempt('listing the audit log', () => listAudit(this.database, query));
  }

  async createKey(key: NewGatewayKey): Promise<GatewayKeyRecord> {
    return this.attempt(`storing gateway key "${key.name}"`, () => createKey(this.database, key));
  }

  async listKeys(options: { includeRevoked?: boolean } = {}): Promise<GatewayKeyRecord[]> {
    return this.attempt(`listing gateway keys`, () => listKeys(this.database, options.includeRevoked ?? false));
  }

  async revokeKey(idNameOrPrefix: string): Promise<GatewayKeyRecord | undefined> {
    return this.attempt(`revoking gateway key "${idNameOrPrefix}"`, () => revokeKey(this.database, idNameOrPrefix));
  }

  async addKeySpend(spend: KeySpend[]): Promise<void> {
    return this.attempt(`adding the spend of ${spend.length} gateway keys`, () => addKeySpend(this.query, spend));
  }

  async completedKeys(runId: string, range?: CaseRange): Promise<Set<string>> {
    return this.attempt(`reading the finished results of run ${runId}`, async () => {
      const rows = await this.database
        .select({
          caseId: results.caseId,
          providerId: results.providerId,
          promptId: results.promptId,
          repeat: results.repeat,
        })
        .from(results)
        .where(
          range === undefined
            ? eq(results.runId, runId)
            : and(eq(results.runId, runId), gte(results.caseIndex, range.fromCase), lt(results.caseIndex, range.toCase)),
        );
      return new Set(rows.map(resultKey));
    });
  }

  async deleteErroredResults(runId: string): Promise<number> {
    return this.attempt(`deleting the errored results of run ${runId}`, async () => {
      const deleted = await this.database
        .delete(results)
        .where(and(eq(results.runId, runId), or(isNotNull(results.errorKind), isNull(results.passed))))
        .returning({ id: results.id });
      return deleted.length;
    });
  }

  async writeMetricPoints(resolution: MetricResolution, points: MetricPoint[], options: { replace?: boolean } = {}): Promise<number> {
    return this.attempt(`storing ${points.length} metric points (${resolution})`, () => writeMetricPoints(this.query, resolution, points, options.replace ?? false));
  }

  async readMetricPoints(query: MetricPointQuery): Promise<MetricPointRecord[]> {
    return this.attempt(`reading metric points (${query.resolution})`, () => readMetricPoints(this.query, query));
  }

  async metricPointsToRollUp(options: { before: Date; limit?: number }): Promise<MetricPointRecord[]> {
    return this.attempt(`reading the metric points to roll up`, () => metricPointsToRollUp(this.query, options.before, options.limit));
  }

  async markMetricPointsRolledUp(points: Array<{ id: number; revision: number }>): Promise<number> {
    return this.attempt(`marking ${points.length} metric points rolled up`, () => markMetricPointsRolledUp(this.query, points));
  }

  async deleteMetricPoints(resolution: MetricResolution, before: Date): Promise<number> {
    return this.attempt(`deleting expired metric points (${resolution})`, () => deleteMetricPoints(this.query, resolution, before));
  }

  /** Closes the connection; later calls are no-ops. */
  close(): Promise<void> {
    this.closing ??= this.runHolds.releaseAll().then(
      () => this.closeDriver(),
      () => this.closeDriver(),
    );
    return this.closing;
  }
}
