/**
 * The audit log on LLM Lab's storage, embedded (PGlite) and PostgreSQL: entries appended and
 * verified; a row changed or deleted with SQL is named by the check; two processes appending at
 * once leave one chain.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openStorage, type Storage } from '@llm-lab/storage';
import pg from 'pg';
import { createAuditLog, verifyAuditChain, type AuditEntry } from '../src/index.js';

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const skipPostgres = process.env.LLM_LAB_SKIP_POSTGRES === '1';
const fixture = fileURLToPath(new URL('./fixtures/append-audit.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

interface Backend {
  open(): Promise<Storage>;
  /** Runs SQL against the log's table as someone with database access would. */
  sql(storage: Storage, text: string): Promise<void>;
  /** The environment a child process opens the same log with. */
  childEnv: Record<string, string>;
  cleanup(): Promise<void>;
}

function embedded(): Backend {
  const folder = mkdtempSync(join(tmpdir(), 'llm-lab-audit-'));
  const dataDir = join(folder, 'db');
  return {
    open: () => openStorage({ dataDir, worker: false }),
    // The embedded database is one process's: its own connection is the way in (what a user
    // with the folder could do with PGlite directly).
    sql: async (storage, text) => {
      await (storage as unknown as { query(text: string, params: unknown[]): Promise<unknown> }).query(text, []);
    },
    childEnv: { DATA_DIR: dataDir },
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

function postgres(): Backend {
  const schema = `llm_lab_audit_${randomBytes(5).toString('hex')}`;
  const withClient = async (work: (client: pg.Client) => Promise<void>) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    open: () => openStorage({ url, schema }),
    sql: (_storage, text) => withClient(async (client) => void (await client.query(`SET search_path TO "${schema}"; ${text}`))),
    childEnv: { DATABASE_URL: url, LLM_LAB_DB_SCHEMA: schema },
    cleanup: () => withClient(async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
  };
}

/** Every entry, in chain order. */
async function entries(storage: Storage): Promise<AuditEntry[]> {
  return storage.listAudit({ limit: 10_000 });
}

function appendFrom(who: string, count: number, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env, WHO: who, COUNT: String(count) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the ${who} process exited with ${code}: ${stderr}`))));
  });
}

const backends: Array<[string, () => Backend, boolean]> = [
  ['embedded (PGlite)', embedded, false],
  ['PostgreSQL', postgres, skipPostgres],
];

describe.each(backends)('the audit log on %s', (_name, make, skip) => {
  const maybe = skip ? it.skip : it;
  let backend: Backend;
  let storage: Storage;
  let clock = Date.UTC(2026, 11, 7, 9, 0, 0);
  const now = () => new Date((clock += 1_000));

  beforeAll(async () => {
    if (skip) return;
    backend = make();
    storage = await backend.open();
  }, 300_000);

  afterAll(async () => {
    await storage?.close();
    await backend?.cleanup();
  }, 120_000);

  maybe('appends entries that say who did what, and verifies them', async () => {
    const log = createAuditLog(storage, { actor: { kind: 'cli', name: 'alice' }, host: 'lab-1', pid: 4242, now });
    await log.record({ action: 'run', target: 'run-1', costUsd: 0.125, details: { results: 200, status: 'completed' } });
    await log.record({ action: 'secret-read', target: 'vault:secret/data/llm/openai#key' });
    await log.record({ action: 'key-created', target: 'key_1', actor: { kind: 'gateway-key', name: 'key_0 (ops)' }, ip: '10.0.0.7' });
    const stored = await entries(storage);
    expect(stored.map((entry) => [entry.seq, entry.actorKind, entry.actor, entry.action, entry.target, entry.host, entry.pid, entry.ip, entry.costUsd])).toEqual([
      [1, 'cli', 'alice', 'run', 'run-1', 'lab-1', 4242, null, 0.125],
      [2, 'cli', 'alice', 'secret-read', 'vault:secret/data/llm/openai#key', 'lab-1', 4242, null, null],
      [3, 'gateway-key', 'key_0 (ops)', 'key-created', 'key_1', 'lab-1', 4242, '10.0.0.7', null],
    ]);
    expect(stored[0]?.details).toBe('{"results":200,"status":"completed"}');
    expect(stored[0]?.at.toISOString()).toBe('2026-12-07T09:00:01.000Z');
    expect(verifyAuditChain(stored)).toMatchObject({ ok: true, checked: 3, lastSeq: 3 });
    expect((await storage.listAudit({ since: new Date(Date.UTC(2026, 11, 7, 9, 0, 2)) })).map((entry) => entry.seq)).toEqual([2, 3]);
  });

  maybe('refuses a second entry at a place already taken', async () => {
    const [first] = await entries(storage);
    expect(await storage.appendAudit({ ...(first as AuditEntry), actor: 'mallory' })).toBe(false);
    expect((await entries(storage))[0]?.actor).toBe('alice');
  });

  maybe('names a row changed with SQL, then the gap a deleted row leaves', async () => {
    await backend.sql(storage, `UPDATE audit_log SET cost_usd = 0 WHERE seq = 1`);
    expect(verifyAuditChain(await entries(storage)).problems).toEqual([{ seq: 1, kind: 'modified', message: 'entry 1 (run by alice) was modified: its content does not match its hash' }]);
    await backend.sql(storage, `DELETE FROM audit_log WHERE seq = 2`);
    const result = verifyAuditChain(await entries(storage));
    expect(result.ok).toBe(false);
    expect(result.problems.map((problem) => problem.message)).toEqual([
      'entry 1 (run by alice) was modified: its content does not match its hash',
      'entry 2 is missing (deleted): entry 3 follows entry 1',
    ]);
  });

  maybe(
    'keeps one chain when two processes append at once',
    async () => {
      if (!existsSync(built)) throw new Error(`${built} is missing: build @llm-lab/security first (pnpm --filter @llm-lab/security build)`);
      await backend.sql(storage, 'DELETE FROM audit_log');
      const perProcess = 15;
      await Promise.all([appendFrom('first', perProcess, backend.childEnv), appendFrom('second', perProcess, backend.childEnv)]);
      const stored = await entries(storage);
      expect(stored).toHaveLength(2 * perProcess);
      expect(stored.map((entry) => entry.seq)).toEqual(Array.from({ length: 2 * perProcess }, (_, index) => index + 1));
      expect(new Set(stored.map((entry) => entry.target)).size).toBe(2 * perProcess);
      expect(verifyAuditChain(stored)).toMatchObject({ ok: true, checked: 2 * perProcess });
    },
    300_000,
  );
});
