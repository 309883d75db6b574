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
 * A set of strings that stores only a 64-bit hash of each (two 32-bit lanes in one typed array,
 * open addressing), about 16 bytes per member instead of a JavaScript string's 50-100.
 * `has` can give a false positive when two different strings share a 64-bit hash: with a million
 * members the chance of any such collision is about 3 in 100 million.
 */
export class CompactStringSet {
  private slots = new Uint32Array(2 * 1024);
  private members = 0;

  /** The number of strings added. */
  get size(): number {
    return this.members;
  }

  /** True when `value` was added (or, very rarely, a string with the same 64-bit hash was). */
  has(value: string): boolean {
    const [high, low] = hash64(value);
    return this.findSlot(this.slots, high, low).found;
  }

  /** Adds `value`; a no-op when it is already there. */
  add(value: string): void {
    const [high, low] = hash64(value);
    const { found, index } = this.findSlot(this.slots, high, low);
    if (found) return;
    this.slots[index] = high;
    this.slots[index + 1] = low;
    this.members++;
    if (this.members * 2 > this.slots.length / 2) this.grow();
  }

  private findSlot(slots: Uint32Array, high: number, low: number): { found: boolean; index: number } {
    const capacity = slots.length / 2;
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & (capacity - 1);
    for (;;) {
      const index = slot * 2;
      const slotHigh = slots[index] as number;
      const slotLow = slots[index + 1] as number;
      if (slotHigh === 0 && slotLow === 0) return { found: false, index };
      if (slotHigh === high && slotLow === low) return { found: true, index };
      slot = (slot + 1) & (capacity - 1);
    }
  }

  private grow(): void {
    const old = this.slots;
    const next = new Uint32Array(old.length * 2);
    for (let index = 0; index < old.length; index += 2) {
      const high = old[index] as number;
      const low = old[index + 1] as number;
      if (high === 0 && low === 0) continue;
      const target = this.findSlot(next, high, low).index;
      next[target] = high;
      next[target + 1] = low;
    }
    this.slots = next;
  }
}

/** A 64-bit hash of a string as two 32-bit lanes (FNV-1a and a Murmur-style mix), never both 0. */
function hash64(value: string): [number, number] {
  let first = 0x811c9dc5;
  let second = 0x9747b28c ^ value.length;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995);
    second ^= second >>> 15;
  }
  first ^= first >>> 16;
  first = Math.imul(first, 0x85ebca6b);
  first ^= first >>> 13;
  second = Math.imul(second ^ (second >>> 16), 0xc2b2ae35);
  second ^= second >>> 16;
  const high = first >>> 0;
  const low = second >>> 0;
  return high === 0 && low === 0 ? [0, 1] : [high, low];
}

/**
 * Hands out unique ids: the first `x` stays `x`, later ones become `x#2`, `x#3`… (skipping any
 * suffix already taken), so results of duplicate rows are never collapsed into one.
 * It remembers a 64-bit hash of every id handed out ({@link CompactStringSet}: about 16 bytes per
 * id, so a million-row dataset costs about 16 MB). The trade-off: if two different ids ever share
 * a hash (about 3 in 100 million for a million ids), the later one is suffixed as if it were a
 * duplicate; ids stay unique either way.
 */
export class UniqueIdAssigner {
  private readonly seen = new CompactStringSet();
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
