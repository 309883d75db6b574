import type { DatasetConfig } from '@llm-lab/core';

type FilterValue = string | number | boolean | null;

/**
 * The value of `field` in `row`: the key itself when the row has it (so `Best Answer` or
 * `a.b` work as written), else a dotted path into nested objects (`meta.subject`).
 */
export function fieldValue(row: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(row, field)) return row[field];
  if (!field.includes('.')) return undefined;
  let value: unknown = row;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Equality for filters: strict, or equal as text (a CSV `"3"` matches `3`); null matches a missing value. */
function matches(actual: unknown, expected: FilterValue): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === expected) return true;
  return (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') && String(actual) === String(expected);
}

/**
 * A predicate for `dataset.filter`: a row passes when, for every listed field, its value equals
 * the given value or one of the given values. Field names are those of the source rows (before
 * `dataset.map`). Without a filter every row passes.
 */
export function compileFilter(filter: DatasetConfig['filter']): (row: Record<string, unknown>) => boolean {
  if (filter === undefined) return () => true;
  const tests = Object.entries(filter).map(([field, wanted]) => {
    const options: FilterValue[] = Array.isArray(wanted) ? wanted : [wanted];
    return (row: Record<string, unknown>) => {
      const actual = fieldValue(row, field);
      return options.some((option) => matches(actual, option));
    };
  });
  return (row) => tests.every((test) => test(row));
}

/** A row after `dataset.map`, or why it cannot be mapped. */
export type MappedRow = { ok: true; row: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Applies `dataset.map` (`{ newName: 'Source Field' }`): each new name gets the source field's
 * value, a renamed top-level source field is dropped, every other field is kept. A row that
 * lacks a mapped source field cannot be mapped (an invalid row, naming the field).
 */
export function compileMap(map: DatasetConfig['map']): (row: Record<string, unknown>) => MappedRow {
  if (map === undefined) return (row) => ({ ok: true, row });
  const entries = Object.entries(map);
  return (row) => {
    const mapped: Record<string, unknown> = { ...row };
    for (const [, source] of entries) delete mapped[source];
    for (const [target, source] of entries) {
      const value = fieldValue(row, source);
      if (value === undefined) {
        return { ok: false, reason: `the row has no field '${source}' (dataset.map.${target})` };
      }
      mapped[target] = value;
    }
    return { ok: true, row: mapped };
  };
}
