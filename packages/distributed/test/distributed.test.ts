import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLab, type Lab, type ResultRecord } from '@llm-lab/lab';
import type PgBoss from 'pg-boss';
import { followRun, openQueue, submitRun } from '../src/index.js';
import { DATABASE_URL, dropSchemas, startChildWorker } from './helpers.js';

// A run queued in shards and executed by two worker processes is the same run as one executed
// locally: the same stored results, the same summary.

const id = `${process.pid}_${Date.now().toString(36)}`;
const schema = `dist_same_${id}`;
const queueSchema = `dist_same_q_${id}`;
const queue = 'shards';

const rows = Array.from({ length: 30 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) }));

const config = {
  description: 'distributed',
  providers: [
    { id: 'mock:good', config: { mode: 'field', field: 'answer', accuracy: 0.8, seed: 1 } },
    {
      id: 'mock:flaky',
      config: { mode: 'field', field: 'answer', accuracy: 0.9, errorRate: 0.2, errorMode: 'persistent', seed: 2 },
      retry: { maxAttempts: 1 },
      breaker: { enabled: false },
    },
  ],
  prompts: ['{{question}}', 'Q: {{question}}'],
  dataset: { rows },
  evaluators: [{ type: 'equals', value: '{{answer}}' }],
  run: { repeat: 2 },
  // Every answer a fresh call, so both ways of running make the same calls.
  cache: { kind: 'none' },
};

function comparable(result: ResultRecord) {
  const { caseId, caseIndex, providerId, promptId, repeat, output, passed, scores, errorKind, errorMessage, attempts, inputTokens, outputTokens } = result;
  return { caseId, caseIndex, providerId, promptId, repeat, output, passed, scores, errorKind, errorMessage, attempts, inputTokens, outputTokens };
}

function withoutTimings(summary: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).filter(([key]) => !/latency|timeToFirstToken|queue/i.test(key)));
}

async function resultsOf(lab: Lab, runId: string) {
  const all: ResultRecord[] = [];
  for await (const result of lab.eachResult({ runId })) all.push(result);
  return all.map(comparable);
}

describe('a run with --distributed and two workers', () => {
  let lab: Lab;
  let boss: PgBoss;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-distributed-'));
    file = join(dir, 'llm-lab.json');
    await writeFile(file, JSON.stringify(config));
    lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
    boss = await openQueue({ databaseUrl: DATABASE_URL, schema: queueSchema, maintenanceSeconds: 1 }, queue);
  }, 60_000);
  afterAll(async () => {
    await boss?.stop({ graceful: false, wait: true });
    await lab?.close();
    await dropSchemas(schema, queueSchema);
  });

  it('stores the same results and summary as a local run', async () => {
    const local = await lab.run(file, { concurrency: 4 });

    const submitted = await submitRun(lab, boss, { config: file, queue, shardSize: 7 });
    // 30 cases in shards of 7: 5 shards, the last one to the end of the dataset.
    expect(submitted.jobIds).toHaveLength(5);
    expect((await lab.getRun(submitted.runId))?.run.status).toBe('planned');
    const workers = await Promise.all(
      ['a', 'b'].map((name) => startChildWorker(dir, { cwd: dir, schema, queueSchema, queue, name: `worker-${name}`, concurrency: 3 })),
    );
    const seen: number[] = [];
    const outcome = await followRun(lab, boss, {
      runId: submitted.runId,
      plan: submitted.plan,
      config: file,
      queue,
      queueSchema,
      intervalMs: 100,
      onProgress: (progress) => seen.push(progress.results),
    });
    for (const worker of workers) worker.process.kill('SIGTERM');
    const exits = await Promise.all(workers.map((worker) => worker.exited));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);

    expect(outcome.status).toBe('completed');
    if (outcome.status !== 'completed') return;
    const { report } = outcome;
    expect(report.totals).toEqual(local.totals);
    expect(report.providers.map(withoutTimings)).toEqual(local.providers.map(withoutTimings));
    expect(report.thresholds).toEqual(local.thresholds);
    expect(report.warnings).toEqual([]);
    const distributed = await resultsOf(lab, submitted.runId);
    expect(distributed).toHaveLength(240);
    expect(distributed).toEqual(await resultsOf(lab, local.runId));
    // Stored as any run: `runs show` reads it like a local one.
    expect((await lab.getRun(submitted.runId))?.run).toMatchObject({ status: 'completed', totals: local.totals });
    // Progress counted up to every result.
    expect(seen.at(-1)).toBe(240);

    // Every shard was done once, by one of the two workers, and each worker's events say so.
    const done = workers.flatMap((worker) => worker.events.filter((event) => event.type === 'shard-done'));
    expect(done.map((event) => event.shard).sort()).toEqual([0, 1, 2, 3, 4]);
    const computed = done.reduce((sum, event) => sum + (event.output as { executed: number }).executed, 0);
    expect(computed).toBe(240);
  }, 180_000);
});
