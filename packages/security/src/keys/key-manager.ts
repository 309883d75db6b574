import { registerSecret } from '../secret-registry.js';
import { audit } from '../audit-log.js';
import { AwsSource, type AwsOptions } from './aws-source.js';
import { SecretError, isSecretError } from './errors.js';
import { readDotenvSecret, readEnvSecret } from './local-sources.js';
import { describeReference, parseSecretReference, type SecretReference } from './reference.js';
import { VaultSource, type VaultOptions } from './vault-source.js';

/** Default time a secret read from a source is reused before it is read again: 5 minutes. */
export const DEFAULT_SECRETS_TTL_MS = 300_000;

export interface KeyManagerOptions {
  /** How long a secret is reused before it is read again (ms); a rotated secret is seen within it. Default 5 minutes. */
  ttlMs?: number;
  vault?: VaultOptions;
  aws?: AwsOptions;
  /** Folder a `.env` file is relative to (the config's). Default the working directory. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Injectable clock (ms). */
  now?: () => number;
  /**
   * Called when a source cannot be reached after the TTL and the last value read is used for now
   * (a Vault or AWS outage does not stop a running gateway). The message names the reference.
   */
  onStale?: (message: string) => void;
}

interface Cached {
  value: string;
  readAt: number;
}

/**
 * One interface over the places secrets live (environment, `.env` file, HashiCorp Vault KV v2,
 * AWS Secrets Manager). Values are cached in memory for `ttlMs`, so a rotated secret is picked up
 * without a restart; every value handed out is registered for redaction.
 */
export class KeyManager {
  readonly ttlMs: number;
  private readonly options: KeyManagerOptions;
  private readonly now: () => number;
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<string>>();
  private vaultSource: VaultSource | undefined;
  private awsSource: AwsSource | undefined;

  constructor(options: KeyManagerOptions = {}) {
    this.options = options;
    this.ttlMs = options.ttlMs ?? DEFAULT_SECRETS_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The secret's value: from the cache while it is younger than the TTL, else read from its source. */
  async get(reference: SecretReference | unknown): Promise<string> {
    const parsed = parseSecretReference(reference);
    const key = cacheKey(parsed);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.readAt < this.ttlMs) return cached.value;
    try {
      return await this.load(key, parsed);
    } catch (error) {
      if (cached && isSecretError(error) && error.kind === 'unreachable') {
        this.options.onStale?.(`${error.message} Using the value read ${Math.round((this.now() - cached.readAt) / 1000)} s ago until it can be reached.`);
        return cached.value;
      }
      throw error;
    }
  }

  /**
   * Reads the secret from its source now, whatever the cache holds: for when a vendor answered
   * 401 with the cached key (it may have been rotated). Callers refresh once, then let the error stand.
   */
  async refresh(reference: SecretReference | unknown): Promise<string> {
    const parsed = parseSecretReference(reference);
    const key = cacheKey(parsed);
    this.cache.delete(key);
    return this.load(key, parsed);
  }

  /** The value last read for the reference, however old; undefined when it was never read. */
  peek(reference: SecretReference): string | undefined {
    return this.cache.get(cacheKey(reference))?.value;
  }

  /** Whether the cache holds a value for the reference younger than the TTL. */
  isFresh(reference: SecretReference): boolean {
    const cached = this.cache.get(cacheKey(reference));
    return cached !== undefined && this.now() - cached.readAt < this.ttlMs;
  }

  /** Releases the AWS client. */
  close(): void {
    this.awsSource?.close();
    this.awsSource = undefined;
  }

  private load(key: string, reference: SecretReference): Promise<string> {
    let promise = this.pending.get(key);
    if (!promise) {
      promise = this.read(reference)
        .then((value) => {
          registerSecret(value);
          // The audit log names the reference read, never the value.
          void audit.record({ action: 'secret-read', target: describeReference(reference) }).catch(() => undefined);
          this.cache.set(key, { value, readAt: this.now() });
          return value;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }

  private async read(reference: SecretReference): Promise<string> {
    const env = this.options.env ?? process.env;
    switch (reference.from) {
      case 'env':
        return readEnvSecret(reference, env);
      case 'dotenv':
        return readDotenvSecret(reference, this.options.baseDir ?? process.cwd());
      case 'vault':
        this.vaultSource ??= new VaultSource({ ...this.options.vault, ...(this.options.now && !this.options.vault?.now ? { now: this.options.now } : {}) }, env);
        return this.vaultSource.read(reference);
      case 'aws':
        this.awsSource ??= new AwsSource(this.options.aws);
        return this.awsSource.read(reference);
      default:
        throw new SecretError('config', reference, `unknown source in ${describeReference(reference)}`);
    }
  }
}

/** The `security:` block of a config, as far as the key manager reads it. */
export interface SecuritySettings {
  secretsTtlMs?: number | undefined;
  vault?: { address?: string | undefined; namespace?: string | undefined; auth?: 'token' | 'approle' | undefined; appRoleMount?: string | undefined } | undefined;
  aws?: { region?: string | undefined; endpoint?: string | undefined } | undefined;
}

/** Key manager options from a config's `security:` block; Vault credentials come from VAULT_* variables. */
export function keyManagerOptionsFrom(security: SecuritySettings | undefined, context: { baseDir?: string; env?: NodeJS.ProcessEnv; now?: () => number } = {}): KeyManagerOptions {
  const env = context.env ?? process.env;
  const vault = security?.vault;
  const appRole = vault?.appRoleMount && env.VAULT_ROLE_ID && env.VAULT_SECRET_ID ? { roleId: env.VAULT_ROLE_ID, secretId: env.VAULT_SECRET_ID, mount: vault.appRoleMount } : undefined;
  return {
    ...(security?.secretsTtlMs !== undefined ? { ttlMs: security.secretsTtlMs } : {}),
    vault: {
      ...(vault?.address ? { address: vault.address } : {}),
      ...(vault?.namespace ? { namespace: vault.namespace } : {}),
      ...(vault?.auth ? { auth: vault.auth } : {}),
      ...(appRole ? { appRole } : {}),
    },
    aws: { ...(security?.aws?.region ? { region: security.aws.region } : {}), ...(security?.aws?.endpoint ? { endpoint: security.aws.endpoint } : {}) },
    ...(context.baseDir ? { baseDir: context.baseDir } : {}),
    env,
    ...(context.now ? { now: context.now } : {}),
  };
}

function cacheKey(reference: SecretReference): string {
  return JSON.stringify([reference.from, ...Object.entries(reference).filter(([name]) => name !== 'from').sort(([a], [b]) => a.localeCompare(b))]);
}
