import { SecretError, networkCode } from './errors.js';
import type { SecretReference } from './reference.js';

type VaultReference = Extract<SecretReference, { from: 'vault' }>;

/** How to reach and log in to HashiCorp Vault. Unset fields default from VAULT_* environment variables. */
export interface VaultOptions {
  /** e.g. `https://vault.example.com:8200`; default VAULT_ADDR. */
  address?: string;
  /** Vault Enterprise / HCP namespace sent as `X-Vault-Namespace`; default VAULT_NAMESPACE. */
  namespace?: string;
  /** A token (token auth); default VAULT_TOKEN. */
  token?: string;
  /** AppRole auth (used when given, or when VAULT_ROLE_ID and VAULT_SECRET_ID are set and no token is). */
  appRole?: { roleId: string; secretId: string; mount?: string };
  /** Which credentials to use when both are set: `token` or `approle`. Default a token when there is one. */
  auth?: 'token' | 'approle';
  /** A token lease is renewed once this share of it has passed (default 2/3). */
  renewAt?: number;
  /** Injectable clock (ms). */
  now?: () => number;
  fetch?: typeof fetch;
}

interface Lease {
  token: string;
  /** When the token expires (ms), undefined when it never does. */
  expiresAt: number | undefined;
  issuedAt: number;
  renewable: boolean;
}

interface VaultAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/**
 * A client of Vault's HTTP API (KV v2 reads, token and AppRole auth, lease renewal), written on
 * `fetch` against the documented endpoints: `GET /v1/<mount>/data/<path>`,
 * `POST /v1/auth/approle/login`, `GET /v1/auth/token/lookup-self`, `POST /v1/auth/token/renew-self`.
 */
export class VaultSource {
  readonly address: string;
  private readonly options: VaultOptions;
  private readonly now: () => number;
  private readonly fetcher: typeof fetch;
  private lease: Lease | undefined;
  private leasePending: Promise<Lease> | undefined;

  constructor(options: VaultOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const address = options.address ?? env.VAULT_ADDR;
    const token = options.auth === 'approle' ? undefined : (options.token ?? (env.VAULT_TOKEN || undefined));
    const appRole =
      options.auth === 'token'
        ? undefined
        : (options.appRole ?? (!token && env.VAULT_ROLE_ID && env.VAULT_SECRET_ID ? { roleId: env.VAULT_ROLE_ID, secretId: env.VAULT_SECRET_ID } : undefined));
    const namespace = options.namespace ?? (env.VAULT_NAMESPACE || undefined);
    this.address = (address ?? '').replace(/\/+$/, '');
    this.options = { ...options, ...(token ? { token } : {}), ...(appRole ? { appRole } : {}), ...(namespace ? { namespace } : {}) };
    this.now = options.now ?? Date.now;
    this.fetcher = options.fetch ?? fetch;
  }

  /** Reads one field of a KV v2 secret. */
  async read(reference: VaultReference): Promise<string> {
    if (!this.address) {
      throw new SecretError('config', reference, 'no Vault address: set VAULT_ADDR or security.vault.address in the config.');
    }
    if (!this.options.token && !this.options.appRole) {
      const wanted = this.options.auth === 'approle' ? 'set VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole)' : this.options.auth === 'token' ? 'set VAULT_TOKEN' : 'set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole)';
      throw new SecretError('config', reference, `no Vault credentials for ${this.address}: ${wanted}.`);
    }
    let lease = await this.currentLease(reference);
    let answer = await this.request(reference, 'GET', `/v1/${reference.path.replace(/^\/+/, '')}`, lease.token);
    if (answer.status === 403 && this.options.appRole) {
      // The token may have expired or been revoked: log in once more.
      this.lease = undefined;
      lease = await this.currentLease(reference);
      answer = await this.request(reference, 'GET', `/v1/${reference.path.replace(/^\/+/, '')}`, lease.token);
    }
    if (answer.status === 403) {
      throw new SecretError('auth', reference, `Vault at ${this.address} refused the token (permission denied${this.errorsOf(answer)}). Check VAULT_TOKEN (or the AppRole) and that its policy may read ${reference.path}${this.options.namespace ? ` in namespace ${this.options.namespace}` : ''}.`);
    }
    if (answer.status === 404) {
      throw new SecretError('not-found', reference, `Vault at ${this.address} has no secret at ${reference.path}${this.options.namespace ? ` in namespace ${this.options.namespace}` : ''}. Check the path: a KV v2 secret is read as <mount>/data/<path>, e.g. secret/data/llm/openai.`);
    }
    if (answer.status !== 200) {
      throw new SecretError('invalid-response', reference, `Vault at ${this.address} answered ${answer.status}${this.errorsOf(answer)}.`);
    }
    const data = (answer.body?.data as { data?: unknown } | undefined)?.data;
    if (data === null || typeof data !== 'object') {
      throw new SecretError('invalid-response', reference, `Vault at ${this.address} answered without data.data at ${reference.path}: is it a KV v2 mount (read as <mount>/data/<path>)?`);
    }
    const value = (data as Record<string, unknown>)[reference.field];
    if (typeof value !== 'string' || value === '') {
      const fields = Object.keys(data).sort();
      throw new SecretError('not-found', reference, `the secret at ${reference.path} has no field '${reference.field}' (its fields: ${fields.join(', ') || 'none'}). Name one of them in 'field'.`);
    }
    return value;
  }

