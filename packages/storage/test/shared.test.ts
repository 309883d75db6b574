import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { eachResult, openStorage, type ResultRecord, type Storage } from '../src/index.js';

const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-shared-'));
const writerScript = fileURLToPath(new URL('./fixtures/shared-writer.mjs', import.meta.url));
const builtEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** A safety net, not a measure: every process here opens PGlite, seconds each on a busy machine. */
const TIMEOUT_MS = 600_000;

interface Writer {
  child: ChildProcessWithoutNullStreams;
  events: Array<{ event: string; done?: number; stored?: number; pid?: number }>;
  /** Resolves once the writer has printed an event of this name. */
  reached(event: string, done?: number): Promise<void>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts a process that writes `count` results of run `runId` into `dataDir` (test/fixtures/shared-writer.mjs). */
function startWriter(dataDir: string, runId: string, count: number, options: { holdOpen?: boolean; batch?: number; pauseAt?: number } = {}): Writer {
  const child = spawn(process.execPath, [writerScript, dataDir, runId, String(count), String(options.batch ?? 10)], {
    env: {
      ...process.env,
      LLM_LAB_TEST_HOLD_OPEN: options.holdOpen ? '1' : '0',
      LLM_LAB_TEST_PAUSE_AT: String(options.pauseAt ?? -1),
      DATABASE_URL: '',
    },
  });
  const events: Writer['events'] = [];
  const waiters: Array<() => void> = [];
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    let newline: number;
    while ((newline = stdout.indexOf('\n')) >= 0) {
      events.push(JSON.parse(stdout.slice(0, newline)) as Writer['events'][number]);
      stdout = stdout.slice(newline + 1);
      for (const waiter of waiters.splice(0)) waiter();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const reached = (event: string, done?: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (events.some((seen) => seen.event === event && (done === undefined || (seen.done ?? 0) >= done))) return resolve();
        waiters.push(check);
      };
      void exited.then((code) => {
        if (!events.some((seen) => seen.event === event)) reject(new Error(`writer ${runId} exited (${code}) before "${event}": ${stderr}`));
      });
      check();
    });
  return { child, events, reached, exited, stderr: () => stderr };
}

/** Every result of a run, read page by page. */
async function allResults(storage: Storage, runId: string, pageSize = 50): Promise<ResultRecord[]> {
  const all: ResultRecord[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await storage.listResults(runId, { limit: pageSize, offset });
    all.push(...page);
    if (page.length < pageSize) return all;
  }
}

/** What a writer stored for result `index` of `runId` (see the fixture). */
const expectedOutput = (runId: string, index: number) => `answer ${index} from ${runId}`;

function expectComplete(results: ResultRecord[], runId: string, count: number): void {
  expect(results).toHaveLength(count);
  const byIndex = new Map(results.map((result) => [result.caseIndex, result]));
  for (let index = 0; index < count; index += 1) expect(byIndex.get(index)?.output).toBe(expectedOutput(runId, index));
}

const servedPid = (dataDir: string): number | undefined =>
  existsSync(join(dataDir, 'llm-lab.served.json'))
    ? (JSON.parse(readFileSync(join(dataDir, 'llm-lab.served.json'), 'utf8')) as { pid: number }).pid
    : undefined;

