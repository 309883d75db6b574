/**
 * The SQL of result and request queries: filters, orders and keyset cursors, each written to
 * match an index of src/schema.ts (the partial index of unpassed results, the coalesced latency
 * and score indexes), so a page costs the same on the first page and the thousandth.
 */
import { sql, type SQL } from 'drizzle-orm';
import { StorageError } from './errors.js';
import { requests, results } from './schema.js';
import {
  DEFAULT_PAGE,
  MAX_RESULT_PAGE,
  type RequestQuery,
  type RequestRecord,
  type ResultFilter,
  type ResultOutcome,
  type ResultQuery,
  type ResultRecord,
  type ResultSort,
  type ResultSortKey,
} from './types.js';

const OUTCOMES: readonly ResultOutcome[] = ['passed', 'failed', 'errored'];
const SORT_KEYS: readonly ResultSortKey[] = ['case', 'latency', 'score'];

function invalid(message: string): StorageError {
  return new StorageError('storage_invalid_option', message);
}

/** The page size asked for, checked. */
export function pageLimit(limit: number | undefined, what: string): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULT_PAGE) {
    throw invalid(`${what}: limit must be a whole number from 1 to ${MAX_RESULT_PAGE} (got ${String(limit)})`);
  }
  return limit;
}

export function pageOffset(offset: number | undefined, what: string): number {
  if (offset === undefined) return 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`${what}: offset must be a whole number, 0 or more (got ${String(offset)})`);
  return offset;
}

/**
 * Results that did not pass. Written exactly as the partial index `results_run_unpassed_idx` is,
 * so that a query holding it as a conjunct can use that index.
 */
const UNPASSED = sql`(${results.passed} IS NOT TRUE OR ${results.errorKind} IS NOT NULL)`;
const OUTCOME_SQL: Record<ResultOutcome, SQL> = {
  passed: sql`(${results.passed} IS TRUE AND ${results.errorKind} IS NULL)`,
  failed: sql`(${results.passed} IS FALSE AND ${results.errorKind} IS NULL)`,
  errored: sql`(${results.passed} IS NULL OR ${results.errorKind} IS NOT NULL)`,
};

/** The WHERE conditions of a filter on one run's results. */
export function resultConditions(runId: string, filter: ResultFilter | undefined): SQL[] {
  const conditions: SQL[] = [sql`${results.runId} = ${runId}`];
  if (!filter) return conditions;
  if (filter.outcome !== undefined) {
    const wanted = new Set(typeof filter.outcome === 'string' ? [filter.outcome] : filter.outcome);
    for (const outcome of wanted) {
      if (!OUTCOMES.includes(outcome)) throw invalid(`unknown result outcome "${String(outcome)}": use one of ${OUTCOMES.join(', ')}`);
    }
    if (wanted.size === 0) conditions.push(sql`false`);
    else if (wanted.size < OUTCOMES.length) {
      if (!wanted.has('passed')) conditions.push(UNPASSED);
      conditions.push(sql`(${sql.join([...wanted].map((outcome) => OUTCOME_SQL[outcome]), sql` OR `)})`);
    }
  }
  if (filter.providerId !== undefined) conditions.push(sql`${results.providerId} = ${filter.providerId}`);
  if (filter.promptId !== undefined) conditions.push(sql`${results.promptId} = ${filter.promptId}`);
  if (filter.caseId !== undefined) conditions.push(sql`${results.caseId} = ${filter.caseId}`);
  if (filter.caseRange !== undefined) {
    const { fromCase, toCase } = filter.caseRange;
    if (!Number.isSafeInteger(fromCase) || !Number.isSafeInteger(toCase) || fromCase < 0 || toCase < fromCase) {
      throw invalid(`caseRange must be whole numbers with 0 ≤ fromCase ≤ toCase, got [${String(fromCase)}, ${String(toCase)})`);
    }
    conditions.push(sql`${results.caseIndex} >= ${fromCase}`, sql`${results.caseIndex} < ${toCase}`);
  }
  return conditions;
}

/** Sort keys as the indexes hold them: a missing latency is the slowest, a missing score the lowest. */
const LATENCY_KEY = sql`coalesce(${results.latencyMs}, 'Infinity'::float8)`;
const SCORE_KEY = sql`coalesce(${results.score}, '-Infinity'::float8)`;

interface CursorPayload {
  by: ResultSortKey;
  order: 'asc' | 'desc';
  /** The last row's sort key, then its id. */
  key: Array<string | number>;
}

function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeCursor(cursor: string, sort: Required<ResultSort>): CursorPayload {
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw invalid(`result cursor "${cursor.slice(0, 40)}" is not one this storage gave out; start again without a cursor`);
  }
  if (!payload || !Array.isArray(payload.key) || payload.by !== sort.by || payload.order !== sort.order) {
    throw invalid(
      `result cursor "${cursor.slice(0, 40)}" was made for another order (sort by ${String(payload?.by)} ${String(payload?.order)}); ` +
        `give the same sort as the page it came from, or start again without a cursor`,
    );
  }
  return payload;
}

/** A float8 sort key as text (exact for a JS number; `Infinity` for the sentinel). */
const floatKey = (value: number | null, missing: string): string => (value === null ? missing : String(value));

