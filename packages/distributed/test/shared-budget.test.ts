import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import type PgBoss from 'pg-boss';
import { followRun, openQueue, submitRun } from '../src/index.js';
import { DATABASE_URL, dropSchemas, startChildWorker, type ChildWorker } from './helpers.js';

// Two workers against a provider that allows 5 requests a second: with REDIS_URL they keep one
// budget between them (~3.3 a second, each alone would send that, ~6.7 together), and share one
// response cache, so a second run of the same config pays for nothing. The budget is set a third
// under the server's window: calls are admitted on schedule by the shared limiter but sent by
// processes sharing the machine's cores, and a busy machine can send two of them closer together
// than they were admitted (at exactly 5 a second, one late call was a 429 at the window's edge).
// Only sharing keeps the refusals this low: with a budget each (unshared), two runs met 10 429s.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const id = `${process.pid}_${Date.now().toString(36)}`;
const schema = `dist_shared_${id}`;
const queueSchema = `dist_shared_q_${id}`;
const queue = 'shards';
const CASES = 30;
/** 429s the spaced budget may still meet at the server's window edges (calls admitted together, sent apart). */
const TOLERATED_429S = 3;

describe('workers sharing Redis', () => {
  let lab: Lab;
  let boss: PgBoss;
  let dir: string;
  let server: FakeOpenAIServer;
  let file: string;
  const workers: ChildWorker[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-distributed-shared-'));
    server = await startFakeOpenAIServer({ apiKey: 'sk-fake-shared', rpmLimit: 5, rpmWindowMs: 1000 });
    // The key travels as a reference: each process resolves it from its own environment.
    process.env.LLM_LAB_TEST_OPENAI_KEY = 'sk-fake-shared';
    file = join(dir, 'llm-lab.json');
    await writeFile(
      file,
      JSON.stringify({
        providers: [
          {
            id: 'openai:gpt-4o-mini',
            config: { baseURL: server.url, apiKey: '${LLM_LAB_TEST_OPENAI_KEY}', maxRetries: 0 },
            // The provider's limit as configured (200 a minute, ~3.3 a second), spaced evenly; a 429 is retried.
            rateLimit: { rpm: 200 },
            concurrency: { max: 4, adaptive: false },
            retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 400 },
          },
        ],
        prompts: ['{{question}}'],
        dataset: { rows: Array.from({ length: CASES }, (_, i) => ({ id: `q${i}`, question: `Say ${i}`, answer: `${i}` })) },
        evaluators: [{ type: 'contains', value: '{{answer}}' }],
        cache: { kind: 'redis', url: REDIS_URL, keyPrefix: `llm-lab-test:cache:${id}:` },
      }),
    );
    lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
    boss = await openQueue({ databaseUrl: DATABASE_URL, schema: queueSchema, maintenanceSeconds: 1 }, queue);
    const env = { REDIS_URL, LLM_LAB_RATE_LIMIT_PREFIX: `llm-lab-test:rate:${id}:`, LLM_LAB_TEST_OPENAI_KEY: 'sk-fake-shared' };
    for (const name of ['one', 'two']) workers.push(await startChildWorker(dir, { cwd: dir, schema, queueSchema, queue, name, concurrency: 4 }, env));
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) worker.process.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await boss?.stop({ graceful: false, wait: true });
    await lab?.close();
    await server?.close();
    delete process.env.LLM_LAB_TEST_OPENAI_KEY;
    await dropSchemas(schema, queueSchema);
  });

  const distributedRun = async () => {
    const submitted = await submitRun(lab, boss, { config: file, queue, shardSize: 3 });
    const outcome = await followRun(lab, boss, { runId: submitted.runId, plan: submitted.plan, config: file, queue, queueSchema, intervalMs: 200 });
    if (outcome.status !== 'completed') throw new Error(`the run ended ${outcome.status}: ${JSON.stringify(outcome)}`);
    return outcome.report;
  };

  it('keeps one rate budget for both workers and pays once for each request', async () => {
    const first = await distributedRun();
    expect(first.totals).toMatchObject({ results: CASES, passed: CASES, errors: 0 });
    // Both workers took shards.
    for (const worker of workers) expect(worker.events.some((event) => event.type === 'shard-done')).toBe(true);
    const sent = server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
    // Every request the server refused (its 5-a-second window) was sent again: sent = answered + refused.
    const refused = sent - CASES;
    expect(refused).toBeLessThanOrEqual(TOLERATED_429S);

    // The same config again: every answer comes from the cache the workers share.
    const second = await distributedRun();
    expect(second.totals).toMatchObject({ results: CASES, passed: CASES, errors: 0 });
    expect(server.requests.filter((request) => request.path.endsWith('/chat/completions')).length).toBe(sent);
  }, 180_000);
});
