/**
 * The audit log as a user meets it (child processes, the embedded database): the commands that
 * run, compare, report, export and manage gateway keys each leave an entry; `audit list` shows
 * them; `audit verify` passes, then names the entry changed or deleted behind the CLI's back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openStorage } from '@llm-lab/storage';
import { QUICKSTART, cleanEnv, runCli } from './helpers.js';

const TIMEOUT_MS = 300_000;
const folder = mkdtempSync(join(tmpdir(), 'llm-lab-audit-cli-'));
const db = ['--data-dir', join(folder, 'db')];
const env = cleanEnv({ LLM_LAB_USER: 'alice' });
const cli = (...args: string[]) => runCli([...args, ...db], { env, cwd: folder });

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('llm-lab audit', () => {
  let runId = '';
  beforeAll(async () => {
    const run = await cli('run', QUICKSTART, '--json', '--limit', '5', '--no-progress');
    expect(run.code).toBe(0);
    runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    expect((await cli('compare', runId, '--json')).code).toBe(0);
    expect((await cli('report', runId, '--out', join(folder, 'report.html'))).code).toBe(0);
    expect((await cli('export', runId, '--out', join(folder, 'results.csv'))).code).toBe(0);
    expect((await cli('gateway', 'keys', 'create', '--name', 'app1')).code).toBe(0);
    expect((await cli('gateway', 'keys', 'revoke', 'app1')).code).toBe(0);
  }, TIMEOUT_MS);

  it(
    'lists who did what, to which run or key, from where, oldest first',
    async () => {
      const listed = await cli('audit', 'list', '--json');
      expect(listed.code).toBe(0);
      const entries = JSON.parse(listed.stdout) as Array<{ seq: number; actorKind: string; actor: string; action: string; target: string; host: string; pid: number; costUsd: number | null }>;
      expect(entries.map((entry) => [entry.seq, entry.actor, entry.action])).toEqual([
        [1, 'alice', 'run'],
        [2, 'alice', 'compare'],
        [3, 'alice', 'report'],
        [4, 'alice', 'export'],
        [5, 'alice', 'key-created'],
        [6, 'alice', 'key-revoked'],
      ]);
      expect(entries.slice(0, 4).map((entry) => entry.target)).toEqual([runId, runId, runId, runId]);
      expect(entries[4]?.target).toMatch(/^key_/);
      expect(entries[5]?.target).toBe(entries[4]?.target);
      // Each command is its own process.
      expect(new Set(entries.map((entry) => entry.pid)).size).toBe(6);
      expect(entries[0]?.costUsd).toBe(0);

      const table = await cli('audit', 'list', '--since', '1h');
      expect(table.stdout).toContain('cli:alice');
      expect(table.stdout).toContain('key-revoked');
      expect((await cli('audit', 'list', '--since', 'yesterday')).stderr).toContain('--since "yesterday" is neither a duration');
    },
    TIMEOUT_MS,
  );

  it(
    'verifies the chain, then names a changed entry and a deleted one (exit 1)',
    async () => {
      const ok = await cli('audit', 'verify');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain("ok: the audit log's 6 entries form one unbroken chain (last entry 6).");

      // Someone with the database folder edits it directly.
      const storage = await openStorage({ dataDir: join(folder, 'db'), worker: false, env: {} });
      const sql = (text: string) => (storage as unknown as { query(text: string, params: unknown[]): Promise<unknown> }).query(text, []);
      try {
        await sql(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`);
        await sql(`DELETE FROM audit_log WHERE seq = 5`);
      } finally {
        await storage.close();
      }
      const tampered = await cli('audit', 'verify');
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toContain('modified entry 2 (compare by mallory) was modified: its content does not match its hash');
      expect(tampered.stdout).toContain('missing entry 5 is missing (deleted): entry 6 follows entry 4');
      expect(tampered.stdout).toContain('the audit log was tampered with: 2 problems in 5 entries.');
    },
    TIMEOUT_MS,
  );
});
