import { randomBytes } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import { closeServer, listen, sendJson, type ReceivedRequest } from './http-server.js';

/** Options of {@link startFakeVault}. */
export interface FakeVaultOptions {
  /** A root token that never expires (default `root-token-for-tests`). */
  rootToken?: string;
  /** Clock (ms) for token leases, so a test can let a lease run out without waiting. */
  now?: () => number;
  /** Lease of AppRole tokens in seconds (default 3600). */
  appRoleTtlSeconds?: number;
  /** The longest a token may live in total, renewals included, in seconds (default 86400). */
  maxTtlSeconds?: number;
}

interface TokenState {
  expiresAt: number | undefined;
  issuedAt: number;
  ttlSeconds: number;
  renewable: boolean;
  namespace: string;
}

interface SecretVersion {
  data: Record<string, string>;
  createdTime: string;
}

/**
 * A local HashiCorp Vault speaking the documented HTTP API, for tests: KV v2 reads and writes
 * (`GET|POST /v1/<mount>/data/<path>`, answers `{ data: { data, metadata } }`), token auth
 * (`X-Vault-Token`), AppRole login (`POST /v1/auth/approle/login`), `lookup-self` and
 * `renew-self`, namespaces (`X-Vault-Namespace`: each namespace has its own secrets and tokens).
 * Errors are Vault's: 403 `{"errors":["permission denied"]}`, 404 `{"errors":[]}`, 400 for a bad
 * AppRole login. Every request is kept in `requests`.
 */
export class FakeVault {
  readonly requests: ReceivedRequest[] = [];
  readonly rootToken: string;
  url = '';
  private server: Server | undefined;
  private readonly now: () => number;
  private readonly secrets = new Map<string, SecretVersion[]>();
  private readonly tokens = new Map<string, TokenState>();
  private readonly appRoles = new Map<string, { secretId: string; namespace: string }>();
  private readonly options: FakeVaultOptions;

  constructor(options: FakeVaultOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.rootToken = options.rootToken ?? 'root-token-for-tests';
    this.tokens.set(`:${this.rootToken}`, { expiresAt: undefined, issuedAt: 0, ttlSeconds: 0, renewable: false, namespace: '' });
  }

