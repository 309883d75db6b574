import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { followRun, openQueue, submitRun } from '@llm-lab/distributed';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import pg from 'pg';
import { BIN, cleanEnv, dropSchema } from './helpers.js';

// The distributed run's promise, end to end: three `llm-lab worker` processes share 5,000 cases
// of a provider that enforces a requests-per-minute limit (429 with OpenAI's error body and
// retry-after headers past it), one of them is killed with SIGKILL mid-run, and the run still
// ends with every result stored exactly once and no more 429s than the shared limiter's
// documented tolerance (docs/distributed.md, "One rate budget, one cache").

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const id = `${process.pid}_${Date.now().toString(36)}`;
const schema = `cli_dist_kill_${id}`;
const queueSchema = `cli_dist_kill_q_${id}`;
const queue = 'llm-lab-shards';
const CASES = 5_000;
/** The fake vendor's limit: WINDOW_LIMIT requests in any WINDOW_MS (a sliding window, as OpenAI's per-minute limit, shortened). */
const WINDOW_MS = 10_000;
const WINDOW_LIMIT = 800;
/** The config's `rateLimit.rpm`: 95% of the vendor's limit (the margin docs/distributed.md asks for). */
const RPM = Math.floor(((WINDOW_LIMIT * 60_000) / WINDOW_MS) * 0.95);
/**
 * The tolerance docs/distributed.md states for `rpm` at 95% of the vendor's limit: 429s only
 * from calls held up longer than the margin between admission and arrival, at most 1% of calls.
 */
const TOLERATED_429S = CASES / 100;
const KEY = 'sk-fake-distributed-kill';

interface Child {
  process: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(dir: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '8'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('waiting for shards')) resolve({ process: child, log: () => log, exited });
    });
    void exited.then(({ code, signal }) => reject(new Error(`a worker exited (${code ?? signal}) before it was ready: ${log}`)));
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('a distributed run of 5,000 cases over three worker processes, one killed', () => {
  let lab: Lab;
  let boss: Awaited<ReturnType<typeof openQueue>>;
  let server: FakeOpenAIServer;
  let dir: string;
  let file: string;
  let sql: pg.Client;
  const workers: Child[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-distributed-kill-'));
    server = await startFakeOpenAIServer({ apiKey: KEY, rpmLimit: WINDOW_LIMIT, rpmWindowMs: WINDOW_MS, maxRecordedRequests: 100 });
    file = join(dir, 'llm-lab.json');
    await writeFile(
      file,
      JSON.stringify({
        providers: [
          {
            id: 'openai:gpt-4o-mini',
            config: { baseURL: server.url, apiKey: '${LLM_LAB_TEST_OPENAI_KEY}', maxRetries: 0 },
            rateLimit: { rpm: RPM },
            retry: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 },
          },
        ],
        prompts: ['{{question}}'],
        dataset: { rows: Array.from({ length: CASES }, (_, i) => ({ id: `q${i}`, question: `Say ${i}`, answer: `${i}` })) },
        evaluators: [{ type: 'contains', value: '{{answer}}' }],
        cache: { kind: 'none' },
      }),
    );
    // The key travels as a reference: each process resolves it from its own environment.
    process.env.LLM_LAB_TEST_OPENAI_KEY = KEY;
    lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
    // The submitter looks for expired shards every second (a worker's default is 30 s).
    boss = await openQueue({ databaseUrl: DATABASE_URL, schema: queueSchema, maintenanceSeconds: 1 }, queue);
    sql = new pg.Client({ connectionString: DATABASE_URL });
    await sql.connect();
    const env = cleanEnv({
      DATABASE_URL,
      LLM_LAB_DB_SCHEMA: schema,
      LLM_LAB_QUEUE_SCHEMA: queueSchema,
      REDIS_URL,
      LLM_LAB_RATE_LIMIT_PREFIX: `llm-lab-test:rate:${id}:`,
      LLM_LAB_TEST_OPENAI_KEY: KEY,
    });
    for (let index = 0; index < 3; index++) workers.push(await startWorker(dir, env));
  }, 120_000);
  afterAll(async () => {
    for (const worker of workers) worker.process.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await sql?.end();
    await boss?.stop({ graceful: false, wait: true });
    await lab?.close();
    await server?.close();
    delete process.env.LLM_LAB_TEST_OPENAI_KEY;
    await dropSchema(DATABASE_URL, schema);
    await dropSchema(DATABASE_URL, queueSchema);
  });

  it('stores every result once and keeps within the shared rate limit', async () => {
    // Shards of 100 cases with a 30 s lease: a shard takes a few seconds, well inside it.
    const submitted = await submitRun(lab, boss, { config: file, queue, shardSize: 100, shardTimeoutSeconds: 30 });
    expect(submitted.jobIds).toHaveLength(50);
    const following = followRun(lab, boss, { runId: submitted.runId, plan: submitted.plan, config: file, queue, queueSchema, intervalMs: 250 });

    // Killed mid-run, while it holds a shard and a fifth of the results are stored.
    const doomed = workers[0] as Child;
    const doomedName = `:${doomed.process.pid}`;
    const holds = async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "${queueSchema}".job WHERE name = $1 AND state = 'active' AND output->>'worker' LIKE $2`, [queue, `%${doomedName}`]);
      return (rows[0] as { n: number }).n > 0;
    };
    await until(async () => (await lab.countResults(submitted.runId)) >= CASES / 5 && (await holds()));
    doomed.process.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const atKill = await lab.countResults(submitted.runId);
    expect(atKill).toBeLessThan(CASES);

    const outcome = await following;
    expect(outcome.status).toBe('completed');
    if (outcome.status !== 'completed') return;
    expect(outcome.report.totals).toMatchObject({ results: CASES, passed: CASES, errors: 0 });

    // Exactly 5,000 results, one per identity (the unique key), one per case.
    const { rows } = await sql.query(
      `SELECT count(*)::int AS results, count(DISTINCT (case_id, provider_id, prompt_id, repeat))::int AS identities, count(DISTINCT case_index)::int AS cases
         FROM "${schema}".results WHERE run_id = $1`,
      [submitted.runId],
    );
    expect(rows[0]).toEqual({ results: CASES, identities: CASES, cases: CASES });

    // The killed worker's shard went to another worker once its lease ran out (a second attempt).
    const { rows: retried } = await sql.query(
      `SELECT count(*)::int AS n FROM (SELECT retry_count FROM "${queueSchema}".job WHERE name = $1 UNION ALL SELECT retry_count FROM "${queueSchema}".archive WHERE name = $1) AS shards WHERE retry_count > 0`,
      [queue],
    );
    expect((retried[0] as { n: number }).n).toBeGreaterThanOrEqual(1);
    expect(workers.slice(1).some((worker) => /took run-\S+ shard \d+\/50 \(attempt 2\)/.test(worker.log()))).toBe(true);

    // Within the limiter's tolerance: the vendor refused at most 1% of the calls.
    expect(server.stats.rateLimited).toBeLessThanOrEqual(TOLERATED_429S);
    // Every call answered was sent once more at most for each refusal (and the killed worker's lost calls).
    expect(server.stats.requests).toBeGreaterThanOrEqual(CASES);
  }, 240_000);
});
