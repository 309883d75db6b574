import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openStorage, prestartEmbeddedDatabase, type Storage } from '../src/index.js';
import { describeStorageSuite, sampleResult } from '../src/testing/storage-suite.js';

const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-storage-'));
/** One database for the whole file: PGlite's first start (initdb) takes seconds. */
const dataDir = join(workDir, 'db');
const lockPath = join(dataDir, 'llm-lab.lock');
const builtEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * Time allowed for each test here. A safety net, not a measure: PGlite's first start (initdb)
 * takes seconds on an idle machine and can take minutes on a busy one.
 */
const EMBEDDED_TIMEOUT_MS = 300_000;

describeStorageSuite('PGlite storage (worker thread, the default)', { open: () => openStorage({ dataDir, env: {} }), openTimeoutMs: EMBEDDED_TIMEOUT_MS });
describeStorageSuite('PGlite storage (in the calling thread)', {
  open: () => openStorage({ dataDir: join(workDir, 'db-in-thread'), env: {}, worker: false }),
  openTimeoutMs: EMBEDDED_TIMEOUT_MS,
});

/** Opens the shared folder again (fast: no initdb). */
const reopen = (extra: { schema?: string } = {}): Promise<Storage> => openStorage({ dataDir, env: {}, ...extra });

describe('PGlite in a worker thread', () => {
  it('reports a database that cannot open as a StorageError on its calls, and frees the folder', async () => {
    const folder = join(workDir, 'broken');
    const opened = await openStorage({ dataDir: folder, env: {} });
    await opened.close();
    writeFileSync(join(folder, 'PG_VERSION'), 'not a version\n');
    // Opening continues in the background: the first call reports the failure.
    const broken = await openStorage({ dataDir: folder, env: {} });
    await expect(broken.listRuns()).rejects.toMatchObject({ code: 'storage_open_failed' });
    await expect(broken.createRun({ config: {}, resolvedConfig: {} })).rejects.toThrow(/could not open the embedded database/);
    await broken.close();
    expect(existsSync(join(folder, 'llm-lab.lock'))).toBe(false);
    // In the calling thread, opening itself fails.
    await expect(openStorage({ dataDir: folder, env: {}, worker: false })).rejects.toMatchObject({ code: 'storage_open_failed' });
    expect(existsSync(join(folder, 'llm-lab.lock'))).toBe(false);
  }, EMBEDDED_TIMEOUT_MS);

  it('opens the database in a prestarted worker, in order, and a second open gets a worker of its own', async () => {
    prestartEmbeddedDatabase({});
    const first = await openStorage({ dataDir: join(workDir, 'prestarted-1'), env: {} });
    prestartEmbeddedDatabase({});
    prestartEmbeddedDatabase({}); // one waits already: nothing more is started
    const second = await openStorage({ dataDir: join(workDir, 'prestarted-2'), env: {} });
    const third = await openStorage({ dataDir: join(workDir, 'prestarted-3'), env: {} });
    try {
      for (const [index, storage] of [first, second, third].entries()) {
        // Posted without waiting: the worker runs them in order once the database is open.
        const created = storage.createRun({ id: `prestarted-${index}`, config: {}, resolvedConfig: {} });
        const inserted = storage.insertResults([sampleResult(`prestarted-${index}`)]);
        await Promise.all([created, inserted]);
        expect(await storage.countResults(`prestarted-${index}`)).toBe(1);
        expect((await storage.listRuns()).map((run) => run.id)).toEqual([`prestarted-${index}`]);
      }
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('lets a process end while a prestarted worker waits unused (the storage turned out to be a server)', async () => {
    expect(existsSync(builtEntry)).toBe(true); // run `pnpm run build` first: the child process uses dist/
    // execFile fails if the process is still running after the timeout (generous: a busy machine is slow to start one).
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', `import { prestartEmbeddedDatabase } from ${JSON.stringify(builtEntry)}; prestartEmbeddedDatabase({}); console.log('done');`],
      { timeout: 120_000 },
    );
    expect(stdout.trim()).toBe('done');
  }, EMBEDDED_TIMEOUT_MS);
});

describe('PGlite data folder', () => {
  it('keeps data when an existing folder is reopened, and removes its lock on close', async () => {
    const first = await reopen();
    expect(first.kind).toBe('pglite');
    expect(first.location).toBe(dataDir);
    expect(existsSync(lockPath)).toBe(true);
    const run = await first.createRun({ description: 'survives', config: { a: 1 }, resolvedConfig: {} });
    await first.insertResults([sampleResult(run.id)]);
    await first.close();
    expect(existsSync(lockPath)).toBe(false);
    await first.close(); // closing twice is harmless

    const second = await reopen();
    try {
      expect((await second.getRun(run.id))?.description).toBe('survives');
      expect(await second.countResults(run.id)).toBe(1);
      // Runs written by the shared suite are there too.
      expect((await second.listRuns()).length).toBeGreaterThan(5);
    } finally {
      await second.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('shares the folder with a second open in this process, through the first one', async () => {
    const storage = await reopen();
    try {
      const second = await reopen();
      try {
        const run = await second.createRun({ description: 'through the owner', config: {}, resolvedConfig: {} });
        expect((await storage.getRun(run.id))?.description).toBe('through the owner');
        // The first open still owns the folder and serves it.
        expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
        expect(JSON.parse(readFileSync(join(dataDir, 'llm-lab.served.json'), 'utf8'))).toMatchObject({ pid: process.pid });
      } finally {
        await second.close();
      }
      expect(await storage.listRuns({ limit: 1 })).toHaveLength(1);
    } finally {
      await storage.close();
    }
    // A second open with another schema is refused, naming both.
    const owner = await reopen();
    try {
      const other = reopen({ schema: 'another_schema' });
      await expect(other).rejects.toMatchObject({ code: 'storage_locked' });
      await expect(other).rejects.toThrow(`is open in llm-lab process ${process.pid} with the default schema, and this process asks for schema "another_schema"`);
    } finally {
      await owner.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('shares the folder with another process that holds it, and takes over once that process is gone', async () => {
    expect(existsSync(builtEntry)).toBe(true); // run `pnpm run build` first: the child process uses dist/
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openStorage } from ${JSON.stringify(builtEntry)};
         const storage = await openStorage({ dataDir: ${JSON.stringify(dataDir)}, env: {} });
         await storage.listRuns({ limit: 1 });
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let shared: Storage | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited early (${code}): ${stderr}`)));
      });
      shared = await reopen();
      expect((await shared.listRuns({ limit: 1 })).length).toBe(1);
      expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: holder.pid });
    } finally {
      // A crash: no chance to remove the lock.
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: holder.pid });
    try {
      // The next call finds the owner gone and takes the folder over.
      expect((await shared.listRuns({ limit: 1 })).length).toBe(1);
      expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      await shared.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('takes over a stale lock left by a process that no longer runs', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'console.log(process.pid)']);
    const deadPid = Number(stdout.trim());
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid, hostname: hostname(), processStartedAt: 0, lockedAt: '' }));
    const storage = await reopen();
    try {
      expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      await storage.close();
    }
    // A garbled lock file (e.g. a crash while writing it) is taken over as well.
    writeFileSync(lockPath, '{"pid":');
    await (await reopen()).close();
  }, EMBEDDED_TIMEOUT_MS);

  it('puts tables in a named schema when asked, separate from the default ones', async () => {
    const storage = await reopen({ schema: 'team_a' });
    try {
      expect(storage.schema).toBe('team_a');
      expect(await storage.listRuns()).toEqual([]);
      const run = await storage.createRun({ config: {}, resolvedConfig: {} });
      expect(await storage.insertResults([sampleResult(run.id)])).toBe(1);
    } finally {
      await storage.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('refuses a folder that holds other files, at the default location under cwd', async () => {
    const project = join(workDir, 'project');
    mkdirSync(join(project, '.llm-lab', 'db'), { recursive: true });
    writeFileSync(join(project, '.llm-lab', 'db', 'notes.txt'), 'not a database');
    const failure = openStorage({ cwd: project, env: {} });
    await expect(failure).rejects.toMatchObject({ code: 'storage_not_a_database' });
    await expect(failure).rejects.toThrow(`${join(project, '.llm-lab', 'db')} is not an llm-lab database`);
    // Nothing was written into the folder and no lock is left behind.
    expect(existsSync(join(project, '.llm-lab', 'db', 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(project, '.llm-lab', 'db', 'llm-lab.lock'))).toBe(false);
  });

  it('starts a new database over when its creation was cut short (the process died while unpacking)', async () => {
    const folder = join(workDir, 'interrupted');
    mkdirSync(join(folder, 'llm-lab.unpacking', 'base'), { recursive: true });
    mkdirSync(join(folder, 'global'));
    writeFileSync(join(folder, 'postgresql.conf'), '# half of a database\n');
    const storage = await openStorage({ dataDir: folder, env: {} });
    try {
      const run = await storage.createRun({ config: {}, resolvedConfig: {} });
      expect(await storage.insertResults([sampleResult(run.id)])).toBe(1);
    } finally {
      await storage.close();
    }
    expect(existsSync(join(folder, 'llm-lab.unpacking'))).toBe(false);
    expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
    expect(readFileSync(join(folder, 'postgresql.conf'), 'utf8')).not.toContain('half of a database');
  }, EMBEDDED_TIMEOUT_MS);

  it('opens a database that PGlite made itself (initdb: 16 MB WAL segments, default settings), as older versions did', async () => {
    const folder = join(workDir, 'made-by-initdb');
    const { PGlite } = await import('@electric-sql/pglite');
    await (await PGlite.create(folder)).close();
    const first = await openStorage({ dataDir: folder, env: {} });
    const run = await first.createRun({ config: {}, resolvedConfig: {} });
    expect(await first.insertResults([sampleResult(run.id)])).toBe(1);
    await first.close();
    const second = await openStorage({ dataDir: folder, env: {}, worker: false });
    try {
      expect(await second.countResults(run.id)).toBe(1);
    } finally {
      await second.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('refuses a data path that is a file', async () => {
    const file = join(workDir, 'a-file');
    writeFileSync(file, 'x');
    await expect(openStorage({ dataDir: file, env: {} })).rejects.toMatchObject({ code: 'storage_not_a_database' });
  });
});
