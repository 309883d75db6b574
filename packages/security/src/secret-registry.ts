/**
 * Every secret value LLM Lab has handed out in this process (by the key manager, or read from
 * the environment for a provider), so the sanitiser can replace each one wherever it appears.
 *
 * One registry per process, kept on `globalThis` so two copies of this module (two installed
 * versions) still share it. Values shorter than {@link MIN_SECRET_LENGTH} are not registered:
 * replacing "abc" everywhere would wreck text and protect nothing.
 */
export const MIN_SECRET_LENGTH = 8;

type Listener = (value: string) => void;
interface Registry {
  values: Set<string>;
  listeners: Set<Listener>;
  /** Bumped on every change, so a matcher built from `values` knows when it is stale. */
  version?: number;
}

const KEY = Symbol.for('llm-lab.security.secret-registry');

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [KEY]?: Registry };
  holder[KEY] ??= { values: new Set(), listeners: new Set() };
  return holder[KEY];
}

/** Remembers a secret value so it is redacted from every log line, stored text and export. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  const { values, listeners } = registry();
  if (values.has(trimmed)) return;
  values.add(trimmed);
  registry().version = (registry().version ?? 0) + 1;
  for (const listener of listeners) listener(trimmed);
}

/** The secret values registered so far. */
export function knownSecrets(): ReadonlySet<string> {
  return registry().values;
}

/** Calls `listener` for each secret registered from now on; returns a function that unsubscribes. */
export function onSecretRegistered(listener: Listener): () => void {
  const { listeners } = registry();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Forgets every registered secret (tests). */
export function clearSecretsForTests(): void {
  registry().values.clear();
  registry().version = (registry().version ?? 0) + 1;
}

/** A number that changes whenever the set of registered secrets does. */
export function secretsVersion(): number {
  return registry().version ?? 0;
}