export interface ResultQueryPlan {
  conditions: SQL[];
  orderBy: SQL[];
  limit: number;
  offset: number;
  /** The cursor that continues after `last`. */
  cursorAfter(last: ResultRecord): string;
}

/** The WHERE, ORDER BY and paging of a result query, with its cursor (checked) applied. */
export function planResultQuery(query: ResultQuery): ResultQueryPlan {
  const what = `listing the results of run ${query.runId}`;
  const sort: Required<ResultSort> = { by: query.sort?.by ?? 'case', order: query.sort?.order ?? 'asc' };
  if (!SORT_KEYS.includes(sort.by)) throw invalid(`${what}: unknown sort "${String(sort.by)}": use one of ${SORT_KEYS.join(', ')}`);
  if (sort.order !== 'asc' && sort.order !== 'desc') throw invalid(`${what}: sort order must be asc or desc (got ${String(sort.order)})`);
  const conditions = resultConditions(query.runId, query.filter);
  const direction = sort.order === 'asc' ? sql`asc` : sql`desc`;
  const after = sort.order === 'asc' ? sql`>` : sql`<`;

  let columns: SQL[];
  let keyOf: (row: ResultRecord) => Array<string | number>;
  let cursorValues: (key: Array<string | number>) => SQL[];
  if (sort.by === 'case') {
    columns = [sql`${results.caseIndex}`, sql`${results.providerId}`, sql`${results.promptId}`, sql`${results.repeat}`];
    keyOf = (row) => [row.caseIndex, row.providerId, row.promptId, row.repeat, row.id];
    cursorValues = ([caseIndex, providerId, promptId, repeat]) => [
      sql`${Number(caseIndex)}::int4`,
      sql`${String(providerId)}::text`,
      sql`${String(promptId)}::text`,
      sql`${Number(repeat)}::int4`,
    ];
  } else if (sort.by === 'latency') {
    columns = [LATENCY_KEY];
    keyOf = (row) => [floatKey(row.latencyMs, 'Infinity'), row.id];
    cursorValues = ([value]) => [sql`${String(value)}::float8`];
  } else {
    columns = [SCORE_KEY];
    keyOf = (row) => [floatKey(row.score, '-Infinity'), row.id];
    cursorValues = ([value]) => [sql`${String(value)}::float8`];
  }
  columns.push(sql`${results.id}`);

  if (query.cursor !== undefined && query.cursor !== null) {
    const { key } = decodeCursor(query.cursor, sort);
    if (key.length !== columns.length) throw invalid(`${what}: result cursor "${query.cursor.slice(0, 40)}" is damaged; start again without a cursor`);
    const values = [...cursorValues(key), sql`${Number(key[key.length - 1])}::int8`];
    conditions.push(sql`(${sql.join(columns, sql`, `)}) ${after} (${sql.join(values, sql`, `)})`);
  }
  return {
    conditions,
    orderBy: columns.map((column) => sql`${column} ${direction}`),
    limit: pageLimit(query.limit, what),
    offset: pageOffset(query.offset, what),
    cursorAfter: (last) => encodeCursor({ by: sort.by, order: sort.order, key: keyOf(last) }),
  };
}

/** Requests newest first: WHERE and the cursor of a request query. */
export function planRequestQuery(query: RequestQuery): { conditions: SQL[]; limit: number; cursorAfter(last: RequestRecord): string } {
  const conditions: SQL[] = [];
  if (query.source !== undefined) conditions.push(sql`${requests.source} = ${query.source}`);
  if (query.provider !== undefined) conditions.push(sql`${requests.provider} = ${query.provider}`);
  if (query.status !== undefined) conditions.push(sql`${requests.status} = ${query.status}`);
  if (query.since !== undefined) conditions.push(sql`${requests.at} >= ${query.since.toISOString()}::timestamptz`);
  if (query.until !== undefined) conditions.push(sql`${requests.at} < ${query.until.toISOString()}::timestamptz`);
  if (query.cursor !== undefined && query.cursor !== null) {
    let at: string;
    let id: number;
    try {
      [at, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [string, number];
      if (typeof at !== 'string' || !Number.isInteger(id)) throw new Error('bad cursor');
    } catch {
      throw invalid(`request cursor "${query.cursor.slice(0, 40)}" is not one this storage gave out; start again without a cursor`);
    }
    conditions.push(sql`(${requests.at}, ${requests.id}) < (${at}::timestamptz, ${id}::int8)`);
  }
  return {
    conditions,
    limit: pageLimit(query.limit, 'listing requests'),
    cursorAfter: (last) => Buffer.from(JSON.stringify([last.at.toISOString(), last.id])).toString('base64url'),
  };
}

/** The mean of a result's evaluator scores, stored for sorting; null when nothing scored it. */
export function meanScore(scores: ReadonlyArray<{ score: number }> | null | undefined): number | null {
  if (!scores || scores.length === 0) return null;
  let sum = 0;
  for (const { score } of scores) {
    if (typeof score !== 'number' || !Number.isFinite(score)) return null;
    sum += score;
  }
  return sum / scores.length;
}
