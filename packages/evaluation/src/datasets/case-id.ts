import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal rows serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(source)
        .sort()
        .map((key) => [key, sortKeys(source[key])]),
    );
  }
  return value;
}

/** A short stable id for a row: the first 16 hex digits of the SHA-1 of its canonical JSON. */
export function hashRow(row: Record<string, unknown>): string {
  return createHash('sha1').update(canonicalJson(row)).digest('hex').slice(0, 16);
}

/** Turns an id field's value into an id string, or undefined when the value cannot be an id. */
export function idFromValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return canonicalJson(value);
}

/**
 * Hands out unique ids: the first `x` stays `x`, later ones become `x#2`, `x#3`… (skipping any
 * suffix already taken), so results of duplicate rows are never collapsed into one.
 * It remembers every id handed out (memory grows with the number of distinct ids).
 */
export class UniqueIdAssigner {
  private readonly seen = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();

  /** The unique id for `id`, recording it as taken. */
  assign(id: string): string {
    if (!this.seen.has(id)) {
      this.seen.add(id);
      return id;
    }
    let suffix = this.nextSuffix.get(id) ?? 2;
    while (this.seen.has(`${id}#${suffix}`)) suffix++;
    const unique = `${id}#${suffix}`;
    this.nextSuffix.set(id, suffix + 1);
    this.seen.add(unique);
    return unique;
  }
}
