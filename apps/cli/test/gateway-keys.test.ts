/**
 * `llm-lab gateway keys` and `llm-lab gateway traffic` as a user runs them (child processes), on
 * the embedded database and on PostgreSQL; the keys they make are then used through the
 * gateway's access hooks, as a running gateway would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAccessHooks, type AccessHooks } from '@llm-lab/gateway';
import { openStorage, type Storage } from '@llm-lab/storage';
import { cleanEnv, dropSchema, runCli } from './helpers.js';

const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TIMEOUT_MS = 300_000;
const folder = mkdtempSync(join(tmpdir(), 'llm-lab-gateway-cli-'));
const schema = `llm_lab_cli_gw_${randomBytes(4).toString('hex')}`;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const backends = [
  {
    name: 'the embedded database',
    args: ['--data-dir', join(folder, 'db')],
    env: cleanEnv(),
    open: () => openStorage({ dataDir: join(folder, 'db'), env: {} }),
    cleanup: async () => rmSync(join(folder, 'db'), { recursive: true, force: true }),
  },
  {
    name: 'PostgreSQL',
    args: [],
    env: cleanEnv({ DATABASE_URL: POSTGRES_URL, LLM_LAB_DB_SCHEMA: schema }),
    open: () => openStorage({ url: POSTGRES_URL, schema }),
    cleanup: () => dropSchema(POSTGRES_URL, schema),
  },
];

for (const backend of backends) {
  describe(`llm-lab gateway keys and traffic on ${backend.name}`, () => {
    // Run from an empty folder: a database opened anywhere but where the flags say would not be the test's.
    const cli = (...args: string[]) => runCli(['gateway', ...args, ...backend.args], { env: backend.env, cwd: folder });
    let storage: Storage | undefined;
    let gateway: AccessHooks | undefined;

    afterAll(async () => {
      await gateway?.close();
      await storage?.close();
      await backend.cleanup();
    }, TIMEOUT_MS);

    let key = '';
    beforeAll(async () => {
      const created = await cli('keys', 'create', '--name', 'app1', '--budget-usd', '0.5', '--rpm', '600', '--models', 'fast, smart');
      expect(created.stderr).toContain('Created gateway key "app1" (key_');
      expect(created.stderr).toContain('budget $0.5000, 600 requests/minute, models: fast, smart');
      expect(created.stderr).toContain('it is not shown again');
      expect(created.code).toBe(0);
      // Standard output is the key alone, for `KEY=$(llm-lab gateway keys create ...)`.
      expect(created.stdout).toMatch(/^llk_[A-Za-z0-9_-]{43}\n$/);
      key = created.stdout.trim();
      storage = await backend.open();
      gateway = createAccessHooks({ storage, keyTtlMs: 0, spendFlushMs: 0, traffic: { flushMs: 0 }, log: () => undefined });
    }, TIMEOUT_MS);

    it('made a key that a gateway accepts for its models only, and lists it without the key or its hash', async () => {
      const ok = await (gateway as AccessHooks).authenticate({ authorization: `Bearer ${key}`, model: 'fast', endpoint: 'chat.completions' });
      expect(ok).toMatchObject({ ok: true, keyName: 'app1' });
      expect(await (gateway as AccessHooks).authenticate({ authorization: `Bearer ${key}`, model: 'other', endpoint: 'chat.completions' })).toMatchObject({ status: 403 });

      const listed = await cli('keys', 'list', '--json');
      expect(listed.code).toBe(0);
      const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
      expect(keys).toEqual([
        {
          id: (ok as { keyId: string }).keyId,
          name: 'app1',
          prefix: key.slice(0, 12),
          createdAt: expect.any(String),
          revokedAt: null,
          budgetUsd: 0.5,
          spendUsd: 0,
          rpm: 600,
          models: ['fast', 'smart'],
        },
      ]);
      expect(listed.stdout).not.toContain(key.slice(12));
      const table = await cli('keys', 'list');
      expect(table.stdout).toMatch(/app1\s+llk_\S+…\s+\S+ \S+\s+\$0\.5000\s+\$0\s+600\s+fast, smart\s+live/);
    }, TIMEOUT_MS);

    it('summarises the traffic a gateway recorded, per route, provider and key, in text and JSON', async () => {
      const hooks = gateway as AccessHooks;
      const keyId = (await (storage as Storage).listKeys())[0]?.id as string;
      const now = Date.now();
      for (let index = 0; index < 10; index += 1) {
        hooks.onCallEnd({ time: now - index, keyId, keyName: 'app1', endpoint: 'chat.completions', route: 'fast', provider: 'openai:gpt-4o-mini', status: index === 9 ? 502 : 200, errorClass: index === 9 ? 'server' : undefined, latencyMs: (index + 1) * 100, overheadMs: 0.2, inputTokens: 10, outputTokens: 20, costUsd: 0.01, cacheHit: false, stream: false });
      }
      hooks.onCallEnd({ time: now - 2 * 3_600_000, endpoint: 'chat.completions', route: 'old', provider: 'openai:gpt-4o-mini', status: 200, latencyMs: 5, overheadMs: 0.1, cacheHit: false, stream: false });
      await hooks.flush();

      const json = await cli('traffic', '--since', '1h', '--json');
      expect(json.code).toBe(0);
      const summary = JSON.parse(json.stdout) as { since: string; groups: Array<Record<string, unknown>> };
      expect(summary.groups).toEqual([
        {
          route: 'fast',
          provider: 'openai:gpt-4o-mini',
          keyId,
          keyName: 'app1',
          requests: 10,
          errors: 1,
          cacheHits: 0,
          p50LatencyMs: 550,
          p95LatencyMs: expect.closeTo(955, 6),
          inputTokens: 100,
          outputTokens: 200,
          costUsd: expect.closeTo(0.1, 9),
        },
      ]);
      const text = await cli('traffic', '--since', '1h');
      expect(text.stdout).toMatch(/fast\s+openai:gpt-4o-mini\s+app1\s+10\s+1\s+550 ms\s+955 ms\s+100\s+200\s+\$0\.1000/);
      expect(text.stdout).toContain('10 requests, 1 error, $0.1000');
      expect((await cli('traffic', '--json')).stdout).toContain('"route": "old"');
      const bad = await cli('traffic', '--since', 'yesterday');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--since "yesterday" is neither a duration (30m, 1h, 7d) nor a date');
    }, TIMEOUT_MS);

    it('refuses bad input with exit code 2: a name in use, a negative budget, no such key', async () => {
      const twice = await cli('keys', 'create', '--name', 'app1');
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain('a live gateway key named "app1" exists already');
      expect(twice.stdout).toBe('');
      const negative = await cli('keys', 'create', '--name', 'app2', '--budget-usd', '-1');
      expect(negative.code).toBe(2);
      expect(negative.stderr).toContain('--budget-usd must be a number of US dollars, 0 or more.');
      const missing = await cli('keys', 'revoke', 'nobody');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no live gateway key has the id, name or prefix "nobody"');
    }, TIMEOUT_MS);

    it('revokes a key by its prefix: a gateway then answers 401, and the list says when', async () => {
      const revoked = await cli('keys', 'revoke', key.slice(0, 12));
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain('Revoked gateway key "app1"');
      expect(await (gateway as AccessHooks).authenticate({ authorization: `Bearer ${key}`, model: 'fast', endpoint: 'chat.completions' })).toMatchObject({
        status: 401,
        message: expect.stringContaining('was revoked'),
      });
      expect((await cli('keys', 'list')).stdout).toContain('No gateway keys in use.');
      expect((await cli('keys', 'list', '--all')).stdout).toMatch(/app1 .* revoked \d{4}-\d{2}-\d{2}/);
      // The name is free again.
      expect((await cli('keys', 'create', '--name', 'app1')).code).toBe(0);
    }, TIMEOUT_MS);
  });
}
