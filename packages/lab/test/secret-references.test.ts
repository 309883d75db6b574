import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type LabConfigInput } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeOpenAIServerOptions } from '@llm-lab/provider-testkit';
import { startFakeVault, type FakeVault } from '@llm-lab/security/testing';
import { dropSchema } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

/**
 * A provider's apiKey written as a Vault reference: read through the key manager when the
 * providers are made, sent to the (fake) vendor, and picked up again after a rotation: after the
 * TTL, or at once when the vendor answers 401 with the old key.
 */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_secrets_${process.pid}_${Date.now().toString(36)}`;
const KEY_1 = 'sk-vault-rotation-key-number-1';
const KEY_2 = 'sk-vault-rotation-key-number-2';
const KEY_3 = 'sk-vault-rotation-key-number-3';
const TTL = 60_000;

let clock = 0;
let vault: FakeVault;
let openai: FakeOpenAIServer;
/** The fake vendor reads `apiKey` from this object at each request: changing it revokes the old key. */
const vendor: FakeOpenAIServerOptions = { apiKey: KEY_1 };
const labs: Lab[] = [];
const savedToken = process.env.VAULT_TOKEN;

function config(overrides: Partial<LabConfigInput> = {}): LabConfigInput {
  return {
    providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: openai.url, apiKey: { from: 'vault', path: 'secret/data/llm/openai', field: 'key' } } }],
    prompts: ['{{question}}'],
    dataset: { rows: [{ id: 'a', question: 'alpha' }], idField: 'id' },
    evaluators: [{ type: 'equals', value: '{{question}}' }],
    cache: { kind: 'none' },
    security: { secretsTtlMs: TTL, vault: { address: vault.url } },
    ...overrides,
  };
}

async function newLab(): Promise<Lab> {
  const lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-secrets-')), databaseUrl: DATABASE_URL, databaseSchema: schema, secretsClock: () => clock });
  labs.push(lab);
  return lab;
}

/** The bearer keys of the chat requests the vendor received from index `from` on. */
function keysSent(from = 0): string[] {
  return openai.requests
    .slice(from)
    .filter((request) => request.path.endsWith('/chat/completions'))
    .map((request) => String(request.headers.authorization).replace(/^Bearer /, ''));
}

beforeAll(async () => {
  vault = await startFakeVault();
  openai = await startFakeOpenAIServer(vendor);
  process.env.VAULT_TOKEN = vault.rootToken;
});
afterEach(async () => {
  await Promise.all(labs.splice(0).map((lab) => lab.close()));
});
afterAll(async () => {
  if (savedToken === undefined) delete process.env.VAULT_TOKEN;
  else process.env.VAULT_TOKEN = savedToken;
  await vault.close();
  await openai.close();
  await dropSchema(DATABASE_URL, schema);
});

describe('a provider apiKey given as a Vault reference', () => {
  it('is sent to the vendor; a rotation is seen after the TTL, and at once when the vendor answers 401', async () => {
    vault.setSecret('secret/data/llm/openai', { key: KEY_1 });
    vendor.apiKey = KEY_1;
    const lab = await newLab();
    const first = await lab.run(config());
    expect(first.totals.errors).toBe(0);
    expect(keysSent()).toEqual([KEY_1]);
    // The stored config keeps the reference, never the value.
    const stored = JSON.stringify((await lab.getRun(first.runId))?.run);
    expect(stored).toContain('"apiKey":{"from":"vault","path":"secret/data/llm/openai","field":"key"}');
    expect(stored).not.toContain(KEY_1);

    // Rotated in Vault and at the vendor (the old key revoked), within the TTL: the old key is
    // refused once (401), the key manager reads Vault again, and the call is sent once more.
    let seen = openai.requests.length;
    vault.setSecret('secret/data/llm/openai', { key: KEY_2 });
    vendor.apiKey = KEY_2;
    const second = await lab.run(config());
    expect(second.totals.errors).toBe(0);
    expect(keysSent(seen)).toEqual([KEY_1, KEY_2]);

    // Rotated in Vault first (the vendor takes both for a while): after the TTL the new key is sent, with no 401.
    seen = openai.requests.length;
    vault.setSecret('secret/data/llm/openai', { key: KEY_3 });
    clock += TTL;
    vendor.apiKey = KEY_3;
    const third = await lab.run(config());
    expect(third.totals.errors).toBe(0);
    expect(keysSent(seen)).toEqual([KEY_3]);
  });

  it('is refreshed only once: a key the vendor still refuses after the refresh fails the call', async () => {
    vault.setSecret('secret/data/llm/openai', { key: KEY_1 });
    vendor.apiKey = 'sk-a-key-vault-does-not-have-0001';
    const lab = await newLab();
    const seen = openai.requests.length;
    const report = await lab.run(config());
    expect(report.totals.errors).toBe(1);
    // One call with the cached key; the refresh found the same key, so nothing more is sent.
    expect(keysSent(seen)).toEqual([KEY_1]);
    const vaultReads = vault.requests.filter((request) => request.path === '/v1/secret/data/llm/openai');
    expect(vaultReads.length).toBeGreaterThan(0);
  });

  it('in a serving process (the gateway), sees the rotated key after the TTL without a restart', async () => {
    vault.setSecret('secret/data/llm/openai', { key: KEY_1 });
    vendor.apiKey = KEY_1;
    const lab = await newLab();
    const served = await lab.serveProviders({ providers: config().providers, security: config().security });
    const provider = served.providers[0]!.provider;
    const seen = openai.requests.length;
    await provider.generate({ messages: [{ role: 'user', content: 'one' }] });
    vault.setSecret('secret/data/llm/openai', { key: KEY_2 });
    clock += TTL - 1;
    await provider.generate({ messages: [{ role: 'user', content: 'two' }] });
    clock += 1;
    vendor.apiKey = KEY_2;
    await provider.generate({ messages: [{ role: 'user', content: 'three' }] });
    expect(keysSent(seen)).toEqual([KEY_1, KEY_1, KEY_2]);
    await served.group.close();
  });

  it('fails the run before any call when Vault cannot be reached, naming the reference and the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const lab = await newLab();
    const seen = openai.requests.length;
    await expect(lab.run(config({ security: { vault: { address: `http://127.0.0.1:${port}` } } }))).rejects.toThrow(
      `secret vault:secret/data/llm/openai#key: cannot reach Vault at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(openai.requests.length).toBe(seen);
  });

  it('is checked when the config is read: a misspelt reference names its place', () => {
    expect(() => parseConfig({ ...config(), providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey: { from: 'vault', path: 'secret/data/x' } } }] })).toThrow(
      /providers\[0\]\.config\.apiKey\.field/,
    );
    expect(() => parseConfig({ ...config(), providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey: { from: 'keychain', name: 'x' } } }] })).toThrow(
      /providers\[0\]\.config\.apiKey\.from: expected a secret reference/,
    );
  });
});