  /** The token to use, logging in or renewing it first when its lease is near its end. */
  private async currentLease(reference: VaultReference): Promise<Lease> {
    const lease = this.lease;
    if (lease && !this.renewalDue(lease)) return lease;
    this.leasePending ??= this.obtainLease(reference, lease).finally(() => (this.leasePending = undefined));
    this.lease = await this.leasePending;
    return this.lease;
  }

  private renewalDue(lease: Lease): boolean {
    if (lease.expiresAt === undefined) return false;
    const share = this.options.renewAt ?? 2 / 3;
    return this.now() >= lease.issuedAt + (lease.expiresAt - lease.issuedAt) * share;
  }

  private async obtainLease(reference: VaultReference, previous: Lease | undefined): Promise<Lease> {
    if (previous?.renewable && (previous.expiresAt === undefined || this.now() < previous.expiresAt)) {
      const renewed = await this.request(reference, 'POST', '/v1/auth/token/renew-self', previous.token, {});
      if (renewed.status === 200) return this.leaseFrom(renewed, previous.token);
      // A lease past its max TTL cannot be renewed: log in again when AppRole can, else go on to the error.
    }
    if (this.options.appRole) return this.login(reference, this.options.appRole);
    const token = this.options.token as string;
    if (previous) {
      // A given token whose lease ran out cannot be replaced here; Vault will say permission denied.
      return { ...previous, expiresAt: undefined };
    }
    const looked = await this.request(reference, 'GET', '/v1/auth/token/lookup-self', token);
    if (looked.status !== 200) {
      // No lookup permission (or a bad token): read anyway; a bad token is reported by the read.
      return { token, expiresAt: undefined, issuedAt: this.now(), renewable: false };
    }
    const data = (looked.body?.data ?? {}) as { ttl?: number; renewable?: boolean };
    const ttl = typeof data.ttl === 'number' ? data.ttl : 0;
    return { token, expiresAt: ttl > 0 ? this.now() + ttl * 1000 : undefined, issuedAt: this.now(), renewable: data.renewable === true };
  }

  private async login(reference: VaultReference, appRole: NonNullable<VaultOptions['appRole']>): Promise<Lease> {
    const mount = appRole.mount ?? 'approle';
    const answer = await this.request(reference, 'POST', `/v1/auth/${mount}/login`, undefined, { role_id: appRole.roleId, secret_id: appRole.secretId });
    if (answer.status !== 200) {
      throw new SecretError('auth', reference, `AppRole login at ${this.address}/v1/auth/${mount}/login failed (${answer.status}${this.errorsOf(answer)}). Check VAULT_ROLE_ID and VAULT_SECRET_ID (a secret id may have expired or run out of uses).`);
    }
    const token = (answer.body?.auth as { client_token?: unknown } | undefined)?.client_token;
    if (typeof token !== 'string') throw new SecretError('invalid-response', reference, `AppRole login at ${this.address} answered without auth.client_token.`);
    return this.leaseFrom(answer, token);
  }

  private leaseFrom(answer: VaultAnswer, fallbackToken: string): Lease {
    const auth = (answer.body?.auth ?? {}) as { client_token?: string; lease_duration?: number; renewable?: boolean };
    const seconds = typeof auth.lease_duration === 'number' ? auth.lease_duration : 0;
    const issuedAt = this.now();
    return { token: auth.client_token ?? fallbackToken, issuedAt, expiresAt: seconds > 0 ? issuedAt + seconds * 1000 : undefined, renewable: auth.renewable === true };
  }

  private async request(reference: VaultReference, method: string, path: string, token: string | undefined, body?: unknown): Promise<VaultAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['x-vault-token'] = token;
    if (this.options.namespace) headers['x-vault-namespace'] = this.options.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetcher(`${this.address}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      const code = networkCode(error);
      throw new SecretError('unreachable', reference, `cannot reach Vault at ${this.address}${code ? ` (${code})` : ''}. Check VAULT_ADDR (or security.vault.address) and that Vault is running.`, { cause: error });
    }
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed };
  }

  /** Vault's `errors` list as `: a; b`, empty when there is none. */
  private errorsOf(answer: VaultAnswer): string {
    const errors = answer.body?.errors;
    return Array.isArray(errors) && errors.length > 0 ? `: ${errors.map(String).join('; ')}` : '';
  }
}
