/**
 * The gateway's tables beside the runs': virtual keys, its traffic record and that record's summary. Plain
 * functions over a drizzle database, called by {@link DrizzleStorage} (which wraps failures).
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, like, or, sql, type SQL } from 'drizzle-orm';
import type { StorageDatabase } from './drizzle-storage.js';
import { StorageError, sqlStateOf } from './errors.js';
import { gatewayKeys, requests } from './schema.js';
import { columnArrays, copyStatement, copyText, json, storableText, unnestInsertStatement, type RowColumn } from './row-encoding.js';
import type { GatewayKeyRecord, KeySpend, NewGatewayKey, NewRequest, RequestSummaryQuery, RequestSummaryRow } from './types.js';

const UNIQUE_VIOLATION = '23505';

/** A key id: `key_` and 12 random base32-ish characters (not the key: ids are shown and logged). */
export function generateKeyId(): string {
  return `key_${randomBytes(9).toString('base64url').toLowerCase().replace(/[-_]/g, '0')}`;
}

function invalid(message: string): StorageError {
  return new StorageError('storage_invalid_option', message);
}

function checkNewKey(key: NewGatewayKey): void {
  if (key.name.trim() === '') throw invalid('a gateway key needs a name (--name)');
  if (!/^[0-9a-f]{64}$/.test(key.keyHash)) throw invalid('a gateway key hash must be 64 hex characters (SHA-256)');
  if (key.budgetUsd != null && !(Number.isFinite(key.budgetUsd) && key.budgetUsd >= 0)) {
    throw invalid(`budget ${key.budgetUsd} for key "${key.name}" must be a number of US dollars, 0 or more`);
  }
  if (key.rpm != null && !(Number.isInteger(key.rpm) && key.rpm >= 1)) {
    throw invalid(`rpm ${key.rpm} for key "${key.name}" must be a whole number of requests per minute, 1 or more`);
  }
}

export async function createKey(database: StorageDatabase, key: NewGatewayKey): Promise<GatewayKeyRecord> {
  checkNewKey(key);
  try {
    const [row] = await database
      .insert(gatewayKeys)
      .values({
        id: key.id ?? generateKeyId(),
        name: key.name,
        keyHash: key.keyHash,
        prefix: key.prefix,
        budgetUsd: key.budgetUsd ?? null,
        rpm: key.rpm ?? null,
        models: key.models && key.models.length > 0 ? key.models : null,
      })
      .returning();
    return row as GatewayKeyRecord;
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) {
      throw new StorageError(
        'key_exists',
        `a live gateway key named "${key.name}" exists already; choose another name or revoke it first (llm-lab gateway keys revoke ${key.name})`,
        { cause: error },
      );
    }
    throw error;
  }
}

export async function listKeys(database: StorageDatabase, includeRevoked: boolean): Promise<GatewayKeyRecord[]> {
  return (await database
    .select()
    .from(gatewayKeys)
    .where(includeRevoked ? undefined : isNull(gatewayKeys.revokedAt))
    .orderBy(asc(gatewayKeys.createdAt), asc(gatewayKeys.id))) as GatewayKeyRecord[];
}

export async function revokeKey(database: StorageDatabase, idNameOrPrefix: string): Promise<GatewayKeyRecord | undefined> {
  const live = isNull(gatewayKeys.revokedAt);
  const exact = await database
    .select({ id: gatewayKeys.id })
    .from(gatewayKeys)
    .where(and(live, or(eq(gatewayKeys.id, idNameOrPrefix), eq(gatewayKeys.name, idNameOrPrefix))));
  let matches = exact;
  if (matches.length === 0 && idNameOrPrefix.length >= 6) {
    const escaped = idNameOrPrefix.replace(/[\\%_]/g, (character) => `\\${character}`);
    matches = await database
      .select({ id: gatewayKeys.id })
      .from(gatewayKeys)
      .where(and(live, like(gatewayKeys.prefix, `${escaped}%`)));
  }
  if (matches.length === 0) return undefined;
  if (matches.length > 1) {
    throw new StorageError(
      'key_ambiguous',
      `"${idNameOrPrefix}" matches ${matches.length} live gateway keys (${matches.map((match) => match.id).join(', ')}); give the key's id`,
    );
  }
  const [row] = await database
    .update(gatewayKeys)
    .set({ revokedAt: new Date() })
    .where(eq(gatewayKeys.id, (matches[0] as { id: string }).id))
    .returning();
  return row as GatewayKeyRecord | undefined;
}

export async function addKeySpend(
  query: (text: string, params: unknown[]) => Promise<unknown>,
  spend: readonly KeySpend[],
): Promise<void> {
  const totals = new Map<string, number>();
  for (const { keyId, usd } of spend) {
    if (!Number.isFinite(usd)) throw invalid(`spend ${usd} for gateway key ${keyId} is not a number of US dollars`);
    totals.set(keyId, (totals.get(keyId) ?? 0) + usd);
  }
  if (totals.size === 0) return;
  const ids = [...totals.keys()];
  const amounts = ids.map((id) => totals.get(id) as number);
  // One statement: every key's increment applied atomically, whatever other processes add at the same time.
  await query(
    'UPDATE gateway_keys SET spend_usd = gateway_keys.spend_usd + delta.usd ' +
      'FROM unnest($1::text[], $2::float8[]) AS delta(id, usd) WHERE gateway_keys.id = delta.id',
    [ids, amounts],
  );
}

