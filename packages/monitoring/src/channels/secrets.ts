import type { SecretRef } from '../config.js';

/** Resolves a key-manager reference (`{ from: vault | aws | dotenv, ... }`) to its value. */
export type SecretResolver = (ref: Exclude<SecretRef, string>) => Promise<string>;

export interface ResolveSecretOptions {
  env?: Record<string, string | undefined>;
  /**
   * The key manager, for references other than `env`. This is the one place where a channel's
   * secret references are resolved: wiring `@llm-lab/security`'s key manager in means passing
   * its resolve function here (see `startMonitor`'s `resolveSecret` option).
   */
  resolver?: SecretResolver;
  /** What the secret is for, for the error message (`channel ops-slack: url`). */
  what?: string;
}

/**
 * A channel secret's value from its reference: `${VAR}` or `{ from: env, name }` read the
 * environment; other references go to the key manager. The value is kept only in the channel
 * object that uses it, never written anywhere.
 */
export async function resolveSecret(ref: SecretRef, options: ResolveSecretOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const what = options.what ?? 'a secret';
  const name = typeof ref === 'string' ? ref.trim().slice(2, -1) : ref.from === 'env' ? ref.name : undefined;
  if (name !== undefined) {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${what}: the environment variable ${name} is not set; export it before starting the monitor.`);
    return value;
  }
  const reference = ref as Exclude<SecretRef, string>;
  if (!options.resolver) {
    throw new Error(`${what}: { from: ${reference.from} } needs the key manager, which this monitor was started without; use \${VAR} (an environment variable) instead.`);
  }
  return options.resolver(reference);
}
