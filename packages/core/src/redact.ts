/**
 * Secret redaction shared by the logger, every error message and everything LLM Lab stores. Two
 * layers: exact values that were registered as secrets (API keys read from config or the
 * environment, database passwords, key-shaped values written in a config), and strings shaped
 * like keys or like a password in a URL even when nobody registered them.
 */

/**
 * Registered secrets live on `globalThis` under a `Symbol.for` key, so that two installed copies
 * of this package (a plugin's and the lab's) redact the same values.
 */
interface SecretState {
  known: Set<string>;
  /** One alternation of every known secret, longest first; undefined while there is none. */
  pattern: RegExp | undefined;
}
const STATE = Symbol.for('llm-lab.secrets');
const state: SecretState = ((globalThis as Record<symbol, unknown>)[STATE] as SecretState | undefined) ?? { known: new Set(), pattern: undefined };
(globalThis as Record<symbol, unknown>)[STATE] = state;

/**
 * Key-shaped strings: OpenAI, Anthropic, Google, AWS, Slack, Vault tokens, JWTs, bearer tokens,
 * and the password of a URL (`scheme://user:password@host`, `?password=…`). A first capture group
 * is a prefix that is kept (`Bearer `, `postgres://user:`).
 */
const KEY_SHAPES: RegExp[] = [
  /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[0-9A-Za-z-]{10,}/g,
  /\bhvs\.[A-Za-z0-9_-]{20,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /(\b[Bb]earer\s+)[A-Za-z0-9._~+/-]{12,}=*/g,
  // Up to the last `@` of the authority, as URL parsers read `user:p@ss@host`. Found from its
  // `://` (not from the scheme): a scan from every word's start costs more than the rest together.
  /(:\/\/[^\s:/?#@"'<>\\]*:)[^\s/?#"'<>\\]+(?=@)/g,
  /([?&]password=)[^\s&#"'<>\\]+/g,
];
/** Any of {@link KEY_SHAPES}, for a yes/no test. */
const ANY_KEY_SHAPE = new RegExp(KEY_SHAPES.map((shape) => shape.source).join('|'));

export const REDACTED = '[REDACTED]';

/** Shortest value registered: shorter ones would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;
/** Shortest start of a secret redacted when a cut quote ends with it (`…key test-key-SEC…`). */
const MIN_CUT_PREFIX = 6;

function addSecret(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH || value.includes(REDACTED) || state.known.has(value)) return false;
  state.known.add(value);
  return true;
}

/**
 * Remembers a secret value so it is replaced wherever it would be logged, shown or stored. Its
 * URL-encoded form is remembered too (a key or password inside a URL). Values shorter than 6
 * characters are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  let added = addSecret(value);
  const encoded = encodeURIComponent(value);
  if (encoded !== value) added = addSecret(encoded) || added;
  if (!added) return;
  const escaped = [...state.known]
    .sort((a, b) => b.length - a.length)
    .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  state.pattern = new RegExp(escaped.join('|'), 'g');
}

/**
 * Registers the secret parts of every string in `value` (a config, or a connection URL): each
 * key-shaped string and each password in a URL, as written and URL-decoded. How a database
 * password in `storage.url` or `DATABASE_URL`, or a key pasted into a config, becomes a secret.
 */
export function registerSecretsIn(value: unknown): void {
  if (typeof value === 'string') {
    for (const shape of KEY_SHAPES) {
      for (const match of value.matchAll(shape)) {
        const secret = match[0].slice(match[1]?.length ?? 0);
        registerSecret(secret);
        try {
          registerSecret(decodeURIComponent(secret));
        } catch {
          // Not valid percent-encoding: the value as written is registered.
        }
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) registerSecretsIn(item);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) registerSecretsIn(item);
  }
}

/** True once at least one secret is registered. */
export function hasRegisteredSecrets(): boolean {
  return state.pattern !== undefined;
}

const CUT_MARKS = ['…', '...'];

/**
 * The start of a secret right before a cut mark (`…`, `...`) is what a shortened quote of the
 * secret leaves behind: it is redacted too.
 */
function redactCutSecrets(text: string): string {
  let result = text;
  for (const mark of CUT_MARKS) {
    let at = result.indexOf(mark);
    while (at >= 0) {
      let longest = 0;
      for (const secret of state.known) {
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

/** `text` with every registered secret (and a cut-off start of one) replaced. */
function redactKnownText(text: string, pattern: RegExp): string {
  const result = text.replace(pattern, REDACTED);
  return result.includes('…') || result.includes('...') ? redactCutSecrets(result) : result;
}

/** Replaces registered secrets and key-shaped strings in `text` with `[REDACTED]`. For logs and error messages. */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let result = state.pattern ? redactKnownText(text, state.pattern) : text;
  for (const shape of KEY_SHAPES) {
    result = result.replace(shape, (match, prefix: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return result;
}

function redactKnownIn(value: unknown, pattern: RegExp): unknown {
  if (typeof value === 'string') return redactKnownText(value, pattern);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const redacted = redactKnownIn(item, pattern);
      if (redacted !== item) (copy ??= value.slice())[index] = redacted;
    }
    return copy ?? value;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const redacted = redactKnownIn(item, pattern);
    if (redacted !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = redacted;
  }
  return copy ?? value;
}

/**
 * `value` (a string, or plain objects and arrays of them) with every registered secret replaced
 * by `[REDACTED]`, including the start of one cut off by `…`. Key-shaped strings nobody registered
 * are kept: in a dataset, a prompt or an answer they are the user's data. Returns `value` itself
 * when nothing is registered or nothing matched (copies only what changed), so it is cheap on
 * every stored result and cache entry.
 */
export function redactKnownSecrets<T>(value: T): T {
  const { pattern } = state;
  return pattern === undefined ? value : (redactKnownIn(value, pattern) as T);
}

/**
 * True when a string in `value` (walked like {@link redactKnownSecrets}) holds a key-shaped
 * string or a URL password that is not a registered secret.
 */
export function containsKeyShapedText(value: unknown): boolean {
  if (typeof value === 'string') {
    if (!ANY_KEY_SHAPE.test(value)) return false;
    return state.pattern === undefined || ANY_KEY_SHAPE.test(value.replace(state.pattern, REDACTED));
  }
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (containsKeyShapedText(item)) return true;
    return false;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && containsKeyShapedText((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
