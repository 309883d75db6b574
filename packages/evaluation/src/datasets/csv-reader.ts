import type { CsvError } from 'csv-parse';
import { openByteStream } from './byte-source.js';
import { LineEndTracker } from './line-end-tracker.js';
import type { RawRecord } from './types.js';

interface LocatedRecord {
  record: Record<string, string>;
  line: number;
}

/** A CSV error csv-parse rejected a record with, located on its true line. */
interface LocatedError {
  error: CsvError;
  line: number;
}

/**
 * A streaming csv-parse pipeline over `file` (gunzipped when it is gzip data). Each record and
 * each rejected record is tagged with its true end line as csv-parse produces it: a
 * {@link LineEndTracker} between the file and the parser turns csv-parse's byte offsets into line
 * numbers (csv-parse's own `lines` counts a CRLF inside a quoted field twice).
 */
async function openParser(file: string, onSkip: (rejected: LocatedError) => void) {
  const input = await openByteStream(file);
  const tracker = new LineEndTracker();
  const { parse } = await import('csv-parse');
  const parser = parse({
    columns: true,
    bom: true,
    relax_quotes: false,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record: Record<string, string>, context): LocatedRecord => ({
      record,
      line: tracker.lineAt(context.bytes),
    }),
    on_skip: (error) => {
      if (error) onSkip({ error, line: tracker.lineAt(errorBytes(error)) });
      return undefined;
    },
  });
  input.on('error', (error) => parser.destroy(error));
  tracker.on('error', (error) => parser.destroy(error));
  input.pipe(tracker).pipe(parser);
  const close = () => {
    parser.destroy();
    tracker.destroy();
    input.destroy();
  };
  return { parser, close };
}

/** The byte offset csv-parse had reached when it rejected a record. */
function errorBytes(error: CsvError): number {
  const bytes = (error as CsvError & { bytes?: unknown }).bytes;
  return typeof bytes === 'number' ? bytes : 0;
}

/** "Invalid Record Length: columns length is 3, got 4 on line 5" → a sentence for people. */
function describe(error: CsvError): string {
  // csv-parse's messages end with its own (miscounted) "on line N"; the record's line is reported separately.
  const message = error.message.replace(/ (on|at) line \d+$/, '');
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return `wrong number of columns: ${message}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quoted field is never closed (the rest of the file is part of it): ${message}`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `a quote inside a field is not escaped (write "" for a literal quote): ${message}`;
    default:
      return `${error.code}: ${message}`;
  }
}

/**
 * Reads a CSV file (plain or gzipped) with csv-parse's streaming API: column names from the
 * header row, a BOM is dropped, CRLF or LF line ends, quoted fields may span lines, quotes are
 * strict. Rows that csv-parse rejects (wrong column count, bad quoting) are yielded as invalid
 * records, in file order. Line numbers are physical lines of the file: the line where the record
 * ends (a CRLF inside a quoted field counts once).
 */
export async function* readCsv(file: string): AsyncGenerator<RawRecord> {
  const rejected: LocatedError[] = [];
  const { parser, close } = await openParser(file, (error) => rejected.push(error));
  const drainBefore = function* (line: number): Generator<RawRecord> {
    while (rejected.length > 0 && (rejected[0] as LocatedError).line < line) {
      const { error, line: errorLine } = rejected.shift() as LocatedError;
      yield { kind: 'invalid', line: errorLine, reason: describe(error) };
    }
  };
  try {
    for await (const parsed of parser as AsyncIterable<LocatedRecord>) {
      yield* drainBefore(parsed.line);
      yield { kind: 'row', line: parsed.line, row: parsed.record };
    }
    yield* drainBefore(Number.POSITIVE_INFINITY);
  } finally {
    close();
  }
}

/** Counts the records csv-parse accepts in a CSV file (streamed). */
export async function countCsvRows(file: string): Promise<number> {
  const { parser, close } = await openParser(file, () => undefined);
  let count = 0;
  try {
    for await (const _record of parser) count++;
  } finally {
    close();
  }
  return count;
}
