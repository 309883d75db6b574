import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { MIGRATIONS_FOLDER, openStorage } from '../src/index.js';
import { describeStorageSuite, sampleResult } from '../src/testing/storage-suite.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const url = process.env.DATABASE_URL || DEFAULT_URL;
const skip = process.env.LLM_LAB_SKIP_POSTGRES === '1';
/** One schema per test run, dropped at the end, so runs never see each other's data. */
const testSchema = `llm_lab_test_${randomBytes(5).toString('hex')}`;
const describePostgres = skip ? describe.skip : describe;

/** Opens storage in `schemaName`, turning an unreachable server into instructions. */
async function openTestStorage(schemaName: string, overrides: { url?: string } = {}) {
  try {
    return await openStorage({ url: overrides.url ?? url, schema: schemaName });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'storage_unreachable') throw error;
    throw new Error(
      `${(error as Error).message}\nThe PostgreSQL tests need a server: start one (e.g. ` +
        '`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:17`), ' +
        'or point DATABASE_URL at one, or set LLM_LAB_SKIP_POSTGRES=1 to skip these tests deliberately.',
      { cause: error },
    );
  }
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropSchemas(...names: string[]): Promise<void> {
  await withClient(async (client) => {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });
}

if (!skip) {
  describeStorageSuite('PostgreSQL storage', {
    open: () => openTestStorage(testSchema),
    cleanup: () => dropSchemas(testSchema),
  });
}

