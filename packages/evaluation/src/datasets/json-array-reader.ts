import { openByteStream } from './byte-source.js';
import { describeNonObject } from './jsonl-reader.js';
import type { RawRecord } from './types.js';

enum Phase {
  /** Before the opening `[`. */
  BeforeArray,
  /** After `[`: an element or `]`. */
  FirstValue,
  /** After `,`: an element. */
  NextValue,
  /** Inside an element. */
  InElement,
  /** After an element: `,` or `]`. */
  AfterElement,
  /** After the closing `]`: only whitespace. */
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LINE_FEED = 0x0a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** One top-level element of the array: its source text and the line it starts on. */
export interface ArrayElement {
  line: number;
  text: string;
}

/** The file is not a JSON array (or is cut short): nothing after this point can be read. */
export class JsonArrayStructureError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'JsonArrayStructureError';
  }
}

/**
 * An incremental scanner for a top-level JSON array: feed it text chunks, get back the source
 * text of each complete element. It tracks only strings, escapes and bracket depth, so it holds
 * one element at a time, never the whole array; each element is then parsed with JSON.parse.
 */
export class JsonArrayScanner {
  private phase = Phase.BeforeArray;
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private elementLine = 0;
  private firstChunk = true;

  /** Scans `chunk`, yielding each element that ends in it. Throws a JsonArrayStructureError on bad structure. */
  *push(input: string): Generator<ArrayElement> {
    let chunk = input;
    if (this.firstChunk && chunk.length > 0) {
      this.firstChunk = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let elementStart = this.phase === Phase.InElement ? 0 : -1;
    for (let index = 0; index < chunk.length; index++) {
      const code = chunk.charCodeAt(index);
      if (code === LINE_FEED) this.line++;
      switch (this.phase) {
        case Phase.InElement:
          break;
        case Phase.BeforeArray:
          if (isWhitespace(code)) continue;
          if (code !== OPEN_BRACKET) {
            const hint = code === OPEN_BRACE ? ' (a file of one object per line is JSONL: use .jsonl or dataset.format: jsonl)' : '';
            throw new JsonArrayStructureError(this.line, `expected a JSON array '[' at the start, found '${chunk[index]}'${hint}`);
          }
          this.phase = Phase.FirstValue;
          continue;
        case Phase.FirstValue:
        case Phase.NextValue:
          if (isWhitespace(code)) continue;
          if (code === CLOSE_BRACKET) {
            if (this.phase === Phase.NextValue) throw new JsonArrayStructureError(this.line, "a ',' is followed by ']' (trailing comma)");
            this.phase = Phase.Done;
            continue;
          }
          this.phase = Phase.InElement;
          this.elementLine = this.line;
          elementStart = index;
          break;
        case Phase.AfterElement:
          if (isWhitespace(code)) continue;
          if (code === COMMA) this.phase = Phase.NextValue;
          else if (code === CLOSE_BRACKET) this.phase = Phase.Done;
          else throw new JsonArrayStructureError(this.line, `expected ',' or ']' after an array element, found '${chunk[index]}'`);
          continue;
        case Phase.Done:
          if (isWhitespace(code)) continue;
          throw new JsonArrayStructureError(this.line, `unexpected '${chunk[index]}' after the array's closing ']'`);
      }
      // Inside an element.
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === BACKSLASH) this.escaped = true;
        else if (code === QUOTE) {
          this.inString = false;
          if (this.depth === 0) yield this.complete(chunk, elementStart, index + 1, Phase.AfterElement);
        }
        continue;
      }
      if (code === QUOTE) this.inString = true;
      else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.depth++;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        if (this.depth === 0) {
          if (code === CLOSE_BRACE) throw new JsonArrayStructureError(this.line, "unexpected '}' in the array");
          // A bare element (number, true...) ended by the array's closing bracket.
          yield this.complete(chunk, elementStart, index, Phase.Done);
        } else {
          this.depth--;
          if (this.depth === 0) yield this.complete(chunk, elementStart, index + 1, Phase.AfterElement);
        }
      } else if (this.depth === 0 && (code === COMMA || isWhitespace(code))) {
        yield this.complete(chunk, elementStart, index, code === COMMA ? Phase.NextValue : Phase.AfterElement);
      }
    }
    if (this.phase === Phase.InElement) this.parts.push(chunk.slice(elementStart));
  }

  private complete(chunk: string, start: number, end: number, next: Phase): ArrayElement {
    this.parts.push(chunk.slice(start, end));
    const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    this.parts = [];
    this.phase = next;
    return { line: this.elementLine, text };
  }

  /** Call at the end of input: throws when the array was never opened or never closed. */
  finish(): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.BeforeArray) throw new JsonArrayStructureError(this.line, 'the file is empty: expected a JSON array');
    if (this.phase === Phase.InElement) {
      throw new JsonArrayStructureError(
        this.elementLine,
        'the array element starting here never ends (a missing closing brace, bracket or quote?)',
      );
    }
    throw new JsonArrayStructureError(this.line, "the JSON array is never closed: the file ends before its ']'");
  }
}

/** The array's elements, streamed from a (possibly gzipped) file. */
async function* readElements(file: string): AsyncGenerator<ArrayElement> {
  const input = await openByteStream(file);
  input.setEncoding('utf8');
  const scanner = new JsonArrayScanner();
  try {
    for await (const chunk of input as AsyncIterable<string>) yield* scanner.push(chunk);
    scanner.finish();
  } finally {
    input.destroy();
  }
}

/**
 * Reads a file holding one JSON array of objects (`.json`, optionally gzipped), element by
 * element, without holding the array in memory. An element that is not valid JSON or not an
 * object is an invalid record (its line is where the element starts); a file that is not an
 * array, or is cut short, throws a JsonArrayStructureError naming the line.
 */
export async function* readJsonArray(file: string): AsyncGenerator<RawRecord> {
  for await (const { line, text } of readElements(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { kind: 'invalid', line, reason: `invalid JSON in array element: ${(error as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { kind: 'invalid', line, reason: `expected each array element to be a JSON object, got ${describeNonObject(value)}` };
      continue;
    }
    yield { kind: 'row', line, row: value as Record<string, unknown> };
  }
}

/** Counts the elements of a JSON-array file (streamed, without parsing them). */
export async function countJsonArrayRows(file: string): Promise<number> {
  let count = 0;
  for await (const _element of readElements(file)) count++;
  return count;
}
