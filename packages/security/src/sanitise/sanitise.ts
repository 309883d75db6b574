/**
 * The one sanitiser: every log line, error message, stored result and request, cache entry,
 * report, export and API error passes through {@link sanitise} (text) or {@link sanitiseValue}
 * (plain objects and arrays of text). Two layers:
 *
 * 1. Known values: every secret in the registry (what the key manager handed out, provider keys
 *    read from the environment or `${VAR}`, database passwords), as written, URL-encoded and
 *    JSON-escaped, in one alternation rebuilt only when the registry changes. The start of a
 *    secret that a shortened quote cut off (`sk-abc…`) goes too.
 * 2. Key shapes ({@link KEY_SHAPES}): strings shaped like credentials even when nobody
 *    registered them, in one more alternation.
 */
import { knownSecrets, registerSecret, secretsVersion } from '../secret-registry.js';
import { ANY_KEY_SHAPE, KEY_SHAPES_PATTERN, keptPrefix, keyShapesPattern } from './key-shapes.js';

export const REDACTED = '[REDACTED]';

/** Shortest start of a secret redacted when a cut quote ends with it (`…key test-key-SEC…`). */
const MIN_CUT_PREFIX = 6;
const CUT_MARKS = ['…', '...'];

interface KnownMatcher {
  version: number;
  /** Every form of every known secret, longest first. */
  forms: string[];
  /** One alternation of {@link forms}; undefined while there is none. */
  pattern: RegExp | undefined;
}
let known: KnownMatcher = { version: -1, forms: [], pattern: undefined };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a secret takes in text: as written, URL-encoded (in a URL), JSON-escaped (in a log line). */
function formsOf(value: string): string[] {
  const forms = [value];
  const encoded = encodeURIComponent(value);
  if (encoded !== value) forms.push(encoded);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) forms.push(escaped);
  return forms;
}

/** The matcher of the registry as it is now (rebuilt after a change only). */
function knownMatcher(): KnownMatcher {
  const version = secretsVersion();
  if (known.version === version) return known;
  const forms = [...new Set([...knownSecrets()].flatMap(formsOf))]
    .filter((form) => !form.includes(REDACTED))
    .sort((a, b) => b.length - a.length);
  known = { version, forms, pattern: forms.length === 0 ? undefined : new RegExp(forms.map(escapeRegExp).join('|'), 'g') };
  return known;
}

/** True once at least one secret is registered. */
export function hasRegisteredSecrets(): boolean {
  return knownMatcher().pattern !== undefined;
}

/** The start of a known secret right before a cut mark (`…`, `...`): what a shortened quote leaves. */
function redactCutSecrets(text: string, forms: readonly string[]): string {
  let result = text;
  for (const mark of CUT_MARKS) {
    let at = result.indexOf(mark);
    while (at >= 0) {
      let longest = 0;
      for (const secret of forms) {
        for (let length = Math.min(secret.length - 1, at); length >= MIN_CUT_PREFIX && length > longest; length--) {
          if (result.startsWith(secret.slice(0, length), at - length)) {
            longest = length;
            break;
          }
        }
      }
      if (longest > 0) {
        result = `${result.slice(0, at - longest)}${REDACTED}${result.slice(at)}`;
        at += REDACTED.length - longest;
      }
      at = result.indexOf(mark, at + mark.length);
    }
  }
  return result;
}

function replaceShape(match: string, ...rest: unknown[]): string {
  const groups = rest.at(-1) as Record<string, string | undefined> | undefined;
  const prefix = keptPrefix(typeof groups === 'object' ? groups : undefined);
  return prefix !== '' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED;
}

/**
 * `text` with every known secret and every key-shaped string replaced by `[REDACTED]` (a kept
 * prefix such as `Bearer ` or `postgres://user:` stays). Any other value is returned as it is.
 */
export function sanitise(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  const { pattern, forms } = knownMatcher();
  let result = text;
  if (pattern !== undefined) {
    result = result.replace(pattern, REDACTED);
    if (result.includes('…') || result.includes('...')) result = redactCutSecrets(result, forms);
  }
  return result.replace(KEY_SHAPES_PATTERN, replaceShape);
}

/**
 * `value` (a string, or plain objects and arrays of them, at any depth) with {@link sanitise}
 * applied to every string. Copies only what changed and returns `value` itself when nothing did,
 * so it is cheap on every stored row. Other objects (dates, buffers, class instances) are kept.
 */
export function sanitiseValue<T>(value: T): T {
  if (typeof value === 'string') return sanitise(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const cleaned = sanitiseValue(item);
      if (cleaned !== item) (copy ??= value.slice())[index] = cleaned;
    }
    return (copy ?? value) as T;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const cleaned = sanitiseValue(item);
    if (cleaned !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = cleaned;
  }
  return (copy ?? value) as T;
}

/**
 * Registers the secret part of every key-shaped string in `value` (a config, a connection URL;
 * walked like {@link sanitiseValue}), as written and URL-decoded: how a database password in
 * `DATABASE_URL`, or a key pasted into a config, becomes a known secret (and so is also caught
 * where it appears without its shape, e.g. in a driver's "password authentication failed for …").
 */
export function registerSecretsIn(value: unknown): void {
  if (typeof value === 'string') {
    for (const match of value.matchAll(keyShapesPattern())) {
      const secret = match[0].slice(keptPrefix(match.groups).length);
      registerSecret(secret);
      try {
        registerSecret(decodeURIComponent(secret));
      } catch {
        // Not valid percent-encoding: the value as written is registered.
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) registerSecretsIn(item);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) registerSecretsIn(item);
  }
}

/** True when a string in `value` (walked like {@link sanitiseValue}) holds a key-shaped string. */
export function containsKeyShapedText(value: unknown): boolean {
  if (typeof value === 'string') {
    return ANY_KEY_SHAPE.test(value);
  }
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsKeyShapedText);
  for (const key in value) {
    if (Object.hasOwn(value, key) && containsKeyShapedText((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
