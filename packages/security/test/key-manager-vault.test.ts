import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { KeyManager, isSecretError, knownSecrets, clearSecretsForTests } from '../src/index.js';
import { startFakeVault, type FakeVault } from '../src/testing/index.js';
import { closedPort, failure } from './helpers.js';

const OPENAI = { from: 'vault', path: 'secret/data/llm/openai', field: 'key' } as const;

describe('the key manager reading HashiCorp Vault (KV v2 over HTTP)', () => {
  let clock = 1_000_000;
  const now = () => clock;
  let vault: FakeVault;

  beforeAll(async () => {
    vault = await startFakeVault({ now });
  });
  afterAll(() => vault.close());
  afterEach(() => clearSecretsForTests());

  it('reads a field with a token, caches it for the TTL, and sees a rotated value after it', async () => {
    vault.setSecret('secret/data/llm/openai', { key: 'sk-vault-first-0000000001', org: 'org-1' });
    const keys = new KeyManager({ ttlMs: 60_000, now, vault: { address: vault.url, token: vault.rootToken }, env: {} });
    expect(await keys.get(OPENAI)).toBe('sk-vault-first-0000000001');
    expect(knownSecrets().has('sk-vault-first-0000000001')).toBe(true);
    const reads = () => vault.requests.filter((request) => request.path === '/v1/secret/data/llm/openai').length;
    expect(reads()).toBe(1);

    vault.setSecret('secret/data/llm/openai', { key: 'sk-vault-second-000000002' });
    clock += 59_000;
    expect(await keys.get(OPENAI)).toBe('sk-vault-first-0000000001');
    expect(reads()).toBe(1);
    clock += 1_000;
    expect(await keys.get(OPENAI)).toBe('sk-vault-second-000000002');
    expect(reads()).toBe(2);
    // refresh() reads again at once, whatever the cache holds.
    vault.setSecret('secret/data/llm/openai', { key: 'sk-vault-third-0000000003' });
    expect(await keys.refresh(OPENAI)).toBe('sk-vault-third-0000000003');
  });

  it('says when the token is refused, naming the reference and not the token', async () => {
    vault.setSecret('secret/data/llm/openai', { key: 'sk-vault-first-0000000001' });
    const keys = new KeyManager({ now, vault: { address: vault.url, token: 'hvs.not-a-token-of-this-vault' }, env: {} });
    const error = await failure(keys.get(OPENAI));
    expect(isSecretError(error)).toBe(true);
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('vault:secret/data/llm/openai#key');
    expect(error.message).toContain('permission denied');
    expect(error.message).toContain('VAULT_TOKEN');
    expect(error.message).not.toContain('hvs.not-a-token-of-this-vault');
  });

  it('says when the path or the field is missing, listing the fields but no value', async () => {
    vault.setSecret('secret/data/llm/anthropic', { apiKey: 'sk-ant-value-0000000000000' });
    const keys = new KeyManager({ now, vault: { address: vault.url, token: vault.rootToken }, env: {} });
    const missingPath = await failure(keys.get({ from: 'vault', path: 'secret/data/llm/nothing-here', field: 'key' }));
    expect(missingPath.kind).toBe('not-found');
    expect(missingPath.message).toMatch(/no secret at secret\/data\/llm\/nothing-here/);
    const missingField = await failure(keys.get({ from: 'vault', path: 'secret/data/llm/anthropic', field: 'key' }));
    expect(missingField.kind).toBe('not-found');
    expect(missingField.message).toContain("no field 'key' (its fields: apiKey)");
    expect(missingField.message).not.toContain('sk-ant-value');
  });

  it('says when Vault cannot be reached, with its URL', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const keys = new KeyManager({ now, vault: { address, token: 'hvs.some-token-0000000000' }, env: {} });
    const error = await failure(keys.get(OPENAI));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`cannot reach Vault at ${address} (ECONNREFUSED)`);
    expect(error.message).toContain('vault:secret/data/llm/openai#key');
  });

  it('keeps serving the last value when Vault becomes unreachable after the TTL, and says so', async () => {
    const flaky = await startFakeVault({ now });
    flaky.setSecret('secret/data/llm/openai', { key: 'sk-vault-kept-00000000001' });
    const stale: string[] = [];
    const keys = new KeyManager({ ttlMs: 1_000, now, vault: { address: flaky.url, token: flaky.rootToken }, env: {}, onStale: (message) => stale.push(message) });
    expect(await keys.get(OPENAI)).toBe('sk-vault-kept-00000000001');
    await flaky.close();
    clock += 5_000;
    expect(await keys.get(OPENAI)).toBe('sk-vault-kept-00000000001');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toContain('cannot reach Vault');
  });

  it('logs in with AppRole and sends the namespace header on every request', async () => {
    vault.addAppRole('role-llm-lab', 'secret-id-1234567890', { namespace: 'team-a' });
    vault.setSecret('secret/data/llm/openai', { key: 'sk-team-a-key-0000000001' }, { namespace: 'team-a' });
    const before = vault.requests.length;
    const keys = new KeyManager({ now, vault: { address: vault.url, namespace: 'team-a' }, env: { VAULT_ROLE_ID: 'role-llm-lab', VAULT_SECRET_ID: 'secret-id-1234567890' } });
    expect(await keys.get(OPENAI)).toBe('sk-team-a-key-0000000001');
    const sent = vault.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /v1/auth/approle/login', 'GET /v1/secret/data/llm/openai']);
    expect(sent.every((request) => request.headers['x-vault-namespace'] === 'team-a')).toBe(true);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toEqual({ role_id: 'role-llm-lab', secret_id: 'secret-id-1234567890' });

    // Without the namespace the same token and path are another namespace's: nothing there.
    const rootKeys = new KeyManager({ now, vault: { address: vault.url, token: vault.rootToken }, env: {} });
    vault.setSecret('secret/data/llm/openai', { key: 'sk-root-namespace-key-01' });
    expect(await rootKeys.get(OPENAI)).toBe('sk-root-namespace-key-01');
  });

  it('refuses a wrong AppRole secret id with a clear error', async () => {
    vault.addAppRole('role-two', 'right-secret-id-000000');
    const keys = new KeyManager({ now, vault: { address: vault.url, appRole: { roleId: 'role-two', secretId: 'wrong-secret-id-000000' } }, env: {} });
    const error = await failure(keys.get(OPENAI));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('AppRole login');
    expect(error.message).toContain('invalid role or secret ID');
    expect(error.message).not.toContain('wrong-secret-id-000000');
  });

  it('renews the token lease before it expires, so reads go on past the first lease', async () => {
    const leased = await startFakeVault({ now, appRoleTtlSeconds: 600 });
    leased.addAppRole('role-renew', 'secret-id-renew-000000');
    leased.setSecret('secret/data/llm/openai', { key: 'sk-renewed-lease-key-001' });
    const keys = new KeyManager({ ttlMs: 60_000, now, vault: { address: leased.url, appRole: { roleId: 'role-renew', secretId: 'secret-id-renew-000000' } }, env: {} });
    const paths = () => leased.requests.map((request) => request.path);
    await keys.get(OPENAI);
    expect(paths()).toEqual(['/v1/auth/approle/login', '/v1/secret/data/llm/openai']);
    clock += 300_000; // half the lease: not yet
    await keys.get(OPENAI);
    expect(paths().filter((path) => path === '/v1/auth/token/renew-self')).toHaveLength(0);
    clock += 150_000; // three quarters of the lease: renewed before the read
    await keys.get(OPENAI);
    expect(paths().slice(-2)).toEqual(['/v1/auth/token/renew-self', '/v1/secret/data/llm/openai']);
    clock += 500_000; // past the first lease's end (600 s after login), within the renewed one
    expect(await keys.get(OPENAI)).toBe('sk-renewed-lease-key-001');
    expect(paths().filter((path) => path === '/v1/auth/approle/login')).toHaveLength(1);
    await leased.close();
  });

  it('logs in again when the token was revoked and a read is refused', async () => {
    const revoking = await startFakeVault({ now });
    revoking.addAppRole('role-3', 'secret-id-three-0000000');
    revoking.setSecret('secret/data/llm/openai', { key: 'sk-after-relogin-key-01' });
    const keys = new KeyManager({ ttlMs: 1_000, now, vault: { address: revoking.url, appRole: { roleId: 'role-3', secretId: 'secret-id-three-0000000' } }, env: {} });
    await keys.get(OPENAI);
    const firstToken = String(revoking.requests[1]?.headers['x-vault-token']);
    revoking.revokeToken(firstToken);
    clock += 2_000;
    expect(await keys.get(OPENAI)).toBe('sk-after-relogin-key-01');
    expect(revoking.requests.filter((request) => request.path === '/v1/auth/approle/login')).toHaveLength(2);
    await revoking.close();
  });
});
