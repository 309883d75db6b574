import { createReadStream } from 'node:fs';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { RawRecord } from './types.js';

interface ParsedRecord {
  record: Record<string, string>;
  info: Info;
}

/** A streaming csv-parse pipeline over `file`; `onSkip` receives each record csv-parse rejected. */
function openParser(file: string, onSkip: (error: CsvError) => void) {
  const input = createReadStream(file);
  const parser = input.pipe(
    parse({
      columns: true,
      bom: true,
      info: true,
      relax_quotes: false,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) onSkip(error);
        return undefined;
      },
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  return { input, parser };
}

/** csv-parse line of an error, when it has one. */
function errorLine(error: CsvError): number {
  const line = (error as CsvError & { lines?: unknown }).lines;
  return typeof line === 'number' ? line : 0;
}

/** "Invalid Record Length: columns length is 3, got 4 on line 5" → a sentence for people. */
function describe(error: CsvError): string {
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return `wrong number of columns: ${error.message}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quoted field is never closed (the rest of the file is part of it): ${error.message}`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `a quote inside a field is not escaped (write "" for a literal quote): ${error.message}`;
    default:
      return `${error.code}: ${error.message}`;
  }
}

/**
 * Reads a CSV file with csv-parse's streaming API: column names from the header row, a BOM is
 * dropped, CRLF or LF line ends, quoted fields may span lines, quotes are strict. Rows that
 * csv-parse rejects (wrong column count, bad quoting) are yielded as invalid records, in order.
 * Line numbers are csv-parse's: the line where the record ends.
 */
export async function* readCsv(file: string): AsyncGenerator<RawRecord> {
  const rejected: CsvError[] = [];
  const { input, parser } = openParser(file, (error) => rejected.push(error));
  const drainBefore = function* (line: number): Generator<RawRecord> {
    while (rejected.length > 0 && errorLine(rejected[0] as CsvError) < line) {
      const error = rejected.shift() as CsvError;
      yield { kind: 'invalid', line: errorLine(error), reason: describe(error) };
    }
  };
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      yield* drainBefore(parsed.info.lines);
      yield { kind: 'row', line: parsed.info.lines, row: parsed.record };
    }
    yield* drainBefore(Number.POSITIVE_INFINITY);
  } finally {
    parser.destroy();
    input.destroy();
  }
}

/** Counts the records csv-parse accepts in a CSV file (streamed). */
export async function countCsvRows(file: string): Promise<number> {
  const { input, parser } = openParser(file, () => undefined);
  let count = 0;
  try {
    for await (const _record of parser) count++;
  } finally {
    parser.destroy();
    input.destroy();
  }
  return count;
}
