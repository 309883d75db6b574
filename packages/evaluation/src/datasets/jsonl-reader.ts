import { createInterface } from 'node:readline';
import { openByteStream } from './byte-source.js';
import type { RawRecord } from './types.js';

const BYTE_ORDER_MARK = '\uFEFF';

/** Lines of a (possibly gzipped) text file, streamed (CRLF and LF both end a line; a leading BOM is dropped). */
async function* readLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const input = await openByteStream(file);
  input.setEncoding('utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    let line = 0;
    for await (const text of lines) {
      line++;
      yield { line, text: line === 1 && text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Describes a parsed JSON value that is not an object, e.g. `an array`. */
export function describeNonObject(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Reads a JSONL (NDJSON) file line by line, gunzipping it when it is gzip data: one JSON object
 * per non-blank line. A line that is not valid JSON, or is JSON but not an object, is yielded as
 * an invalid record naming the cause.
 */
export async function* readJsonl(file: string): AsyncGenerator<RawRecord> {
  for await (const { line, text } of readLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { kind: 'invalid', line, reason: `invalid JSON: ${(error as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { kind: 'invalid', line, reason: `expected a JSON object per line, got ${describeNonObject(value)}` };
      continue;
    }
    yield { kind: 'row', line, row: value as Record<string, unknown> };
  }
}

/** Counts non-blank lines of a (possibly gzipped) JSONL file without parsing them. */
export async function countJsonlRows(file: string): Promise<number> {
  let count = 0;
  for await (const { text } of readLines(file)) {
    if (text.trim() !== '') count++;
  }
  return count;
}
