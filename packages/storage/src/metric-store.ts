/**
 * The monitoring's time-series tables (`metric_points_1m`, `metric_points_1h`): batched upserts
 * that merge, range reads, the roll-up's bookkeeping, retention. Plain functions over raw SQL,
 * called by {@link DrizzleStorage} (which wraps failures). Raw SQL because every write is one
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` (one statement whatever the batch) whose
 * merge of counters and of the error-class map drizzle's builder cannot say.
 *
 * Sketches (DDSketch protobufs) cross the driver as hex text, decoded and encoded in SQL, so that
 * PGlite and node-postgres need no bytea-array parsing of their own.
 */
import { StorageError } from './errors.js';
import type { MetricPoint, MetricPointQuery, MetricPointRecord, MetricResolution } from './metric-types.js';

type Query = (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

const TABLES: Record<MetricResolution, string> = { '1m': 'metric_points_1m', '1h': 'metric_points_1h' };
const DIMENSIONS = ['source', 'provider_id', 'provider', 'model', 'route', 'key'] as const;
const DEFAULT_READ_LIMIT = 100_000;
const DEFAULT_ROLLUP_GROUPS = 1_000;

function tableOf(resolution: MetricResolution): string {
  const table = TABLES[resolution];
  if (!table) throw new StorageError('storage_invalid_option', `metric resolution "${String(resolution)}" is not one of 1m, 1h`);
  return table;
}

const hex = (part: Uint8Array) => Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('hex');
const seriesOf = (point: MetricPoint) => [point.source, point.providerId, point.provider, point.model, point.route, point.key, point.start.getTime()].join('\u0000');

/** Points of one series and start in a batch merged into one (PostgreSQL refuses to upsert one row twice in a statement). */
function mergeDuplicates(points: readonly MetricPoint[]): MetricPoint[] {
  const merged = new Map<string, MetricPoint>();
  for (const point of points) {
    if (!(point.start instanceof Date) || Number.isNaN(point.start.getTime())) {
      throw new StorageError('storage_invalid_option', `a metric point of ${point.providerId || 'a series'} has no valid start time`);
    }
    const id = seriesOf(point);
    const into = merged.get(id);
    if (!into) {
      merged.set(id, { ...point, errors: { ...point.errors }, latency: [...point.latency], ttft: [...point.ttft] });
      continue;
    }
    into.count += point.count;
    for (const [kind, n] of Object.entries(point.errors)) into.errors[kind] = (into.errors[kind] ?? 0) + n;
    into.latency.push(...point.latency);
    into.ttft.push(...point.ttft);
    into.tokensIn += point.tokensIn;
    into.tokensOut += point.tokensOut;
    into.costUsd += point.costUsd;
    into.cacheHits += point.cacheHits;
    into.probeScoreSum += point.probeScoreSum;
    into.probeScoreCount += point.probeScoreCount;
  }
  return [...merged.values()];
}

/** The upsert's columns: name, SQL array type, the value of a point, and how the row is made from the unnested value. */
const WRITE_COLUMNS: ReadonlyArray<{ name: string; type: string; value: (point: MetricPoint) => unknown; expression?: (column: string) => string }> = [
  { name: 'source', type: 'text', value: (point) => point.source },
  { name: 'provider_id', type: 'text', value: (point) => point.providerId },
  { name: 'provider', type: 'text', value: (point) => point.provider },
  { name: 'model', type: 'text', value: (point) => point.model },
  { name: 'route', type: 'text', value: (point) => point.route },
  { name: 'key', type: 'text', value: (point) => point.key },
  { name: 'start', type: 'timestamptz', value: (point) => point.start.toISOString() },
  { name: 'count', type: 'int4', value: (point) => point.count },
  { name: 'errors', type: 'jsonb', value: (point) => JSON.stringify(point.errors) },
  // Several parts travel as one comma-separated string of hex (an array of arrays would not unnest row by row).
  { name: 'latency', type: 'text', value: (point) => point.latency.map(hex).join(','), expression: sketchArray },
  { name: 'ttft', type: 'text', value: (point) => point.ttft.map(hex).join(','), expression: sketchArray },
  { name: 'tokens_in', type: 'float8', value: (point) => point.tokensIn },
  { name: 'tokens_out', type: 'float8', value: (point) => point.tokensOut },
  { name: 'cost_usd', type: 'float8', value: (point) => point.costUsd },
  { name: 'cache_hits', type: 'int4', value: (point) => point.cacheHits },
  { name: 'probe_score_sum', type: 'float8', value: (point) => point.probeScoreSum },
  { name: 'probe_score_count', type: 'int4', value: (point) => point.probeScoreCount },
];

function sketchArray(column: string): string {
  return `ARRAY(SELECT decode(part, 'hex') FROM unnest(string_to_array(nullif(${column}, ''), ',')) AS part)::bytea[]`;
}

/** The error-class maps of the stored row and the new one, summed key by key. */
const MERGED_ERRORS =
  `(SELECT coalesce(jsonb_object_agg(kind, total), '{}'::jsonb) FROM ` +
  `(SELECT kind, sum(n::bigint) AS total FROM (SELECT * FROM jsonb_each_text(t.errors) UNION ALL SELECT * FROM jsonb_each_text(excluded.errors)) AS e(kind, n) GROUP BY kind) AS s)`;

function writeSql(table: string, replace: boolean): string {
  const names = WRITE_COLUMNS.map((column) => `"${column.name}"`).join(', ');
  const unnested = WRITE_COLUMNS.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ');
  const aliases = WRITE_COLUMNS.map((column) => `u_${column.name}`);
  const selected = WRITE_COLUMNS.map((column, index) => (column.expression ? column.expression(aliases[index] as string) : aliases[index])).join(', ');
  const counters = ['count', 'tokens_in', 'tokens_out', 'cost_usd', 'cache_hits', 'probe_score_sum', 'probe_score_count'];
  const updates = replace
    ? [...counters, 'errors', 'latency', 'ttft'].map((name) => `"${name}" = excluded."${name}"`)
    : [
        ...counters.map((name) => `"${name}" = t."${name}" + excluded."${name}"`),
        `"errors" = ${MERGED_ERRORS}`,
        `"latency" = t."latency" || excluded."latency"`,
        `"ttft" = t."ttft" || excluded."ttft"`,
      ];
  return (
    `WITH written AS (INSERT INTO ${table} AS t (${names}) SELECT ${selected} FROM unnest(${unnested}) AS u(${aliases.join(', ')}) ` +
    `ON CONFLICT (${DIMENSIONS.map((name) => `"${name}"`).join(', ')}, "start") DO UPDATE SET ${updates.join(', ')}, "revision" = t."revision" + 1 RETURNING 1) ` +
    `SELECT count(*)::int AS written FROM written`
  );
}

export async function writeMetricPoints(query: Query, resolution: MetricResolution, points: readonly MetricPoint[], replace: boolean): Promise<number> {
  const table = tableOf(resolution);
  if (points.length === 0) return 0;
  const merged = mergeDuplicates(points);
  const params = WRITE_COLUMNS.map((column) => merged.map((point) => column.value(point)));
  const [row] = await query(writeSql(table, replace), params);
  return Number(row?.written ?? 0);
}

/** The columns read back, sketches as arrays of hex text. */
function readColumns(alias: string): string {
  const plain = ['id', ...DIMENSIONS, 'start', 'count', 'errors', 'tokens_in', 'tokens_out', 'cost_usd', 'cache_hits', 'probe_score_sum', 'probe_score_count', 'revision'];
  const sketch = (name: string) => `ARRAY(SELECT encode(part, 'hex') FROM unnest(${alias}.${name}) AS part) AS ${name}`;
  return [...plain.map((name) => `${alias}.${name}`), sketch('latency'), sketch('ttft')].join(', ');
}

const fromHex = (parts: unknown): Uint8Array[] => (Array.isArray(parts) ? parts.map((part) => new Uint8Array(Buffer.from(String(part), 'hex'))) : []);

function toRecord(row: Record<string, unknown>): MetricPointRecord {
  const start = row.start instanceof Date ? row.start : new Date(String(row.start));
  return {
    id: Number(row.id),
    source: String(row.source),
    providerId: String(row.provider_id),
    provider: String(row.provider),
    model: String(row.model),
    route: String(row.route),
    key: String(row.key),
    start,
    count: Number(row.count),
    errors: (typeof row.errors === 'string' ? JSON.parse(row.errors) : row.errors) as Record<string, number>,
    latency: fromHex(row.latency),
    ttft: fromHex(row.ttft),
    tokensIn: Number(row.tokens_in),
    tokensOut: Number(row.tokens_out),
    costUsd: Number(row.cost_usd),
    cacheHits: Number(row.cache_hits),
    probeScoreSum: Number(row.probe_score_sum),
    probeScoreCount: Number(row.probe_score_count),
    revision: Number(row.revision),
  };
}

export async function readMetricPoints(query: Query, request: MetricPointQuery): Promise<MetricPointRecord[]> {
  const table = tableOf(request.resolution);
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (request.since !== undefined) add((p) => `start >= ${p}::timestamptz`, request.since.toISOString());
  if (request.until !== undefined) add((p) => `start < ${p}::timestamptz`, request.until.toISOString());
  if (request.source !== undefined) add((p) => `source = ${p}`, request.source);
  // Either column, each on its own (provider, start) index.
  if (request.provider !== undefined) add((p) => `(provider_id = ${p} OR provider = ${p})`, request.provider);
  if (request.model !== undefined) add((p) => `model = ${p}`, request.model);
  if (request.route !== undefined) add((p) => `route = ${p}`, request.route);
  if (request.key !== undefined) add((p) => `key = ${p}`, request.key);
  const limit = request.limit ?? DEFAULT_READ_LIMIT;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new StorageError('storage_invalid_option', `metric point limit ${limit} must be a whole number, 1 or more`);
  params.push(limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const rows = await query(`SELECT ${readColumns(table)} FROM ${table} ${where} ORDER BY start, id LIMIT $${params.length}`, params);
  return rows.map(toRecord);
}

export async function metricPointsToRollUp(query: Query, before: Date, limit = DEFAULT_ROLLUP_GROUPS): Promise<MetricPointRecord[]> {
  const dimensions = DIMENSIONS.map((name) => `m.${name} = g.${name}`).join(' AND ');
  const hour = `date_bin('1 hour', start, timestamptz '1970-01-01 00:00:00+00')`;
  const rows = await query(
    `WITH g AS (SELECT DISTINCT ${DIMENSIONS.join(', ')}, ${hour} AS hour FROM metric_points_1m ` +
      `WHERE rolled_up IS DISTINCT FROM revision AND start < $1::timestamptz ORDER BY hour LIMIT $2) ` +
      `SELECT ${readColumns('m')} ` +
      `FROM metric_points_1m m JOIN g ON ${dimensions} AND m.start >= g.hour AND m.start < g.hour + interval '1 hour' ` +
      `WHERE m.start < $1::timestamptz ORDER BY m.start, m.id`,
    [before.toISOString(), limit],
  );
  return rows.map(toRecord);
}

export async function markMetricPointsRolledUp(query: Query, points: ReadonlyArray<{ id: number; revision: number }>): Promise<number> {
  if (points.length === 0) return 0;
  const [row] = await query(
    `WITH marked AS (UPDATE metric_points_1m AS m SET rolled_up = r.revision FROM unnest($1::int8[], $2::int4[]) AS r(id, revision) ` +
      `WHERE m.id = r.id AND m.revision = r.revision RETURNING 1) SELECT count(*)::int AS marked FROM marked`,
    [points.map((point) => point.id), points.map((point) => point.revision)],
  );
  return Number(row?.marked ?? 0);
}

export async function deleteMetricPoints(query: Query, resolution: MetricResolution, before: Date): Promise<number> {
  const table = tableOf(resolution);
  const [row] = await query(`WITH deleted AS (DELETE FROM ${table} WHERE start < $1::timestamptz RETURNING 1) SELECT count(*)::int AS deleted FROM deleted`, [before.toISOString()]);
  return Number(row?.deleted ?? 0);
}
