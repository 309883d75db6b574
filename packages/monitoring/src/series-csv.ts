/** A `timestamp,value` series as read from a CSV file, timestamps kept exactly as written. */
export interface Series {
  timestamps: string[];
  values: Float64Array;
}

export class SeriesInputError extends Error {
  override name = 'SeriesInputError';
}

/** Splits one CSV line, honouring double-quoted fields. */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

const LOCAL = /^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/;

/** A timestamp without a zone is read as UTC, so that daylight-saving changes never reorder rows. */
function parseTime(timestamp: string): number {
  if (LOCAL.test(timestamp)) return Date.parse(`${timestamp.replace(' ', 'T')}${timestamp.length > 10 ? '' : 'T00:00'}Z`);
  return Date.parse(timestamp);
}

/**
 * Parses a CSV with a header naming `timestamp` and `value` columns (other columns are ignored).
 * Timestamps must parse as dates and go forward; values must be numbers. Errors name the file,
 * the line and what to do. `fileOrder` takes rows in file order even when a timestamp repeats or
 * goes back (NAB's corpus has a few such rows, where a clock was set back).
 */
export function parseSeriesCsv(text: string, file: string, options: { fileOrder?: boolean } = {}): Series {
  const lines = text.split(/\r?\n/);
  const header = splitLine(lines[0] ?? '').map((name) => name.trim().toLowerCase());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) {
    const missing = [ti < 0 ? 'timestamp' : '', vi < 0 ? 'value' : ''].filter(Boolean).join(' and ');
    throw new SeriesInputError(`${file}: the header (line 1) has no ${missing} column; the first line must name the columns, e.g. "timestamp,value".`);
  }
  const timestamps: string[] = [];
  const values: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const fields = splitLine(line);
    const timestamp = (fields[ti] ?? '').trim();
    const raw = (fields[vi] ?? '').trim();
    const where = `${file}, line ${n + 1}`;
    const time = parseTime(timestamp);
    if (timestamp === '' || Number.isNaN(time)) {
      throw new SeriesInputError(`${where}: timestamp "${timestamp}" is not a date; write it as e.g. 2024-05-01 12:00:00 or ISO 8601.`);
    }
    const value = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) {
      throw new SeriesInputError(`${where}: value "${raw}" is not a number; every row needs a numeric value (remove or fill the row).`);
    }
    if ((time < previous || time === previous) && !options.fileOrder) {
      throw new SeriesInputError(`${where}: timestamp ${timestamp} is not after the row before (${timestamps.at(-1)}); sort the file by timestamp and remove duplicate rows.`);
    }
    previous = time;
    timestamps.push(timestamp);
    values.push(value);
  }
  if (values.length === 0) throw new SeriesInputError(`${file}: no data rows after the header; add "timestamp,value" rows.`);
  return { timestamps, values: Float64Array.from(values) };
}
