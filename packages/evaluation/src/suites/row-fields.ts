import type { SuiteRow } from './types.js';

/** The letters of lettered multiple choice. */
export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function describeRow(row: SuiteRow): string {
  return `the row has the fields ${Object.keys(row).join(', ') || '(none)'}`;
}

/** The first of `names` present in `row` (not undefined or null), or undefined. */
export function firstField(row: SuiteRow, names: readonly string[]): unknown {
  for (const name of names) {
    const value = row[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** A text field: the first of `names` that is present, as a string. Throws, naming the candidates, when none is. */
export function textField(row: SuiteRow, names: readonly string[]): string {
  const value = firstField(row, names);
  if (value === undefined) throw new Error(`expected a field ${names.map((name) => `'${name}'`).join(' or ')}; ${describeRow(row)}.`);
  return typeof value === 'string' ? value : String(value);
}

/** A list field: arrays as they are, a JSON array written as text parsed. Throws when absent or not a list. */
export function listField(row: SuiteRow, names: readonly string[]): unknown[] {
  const value = firstField(row, names);
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // Falls through to the error below.
    }
  }
  throw new Error(`expected a list field ${names.map((name) => `'${name}'`).join(' or ')}; ${describeRow(row)}.`);
}

/** A list of strings from a list field. */
export function stringListField(row: SuiteRow, names: readonly string[]): string[] {
  return listField(row, names).map((item) => (typeof item === 'string' ? item : String(item)));
}

/** A 0-based index from a number, a digit string, or a letter A–Z. Throws when it is none of those or out of range. */
export function answerIndex(value: unknown, count: number, what: string): number {
  let index: number | undefined;
  if (typeof value === 'number' || typeof value === 'bigint') index = Number(value);
  else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) index = Number(trimmed);
    else if (/^[A-Za-z]$/.test(trimmed)) index = LETTERS.indexOf(trimmed.toUpperCase());
  }
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`${what} must be an index 0–${count - 1} or a letter A–${LETTERS[count - 1]}, got ${JSON.stringify(value)}.`);
  }
  return index;
}

/** "A. first\nB. second…" for lettered multiple choice. */
export function letteredChoices(choices: readonly string[]): string {
  return choices.map((choice, index) => `${LETTERS[index]}. ${choice}`).join('\n');
}