  async start(): Promise<this> {
    const { url, server } = await listen((request, response) => this.handle(request, response), this.requests);
    this.url = url;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  /** Writes (or rotates: a new version of) a KV v2 secret, e.g. `setSecret('secret/data/llm/openai', { key: 'sk-…' })`. */
  setSecret(path: string, data: Record<string, string>, options: { namespace?: string } = {}): void {
    const key = `${options.namespace ?? ''}:${path.replace(/^\/+/, '')}`;
    const versions = this.secrets.get(key) ?? [];
    versions.push({ data: { ...data }, createdTime: new Date(this.now()).toISOString() });
    this.secrets.set(key, versions);
  }

  /** Adds a token (token auth); `ttlSeconds` 0 never expires. */
  addToken(token: string, options: { ttlSeconds?: number; renewable?: boolean; namespace?: string } = {}): void {
    const ttl = options.ttlSeconds ?? 0;
    this.tokens.set(`${options.namespace ?? ''}:${token}`, {
      issuedAt: this.now(),
      ttlSeconds: ttl,
      expiresAt: ttl > 0 ? this.now() + ttl * 1000 : undefined,
      renewable: options.renewable ?? ttl > 0,
      namespace: options.namespace ?? '',
    });
  }

  /** Revokes a token: reads with it are refused from now on (403). */
  revokeToken(token: string, options: { namespace?: string } = {}): void {
    this.tokens.delete(`${options.namespace ?? ''}:${token}`);
  }

  /** Adds an AppRole role id and its secret id. */
  addAppRole(roleId: string, secretId: string, options: { namespace?: string } = {}): void {
    this.appRoles.set(`${options.namespace ?? ''}:${roleId}`, { secretId, namespace: options.namespace ?? '' });
  }

  private handle(request: ReceivedRequest, response: ServerResponse): void {
    const url = new URL(request.path, 'http://vault');
    const namespace = String(request.headers['x-vault-namespace'] ?? '').replace(/^\/+|\/+$/g, '');
    const path = url.pathname.replace(/^\/v1\//, '');
    if (url.pathname === '/v1/sys/health') return sendJson(response, 200, { initialized: true, sealed: false, standby: false });
    if (request.method === 'POST' && /^auth\/[^/]+\/login$/.test(path)) return this.login(request, namespace, response);
    const token = String(request.headers['x-vault-token'] ?? '');
    const state = this.tokens.get(`${namespace}:${token}`);
    if (!token || !state || (state.expiresAt !== undefined && this.now() >= state.expiresAt)) {
      return sendJson(response, 403, { errors: ['permission denied'] });
    }
    if (path === 'auth/token/lookup-self' && request.method === 'GET') {
      const ttl = state.expiresAt === undefined ? 0 : Math.max(0, Math.floor((state.expiresAt - this.now()) / 1000));
      return sendJson(response, 200, { data: { ttl, renewable: state.renewable, creation_ttl: state.ttlSeconds, policies: ['default'] } });
    }
    if (path === 'auth/token/renew-self' && request.method === 'POST') return this.renew(token, state, response);
    const kv = /^([^/]+)\/data\/(.+)$/.exec(path);
    if (!kv) return sendJson(response, 404, { errors: [`no handler for route "${path}". route entry not found.`] });
    const key = `${namespace}:${path}`;
    if (request.method === 'GET') {
      const versions = this.secrets.get(key);
      const latest = versions?.[versions.length - 1];
      if (!versions || !latest) return sendJson(response, 404, { errors: [] });
      return sendJson(response, 200, {
        request_id: randomBytes(8).toString('hex'),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: { data: latest.data, metadata: { created_time: latest.createdTime, deletion_time: '', destroyed: false, version: versions.length } },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    if (request.method === 'POST' || request.method === 'PUT') {
      let body: { data?: Record<string, string> };
      try {
        body = JSON.parse(request.body) as { data?: Record<string, string> };
      } catch {
        return sendJson(response, 400, { errors: ['failed to parse JSON input'] });
      }
      if (!body.data) return sendJson(response, 400, { errors: ['no data provided'] });
      this.setSecret(path, body.data, { namespace });
      return sendJson(response, 200, { data: { version: this.secrets.get(key)?.length ?? 1, created_time: new Date(this.now()).toISOString() } });
    }
    return sendJson(response, 405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
  }

  private login(request: ReceivedRequest, namespace: string, response: ServerResponse): void {
    let body: { role_id?: string; secret_id?: string };
    try {
      body = JSON.parse(request.body || '{}') as { role_id?: string; secret_id?: string };
    } catch {
      return sendJson(response, 400, { errors: ['failed to parse JSON input'] });
    }
    const role = this.appRoles.get(`${namespace}:${body.role_id ?? ''}`);
    if (!role) return sendJson(response, 400, { errors: ['invalid role or secret ID'] });
    if (role.secretId !== body.secret_id) return sendJson(response, 400, { errors: ['invalid role or secret ID'] });
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const ttl = this.options.appRoleTtlSeconds ?? 3600;
    this.addToken(token, { ttlSeconds: ttl, renewable: true, namespace });
    return sendJson(response, 200, { auth: { client_token: token, accessor: randomBytes(8).toString('hex'), policies: ['default'], lease_duration: ttl, renewable: true, metadata: { role_name: 'llm-lab' } } });
  }

  private renew(token: string, state: TokenState, response: ServerResponse): void {
    if (!state.renewable) return sendJson(response, 400, { errors: ['lease is not renewable'] });
    const maxAt = state.issuedAt + (this.options.maxTtlSeconds ?? 86_400) * 1000;
    const expiresAt = Math.min(this.now() + state.ttlSeconds * 1000, maxAt);
    state.expiresAt = expiresAt;
    const leaseSeconds = Math.max(0, Math.floor((expiresAt - this.now()) / 1000));
    return sendJson(response, 200, { auth: { client_token: token, policies: ['default'], lease_duration: leaseSeconds, renewable: expiresAt < maxAt } });
  }
}

/** Starts a {@link FakeVault} on a free port of 127.0.0.1. */
export function startFakeVault(options: FakeVaultOptions = {}): Promise<FakeVault> {
  return new FakeVault(options).start();
}