describe('an embedded data folder shared by several processes', () => {
  it.each([2, 3])('%i processes write runs at once into a new folder, and every result is there', async (processes) => {
    expect(existsSync(builtEntry)).toBe(true); // run `pnpm run build` first: the writers use dist/
    const dataDir = join(workDir, `writers-${processes}`);
    const runIds = Array.from({ length: processes }, (_, index) => `run-writer-${index}`);
    const writers = runIds.map((runId) => startWriter(dataDir, runId, 200));
    const codes = await Promise.all(writers.map((writer) => writer.exited));
    expect({ codes, stderr: writers.map((writer) => writer.stderr()).filter(Boolean) }).toEqual({ codes: runIds.map(() => 0), stderr: [] });
    // Each writer counted its own results through whichever process served the folder then.
    for (const writer of writers) expect(writer.events.find((event) => event.event === 'done')?.stored).toBe(200);

    const storage = await openStorage({ dataDir, env: {} });
    try {
      expect((await storage.listRuns()).map((run) => [run.id, run.status]).sort()).toEqual(runIds.map((id) => [id, 'completed']));
      for (const runId of runIds) expectComplete(await allResults(storage, runId), runId, 200);
    } finally {
      await storage.close();
    }
    // Nothing is left behind that would make the next process wait for an owner.
    expect(existsSync(join(dataDir, 'llm-lab.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'llm-lab.served.json'))).toBe(false);
  }, TIMEOUT_MS);

  it('pages through a run while another process writes it, then reads it whole', async () => {
    const dataDir = join(workDir, 'reader');
    const writer = startWriter(dataDir, 'run-being-written', 400, { holdOpen: true, batch: 5, pauseAt: 200 });
    await writer.reached('paused');
    // The writer owns the folder; this process is its client.
    const reader = await openStorage({ dataDir, env: {} });
    try {
      expect(servedPid(dataDir)).toBe(writer.child.pid);
      // Half-written: the reader pages through what is there.
      expectComplete(await allResults(reader, 'run-being-written', 64), 'run-being-written', 200);
      writer.child.stdin.write('go on\n');
      const seen: number[] = [];
      let firstPage: ResultRecord[] = [];
      while (!writer.events.some((event) => event.event === 'done')) {
        firstPage = await reader.listResults('run-being-written', { limit: 20, offset: 0 });
        seen.push(await reader.countResults('run-being-written'));
      }
      // It read while the run grew: counts never went down.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.every((count) => count >= 200 && count <= 400)).toBe(true);
      expect(firstPage.map((result) => result.caseIndex)).toEqual(Array.from({ length: 20 }, (_, index) => index));
      expectComplete(await allResults(reader, 'run-being-written', 64), 'run-being-written', 400);
      // The paged reads through the owner's server too: keyset pages, filtered counts, SQL aggregates.
      const keyset: ResultRecord[] = [];
      for await (const result of eachResult(reader, { runId: 'run-being-written' }, 64)) keyset.push(result);
      expect(keyset.map((result) => result.caseIndex)).toEqual(Array.from({ length: 400 }, (_, index) => index));
      expectComplete(keyset, 'run-being-written', 400);
      expect(await reader.countResults('run-being-written', { outcome: 'failed' })).toBe(134);
      expect(await reader.aggregateResults('run-being-written')).toMatchObject({ results: 400, cases: 400, passed: 266, failed: 134, errors: 0 });
      // The writer holds its run; this process sees that, and cannot take it.
      expect(await reader.heldRuns(['run-being-written'])).toEqual(new Set(['run-being-written']));
      await expect(reader.holdRun('run-being-written')).rejects.toMatchObject({ code: 'run_in_progress' });
    } finally {
      writer.child.stdin.write('close\n');
      expect(await writer.exited).toBe(0);
      await reader.close();
    }
  }, TIMEOUT_MS);

  it('takes over when the owner closes, and again when the next owner is killed, without losing a call', async () => {
    const dataDir = join(workDir, 'takeover');
    const first = startWriter(dataDir, 'run-first-owner', 50, { holdOpen: true });
    await first.reached('done');
    const storage = await openStorage({ dataDir, env: {} });
    try {
      const run = await storage.createRun({ config: {}, resolvedConfig: {} });
      expect(servedPid(dataDir)).toBe(first.child.pid);
      // The owner closes while this process writes: its next calls go to the new owner (this process).
      first.child.stdin.write('close\n');
      for (let index = 0; index < 40; index += 1) {
        await storage.insertResults([{ ...sampleOf(run.id, index) }]);
      }
      expect(await first.exited).toBe(0);
      expect(await storage.countResults(run.id)).toBe(40);
      expect(servedPid(dataDir)).toBe(process.pid);
      expect(await storage.countResults('run-first-owner')).toBe(50);
    } finally {
      await storage.close();
    }

    // An owner that is killed (no chance to close): its client finds the folder's lock stale and takes over.
    const second = startWriter(dataDir, 'run-killed-owner', 30, { holdOpen: true });
    await second.reached('done');
    const client = await openStorage({ dataDir, env: {} });
    try {
      expect(servedPid(dataDir)).toBe(second.child.pid);
      expect(await client.heldRuns(['run-killed-owner'])).toEqual(new Set(['run-killed-owner']));
      second.child.kill('SIGKILL');
      await second.exited;
      expect(await client.countResults('run-killed-owner')).toBe(30);
      expect(servedPid(dataDir)).toBe(process.pid);
      // Its hold died with it: the run can be resumed.
      expect(await client.heldRuns(['run-killed-owner'])).toEqual(new Set());
      const hold = await client.holdRun('run-killed-owner');
      await hold.release();
    } finally {
      await client.close();
    }
  }, TIMEOUT_MS);

  it('runs each client request whole: no interleaved statements, and a dropped transaction is rolled back', async () => {
    const dataDir = join(workDir, 'wire');
    const owner = await openStorage({ dataDir, env: {}, worker: false });
    const served = JSON.parse(readFileSync(join(dataDir, 'llm-lab.served.json'), 'utf8')) as { address: { socketDir: string; port: number } };
    const connect = () => new pg.Pool({ host: served.address.socketDir, port: served.address.port, user: 'postgres', database: 'postgres', max: 3 });
    const pools = [connect(), connect(), connect()];
    try {
      // Parameterised queries (Parse/Bind/Execute/Sync on the unnamed statement) from three clients at once.
      const answers = await Promise.all(
        pools.flatMap((pool, client) =>
          Array.from({ length: 30 }, async (_, index) => {
            const { rows } = await pool.query<{ n: number; s: string }>('SELECT $1::int AS n, $2::text AS s', [index, `client ${client}`]);
            return rows[0]?.n === index && rows[0]?.s === `client ${client}`;
          }),
        ),
      );
      expect(answers.every(Boolean)).toBe(true);

      // A client that dies inside a transaction: what it wrote goes, and the others are not blocked.
      const run = await owner.createRun({ config: {}, resolvedConfig: {} });
      const dying = new pg.Client({ host: served.address.socketDir, port: served.address.port, user: 'postgres', database: 'postgres' });
      dying.on('error', () => undefined);
      await dying.connect();
      await dying.query('BEGIN');
      await dying.query(`UPDATE runs SET description = 'uncommitted' WHERE id = $1`, [run.id]);
      (dying as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect((await owner.getRun(run.id))?.description).toBeNull();
      const { rows } = await pools[0]!.query<{ description: string | null }>('SELECT description FROM runs WHERE id = $1', [run.id]);
      expect(rows[0]?.description).toBeNull();
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await owner.close();
    }
  }, TIMEOUT_MS);
});

/** A result like the writer fixture's, written from this process. */
function sampleOf(runId: string, index: number) {
  return {
    runId,
    caseId: `case-${index}`,
    caseIndex: index,
    providerId: 'mock:echo',
    promptId: 'default',
    repeat: 0,
    prompt: [{ role: 'user' as const, content: `question ${index}` }],
    vars: { index },
    output: expectedOutput(runId, index),
    passed: true,
    scores: [],
    latencyMs: index,
    timeToFirstTokenMs: null,
    queueMs: 0,
    inputTokens: 3,
    outputTokens: 2,
    costUsd: 0,
    cached: false,
    attempts: 1,
    answeredBy: 'mock:echo',
    errorKind: null,
    errorMessage: null,
    warnings: null,
  };
}