describePostgres('PostgreSQL connection and schema', () => {
  const extraSchemas: string[] = [];
  const freshSchema = (): string => {
    const name = `${testSchema}_${extraSchemas.length}`;
    extraSchemas.push(name);
    return name;
  };
  afterAll(() => dropSchemas(...extraSchemas), 30_000);

  it('puts every table and the migration journal in the chosen schema, none in public', async () => {
    const schemaName = freshSchema();
    const storage = await openTestStorage(schemaName);
    try {
      expect(storage.kind).toBe('postgres');
      expect(storage.schema).toBe(schemaName);
      const tables = await withClient(async (client) => {
        const found = await client.query<{ table_schema: string; table_name: string }>(
          `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
          [schemaName],
        );
        return found.rows.map((row) => row.table_name);
      });
      expect(tables).toEqual(['__drizzle_migrations', 'audit_log', 'batches', 'gateway_keys', 'metric_points_1h', 'metric_points_1m', 'requests', 'results', 'runs']);
      // The foreign key points at runs in the same schema (not public.runs).
      const run = await storage.createRun({ config: {}, resolvedConfig: {} });
      expect(await storage.insertResults([sampleResult(run.id)])).toBe(1);
      const inPublic = await withClient((client) =>
        client.query(`SELECT to_regclass('public.runs') AS runs`).then((result) => result.rows[0] as { runs: string | null }),
      );
      // Another test suite may legitimately use public; what matters is our run is not there.
      if (inPublic.runs !== null) {
        const leaked = await withClient((client) => client.query('SELECT 1 FROM public.runs WHERE id = $1', [run.id]));
        expect(leaked.rowCount).toBe(0);
      }
    } finally {
      await storage.close();
    }
  });

  it('keeps data across reopening and applies migrations once, even when opened concurrently', async () => {
    const schemaName = freshSchema();
    const [first, second] = await Promise.all([openTestStorage(schemaName), openTestStorage(schemaName)]);
    try {
      const run = await first.createRun({ description: 'shared', config: {}, resolvedConfig: {} });
      expect((await second.getRun(run.id))?.description).toBe('shared');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    const reopened = await openTestStorage(schemaName);
    try {
      expect((await reopened.listRuns()).map((run) => run.description)).toEqual(['shared']);
      const journal = await withClient((client) => client.query(`SELECT hash FROM "${schemaName}".__drizzle_migrations`));
      const migrationFiles = readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql'));
      expect(journal.rowCount).toBe(migrationFiles.length);
    } finally {
      await reopened.close();
    }
  });

  it('brings a database made before queue_ms, 0003 and 0004 up to date on open: new columns null, scores summed up, gateway keys', async () => {
    const schemaName = freshSchema();
    const storage = await openTestStorage(schemaName);
    const run = await storage.createRun({ config: {}, resolvedConfig: {} });
    await storage.insertResults([
      sampleResult(run.id, {
        scores: [
          { name: 'a', type: 'contains', passed: true, score: 1 },
          { name: 'b', type: 'similar', passed: false, score: 0.25 },
        ],
      }),
      sampleResult(run.id, { caseId: 'unscored', caseIndex: 1, scores: [], passed: null, errorKind: 'server' }),
    ]);
    await storage.close();
    // Back to the schema before the eight latest migrations (0002 queue_ms, 0003 provider/model/score/requests, 0004 gateway keys and traffic, 0005 batches, 0006 metric points, 0007 the side/case index, 0008 the audit log, 0009 that index reordered).
    await withClient(async (client) => {
      const table = (name: string) => `"${schemaName}".${name}`;
      await client.query(`DROP TABLE ${table('audit_log')}`);
      await client.query(`DROP INDEX ${table('results_side_case_idx')}`);
      await client.query(`DROP TABLE ${table('metric_points_1m')}`);
      await client.query(`DROP TABLE ${table('metric_points_1h')}`);
      await client.query(`DROP TABLE ${table('batches')}`);
      await client.query(`DROP TABLE ${table('requests')}`);
      await client.query(`DROP TABLE ${table('gateway_keys')}`);
      for (const index of ['results_run_order_idx', 'results_run_unpassed_idx', 'results_run_latency_idx', 'results_run_score_idx']) {
        await client.query(`DROP INDEX ${table(index)}`);
      }
      await client.query(`CREATE INDEX results_run_case_idx ON ${table('results')} (run_id, case_index)`);
      await client.query(`ALTER TABLE ${table('results')} DROP COLUMN queue_ms, DROP COLUMN provider, DROP COLUMN model, DROP COLUMN score`);
      await client.query(`DELETE FROM ${table('__drizzle_migrations')} WHERE id IN (SELECT id FROM ${table('__drizzle_migrations')} ORDER BY id DESC LIMIT 8)`);
    });
    const reopened = await openTestStorage(schemaName);
    try {
      const read = async () => (await reopened.listResults({ runId: run.id })).results;
      expect((await read()).map((result) => [result.queueMs, result.provider, result.model, result.score])).toEqual([
        [null, null, null, 0.625],
        [null, null, null, null],
      ]);
      await reopened.insertResults([sampleResult(run.id, { caseId: 'later', caseIndex: 2, queueMs: 7 })]);
      expect((await read()).map((result) => [result.queueMs, result.provider])).toEqual([
        [null, null],
        [null, null],
        [7, 'mock:echo'],
      ]);
      expect(await reopened.countResults(run.id, { outcome: 'errored' })).toBe(1);
      expect(await reopened.listKeys()).toEqual([]);
      expect(await reopened.insertRequests([{ requestId: 'refused', source: 'gateway', provider: null, status: 'error', keyId: 'key_a' }])).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it("sees another process's hold on a run, and its release when that process is killed", async () => {
    const schemaName = freshSchema();
    const storage = await openTestStorage(schemaName);
    const runId = 'run-held-elsewhere';
    // Another process claims the run and keeps running until killed (kill -9: nothing runs on the way out).
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { openStorage } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
         const storage = await openStorage({ url: ${JSON.stringify(url)}, schema: ${JSON.stringify(schemaName)} });
         await storage.holdRun(${JSON.stringify(runId)});
         console.log('held');
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
        child.once('exit', (code) => reject(new Error(`the holding process exited (${code})`)));
      });
      expect(await storage.heldRuns([runId, 'run-nobody-holds'])).toEqual(new Set([runId]));
      await expect(storage.holdRun(runId)).rejects.toMatchObject({ code: 'run_in_progress' });
      // Another schema is another namespace: the same run id there is free.
      const other = await openTestStorage(freshSchema());
      try {
        expect(await other.heldRuns([runId])).toEqual(new Set());
      } finally {
        await other.close();
      }
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The server drops the dead session's lock with its connection.
      let held = await storage.heldRuns([runId]);
      // Up to 30 s: a loaded server can take a while to notice the dead session.
      for (let attempt = 0; attempt < 300 && held.size > 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        held = await storage.heldRuns([runId]);
      }
      expect(held).toEqual(new Set());
      await (await storage.holdRun(runId)).release();
    } finally {
      child.kill('SIGKILL');
      await storage.close();
    }
  }, 60_000);

  it('never shows the password: not in location, not in errors', async () => {
    const secret = 'S3cr3t-pa55word';
    const withPassword = new URL(url);
    withPassword.password = secret;
    // Trust authentication ignores the password, so this connects.
    const storage = await openTestStorage(freshSchema(), { url: withPassword.toString() });
    try {
      expect(storage.location).not.toContain(secret);
      expect(storage.location).toContain(withPassword.host);
    } finally {
      await storage.close();
    }

    const unreachable = new URL(withPassword);
    unreachable.port = '1';
    const failure = await openStorage({ url: unreachable.toString(), schema: 'unused' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'storage_unreachable' });
    expect((failure as Error).message).toContain('cannot connect to PostgreSQL at');
    expect((failure as Error).message).toContain('DATABASE_URL');
    expect((failure as Error).message).not.toContain(secret);
    expect(JSON.stringify(failure)).not.toContain(secret);
  });

  it('uses DATABASE_URL and LLM_LAB_DB_SCHEMA from the environment', async () => {
    const schemaName = freshSchema();
    const storage = await openStorage({ env: { DATABASE_URL: url, LLM_LAB_DB_SCHEMA: schemaName } });
    try {
      expect(storage.kind).toBe('postgres');
      expect(storage.schema).toBe(schemaName);
    } finally {
      await storage.close();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openStorage({ url, schema: 'Robert"; DROP TABLE runs;--' })).rejects.toMatchObject({
      code: 'storage_invalid_option',
    });
  });
});