export async function summariseRequests(database: StorageDatabase, query: RequestSummaryQuery): Promise<RequestSummaryRow[]> {
  const conditions: SQL[] = [];
  if (query.source !== undefined) conditions.push(sql`${requests.source} = ${query.source}`);
  if (query.since !== undefined) conditions.push(sql`${requests.at} >= ${query.since.toISOString()}::timestamptz`);
  if (query.until !== undefined) conditions.push(sql`${requests.at} < ${query.until.toISOString()}::timestamptz`);
  const rows = await database
    .select({
      route: requests.route,
      provider: requests.provider,
      keyId: requests.keyId,
      keyName: sql<string | null>`max(${gatewayKeys.name})`,
      requests: sql<number>`count(*)::int`,
      errors: sql<number>`(count(*) FILTER (WHERE ${requests.status} <> 'ok'))::int`,
      cacheHits: sql<number>`(count(*) FILTER (WHERE ${requests.cacheHit}))::int`,
      p50LatencyMs: sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY ${requests.latencyMs})`,
      p95LatencyMs: sql<number | null>`percentile_cont(0.95) WITHIN GROUP (ORDER BY ${requests.latencyMs})`,
      inputTokens: sql<number>`coalesce(sum(${requests.inputTokens}), 0)::float8`,
      outputTokens: sql<number>`coalesce(sum(${requests.outputTokens}), 0)::float8`,
      costUsd: sql<number>`coalesce(sum(${requests.costUsd}), 0)::float8`,
    })
    .from(requests)
    .leftJoin(gatewayKeys, eq(gatewayKeys.id, requests.keyId))
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .groupBy(requests.route, requests.provider, requests.keyId)
    .orderBy(sql`count(*) DESC`, asc(requests.route), asc(requests.provider), asc(requests.keyId));
  const number = (value: unknown) => Number(value ?? 0);
  const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return rows.map((row) => ({
    route: row.route,
    provider: row.provider,
    keyId: row.keyId,
    keyName: row.keyName ?? null,
    requests: number(row.requests),
    errors: number(row.errors),
    cacheHits: number(row.cacheHits),
    p50LatencyMs: orNull(row.p50LatencyMs),
    p95LatencyMs: orNull(row.p95LatencyMs),
    inputTokens: number(row.inputTokens),
    outputTokens: number(row.outputTokens),
    costUsd: number(row.costUsd),
  }));
}

/** The columns of `requests` a call record writes, and how each is read from it. */
const REQUEST_COLUMNS: ReadonlyArray<RowColumn<NewRequest>> = [
  { name: 'request_id', type: 'text', value: (request) => request.requestId },
  // Always from here, at millisecond precision, so that a page's cursor (a Date) is exact.
  { name: 'at', type: 'timestamptz', value: (request) => (request.at ?? new Date()).toISOString() },
  { name: 'source', type: 'text', value: (request) => storableText(request.source) },
  { name: 'route', type: 'text', value: (request) => storableText(request.route ?? null) },
  { name: 'provider', type: 'text', value: (request) => storableText(request.provider ?? null) },
  { name: 'label', type: 'text', value: (request) => storableText(request.label ?? null) },
  { name: 'model', type: 'text', value: (request) => storableText(request.model ?? null) },
  { name: 'latency_ms', type: 'float8', value: (request) => request.latencyMs ?? null },
  { name: 'ttft_ms', type: 'float8', value: (request) => request.timeToFirstTokenMs ?? null },
  { name: 'input_tokens', type: 'int4', value: (request) => request.inputTokens ?? null },
  { name: 'output_tokens', type: 'int4', value: (request) => request.outputTokens ?? null },
  { name: 'cached_tokens', type: 'int4', value: (request) => request.cachedTokens ?? null },
  { name: 'cost_usd', type: 'float8', value: (request) => request.costUsd ?? null },
  { name: 'cache_hit', type: 'bool', value: (request) => request.cacheHit ?? false },
  { name: 'attempts', type: 'int4', value: (request) => request.attempts ?? 1 },
  { name: 'error_class', type: 'text', value: (request) => request.errorClass ?? null },
  { name: 'status', type: 'text', value: (request) => request.status },
  { name: 'http_status', type: 'int4', value: (request) => request.httpStatus ?? null },
  { name: 'key_id', type: 'text', value: (request) => request.keyId ?? null },
  { name: 'request_body', type: 'jsonb', value: (request) => json(request.requestBody ?? null) },
  { name: 'response_body', type: 'jsonb', value: (request) => json(request.responseBody ?? null) },
];
const COPY_REQUESTS_SQL = copyStatement('requests', REQUEST_COLUMNS);
const INSERT_REQUESTS_SQL = unnestInsertStatement('requests', REQUEST_COLUMNS);

/**
 * Stores call records; a record whose request id is stored already is skipped. Written as
 * results are: one `unnest` insert per batch; given `copyFromText` (the embedded database), first
 * tried as one COPY, a fraction of the work (the gateway writes one record per call, so this is
 * its database's steady work); a batch holding a stored id (a write retried after an answer was
 * lost) fails whole and goes the `unnest` way, which skips those.
 */
export async function insertRequests(
  query: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>,
  newRequests: readonly NewRequest[],
  copyFromText?: (statement: string, text: string) => Promise<number>,
): Promise<number> {
  if (newRequests.length === 0) return 0;
  if (copyFromText) {
    try {
      return await copyFromText(COPY_REQUESTS_SQL, copyText(newRequests, REQUEST_COLUMNS));
    } catch (error) {
      if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
    }
  }
  const [row] = await query(INSERT_REQUESTS_SQL, columnArrays(newRequests, REQUEST_COLUMNS));
  return Number(row?.inserted ?? 0);
}
