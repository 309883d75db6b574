/**
 * How values are written to the database: text without NUL (PostgreSQL's text and jsonb cannot
 * hold it), JSON text for jsonb columns, and rows in COPY's text format (the embedded database
 * loads batches with COPY: a fraction of the work of a statement with a parameter per value).
 */

/**
 * PostgreSQL's text and jsonb cannot hold U+0000, so a NUL from a model's answer, a dataset or a
 * config would fail the whole statement (a batch of results with it). It is stored as U+FFFD,
 * the replacement character, instead.
 */
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
export function storableText<T extends string | null | undefined>(value: T): T {
  return (value?.includes(NUL) ? value.replaceAll(NUL, REPLACEMENT) : value) as T;
}
const storableStrings = (_key: string, value: unknown) => (typeof value === 'string' ? storableText(value) : value);

/** JSON text for a jsonb column; only JSON that holds an escaped NUL is made again without it. */
export function json(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? JSON.stringify(value, storableStrings) : text;
}

/** A value for a jsonb column written through drizzle (a run's config, totals, summary), without NUL. */
export function storableJson<T>(value: T): T {
  if (value === undefined || value === null) return value;
  return JSON.stringify(value).includes('\\u0000') ? (JSON.parse(JSON.stringify(value, storableStrings)) as T) : value;
}

/** A value in COPY's text format: `\N` is null; backslash, tab, newline and carriage return are escaped. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, escapeCopyCharacter) : value;
  return String(value);
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeCopyCharacter = (character: string) => COPY_ESCAPES[character] as string;

/** A column a batch insert writes: its name, its SQL type (for `unnest` of an array) and how it is read from a row. */
export interface RowColumn<Row> {
  name: string;
  type: string;
  value: (row: Row) => unknown;
}

/** `rows` as COPY text: one line per row, its columns separated by tabs. */
export function copyText<Row>(rows: readonly Row[], columns: ReadonlyArray<RowColumn<Row>>): string {
  const lines = rows.map((row) => columns.map((column) => copyField(column.value(row))).join('\t'));
  return `${lines.join('\n')}\n`;
}

/** `COPY table (columns) FROM '/dev/blob'`: PGlite reads the data from the blob passed with the query. */
export function copyStatement<Row>(table: string, columns: ReadonlyArray<RowColumn<Row>>): string {
  return `COPY ${table} (${columns.map((column) => `"${column.name}"`).join(', ')}) FROM '/dev/blob'`;
}

/**
 * One statement whatever the batch size: each column travels as one array parameter and `unnest`
 * turns them back into rows (no bind-parameter limit, all or nothing). Rows whose key is stored
 * are skipped; the statement answers how many were inserted (`inserted`).
 */
export function unnestInsertStatement<Row>(table: string, columns: ReadonlyArray<RowColumn<Row>>): string {
  return (
    `WITH inserted AS (INSERT INTO ${table} (${columns.map((column) => `"${column.name}"`).join(', ')}) ` +
    `SELECT * FROM unnest(${columns.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ')}) ` +
    `ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int AS inserted FROM inserted`
  );
}

/** The parameters of {@link unnestInsertStatement}: one array per column. */
export function columnArrays<Row>(rows: readonly Row[], columns: ReadonlyArray<RowColumn<Row>>): unknown[][] {
  return columns.map((column) => rows.map((row) => column.value(row)));
}
