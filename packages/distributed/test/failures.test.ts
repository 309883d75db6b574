import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLab, type Lab } from '@llm-lab/lab';
import type PgBoss from 'pg-boss';
import { distributedProgress, followRun, labVersion, openQueue, parseShardJob, startWorker, submitRun } from '../src/index.js';
import { DATABASE_URL, dropSchemas, startChildWorker, until } from './helpers.js';

// What happens to a shard whose worker dies (SIGKILL), is stopped (SIGTERM), or cannot execute it.

let counter = 0;
const queue = 'shards';

/** 24 cases against one provider answering each call after 300 ms: shards of 8 take ~2.4 s at one call at a time. */
function slowConfig() {
  return {
    providers: [{ id: 'mock:slow', config: { mode: 'field', field: 'answer', latencyMs: 300 } }],
    prompts: ['{{question}}'],
    dataset: { rows: Array.from({ length: 24 }, (_, i) => ({ id: `q${i}`, question: `q${i}?`, answer: String(i) })) },
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
    cache: { kind: 'none' },
  };
}

describe('a distributed run when workers fail', () => {
  let lab: Lab;
  let boss: PgBoss;
  let dir: string;
  let schema: string;
  let queueSchema: string;
  beforeEach(async () => {
    counter += 1;
    schema = `dist_fail_${process.pid}_${counter}`;
    queueSchema = `dist_fail_q_${process.pid}_${counter}`;
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-distributed-failures-'));
    lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
    boss = await openQueue({ databaseUrl: DATABASE_URL, schema: queueSchema, maintenanceSeconds: 1 }, queue);
  }, 60_000);
  afterEach(async () => {
    await boss?.stop({ graceful: false, wait: true });
    await lab?.close();
    await dropSchemas(schema, queueSchema);
  });

  async function submitSlow(options: { shardTimeoutSeconds?: number } = {}) {
    const file = join(dir, 'llm-lab.json');
    await writeFile(file, JSON.stringify(slowConfig()));
    const submitted = await submitRun(lab, boss, { config: file, queue, shardSize: 8, retryDelaySeconds: 0, ...options });
    return { file, submitted };
  }

  const worker = (name: string) => startChildWorker(dir, { cwd: dir, schema, queueSchema, queue, name, concurrency: 1 });

  it('takes over the shard of a worker killed mid-shard after its lease, without writing a result twice', async () => {
    // The lease is 6 s: a shard of ~2.4 s finishes well inside it.
    const { file, submitted } = await submitSlow({ shardTimeoutSeconds: 6 });
    const doomed = await worker('doomed');
    const started = await doomed.waitFor((event) => event.type === 'shard-start');
    const shard = started.shard as number;
    // Killed once two of its shard's eight results are stored.
    await until(async () => (await lab.countResults(submitted.runId)) >= 2);
    doomed.process.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const stored = await lab.countResults(submitted.runId);
    expect(stored).toBeLessThan(8);

    const survivor = await worker('survivor');
    const outcome = await followRun(lab, boss, { runId: submitted.runId, plan: submitted.plan, config: file, queue, queueSchema, intervalMs: 200 });
    survivor.process.kill('SIGTERM');
    await survivor.exited;

    expect(outcome.status).toBe('completed');
    // Exactly one result per case: the unique key kept what the killed worker wrote.
    expect(await lab.countResults(submitted.runId)).toBe(24);
    const results = [];
    for await (const result of lab.eachResult({ runId: submitted.runId })) results.push(result.caseIndex);
    expect(new Set(results).size).toBe(24);
    // The survivor took the shard over (its second attempt, after the lease lapsed) and computed only what was missing.
    const takeover = survivor.events.find((event) => event.type === 'shard-done' && event.shard === shard);
    expect(takeover).toMatchObject({ output: { worker: 'survivor', skipped: stored, executed: 8 - stored } });
    expect(survivor.events.find((event) => event.type === 'shard-start' && event.shard === shard)).toMatchObject({ attempt: 2 });
  }, 180_000);

  it('hands the rest of its shard back when a worker is stopped with SIGTERM', async () => {
    const { file, submitted } = await submitSlow();
    const stopping = await worker('stopping');
    const started = await stopping.waitFor((event) => event.type === 'shard-start');
    await until(async () => (await lab.countResults(submitted.runId)) >= 2);
    // The submitter sees who holds the shard.
    const during = await distributedProgress(lab, boss, { runId: submitted.runId, plan: submitted.plan, queue });
    expect(during.shards).toMatchObject({ total: 3, active: 1, queued: 2, completed: 0 });
    expect(during.workers).toEqual([{ worker: 'stopping', shards: 0, active: 1, executed: expect.any(Number) }]);
    stopping.process.kill('SIGTERM');
    const exit = await stopping.exited;
    // A clean stop: the call in flight finished, the shard went back to the queue.
    expect(exit.code).toBe(0);
    const handedBack = stopping.events.find((event) => event.type === 'shard-handed-back');
    expect(handedBack).toMatchObject({ shard: started.shard });
    const kept = handedBack?.executed as number;
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(8);
    // Near its shard's end a worker also holds the next shard (taken two rounds before): handed back too.
    const handedBackAll = stopping.events.filter((event) => event.type === 'shard-handed-back');
    expect(await lab.countResults(submitted.runId)).toBe(handedBackAll.reduce((sum, event) => sum + (event.executed as number), 0));
    expect(stopping.events.at(-1)).toMatchObject({ type: 'stopped', summary: { handedBack: handedBackAll.length, completed: 0 } });

    const next = await worker('next');
    const outcome = await followRun(lab, boss, { runId: submitted.runId, plan: submitted.plan, config: file, queue, queueSchema, intervalMs: 200 });
    next.process.kill('SIGTERM');
    await next.exited;
    expect(outcome.status).toBe('completed');
    expect(await lab.countResults(submitted.runId)).toBe(24);
    // Taken straight back (no lease to wait for), with the handed-back results kept.
    expect(next.events.find((event) => event.type === 'shard-done' && event.shard === started.shard)).toMatchObject({ output: { skipped: kept, executed: 8 - kept } });
  }, 180_000);

  it('marks the run failed with the reason when a shard fails its last attempt', async () => {
    const dataset = join(dir, 'cases.jsonl');
    await writeFile(dataset, `${JSON.stringify({ question: 'a?', answer: 'a' })}\n${JSON.stringify({ question: 'b?', answer: 'b' })}\n`);
    const file = join(dir, 'llm-lab.json');
    await writeFile(file, JSON.stringify({ ...slowConfig(), providers: ['mock:echo'], dataset: { path: 'cases.jsonl' } }));
    const submitted = await submitRun(lab, boss, { config: file, queue, shardSize: 1, attempts: 2, retryDelaySeconds: 0 });
    // The workers cannot read the dataset: every attempt fails.
    await rm(dataset);
    const events: string[] = [];
    const inProcess = startWorker(lab, boss, { queue, pollSeconds: 0.1, name: 'in-process', onEvent: (event) => events.push(event.type) });
    const outcome = await followRun(lab, boss, { runId: submitted.runId, plan: submitted.plan, config: file, queue, queueSchema, intervalMs: 100 });
    await inProcess.stop();
    expect(outcome).toEqual({ status: 'failed', error: expect.stringMatching(/^shard \d failed on its last attempt: .*dataset file not found/) });
    // Two attempts of the shard that failed (the other shard's queued attempts are withdrawn or fail alike).
    expect(events.filter((type) => type === 'shard-failed').length).toBeGreaterThanOrEqual(2);
    const run = (await lab.getRun(submitted.runId))?.run;
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/dataset file not found/) });
  }, 120_000);

  it('a worker of another LLM Lab version refuses the shard and stops, without executing it', async () => {
    const { submitted } = await submitSlow();
    // The run's shards as a newer version would have queued them.
    const [queued] = await boss.fetch<unknown>(queue, { batchSize: 1 });
    const shard = parseShardJob(queued?.data);
    expect(shard?.labVersion).toBe(await labVersion());
    await boss.cancel(queue, submitted.jobIds);
    await boss.insert([{ name: queue, data: { ...shard, labVersion: '99.0.0' }, retryLimit: 0 }]);
    const events: string[] = [];
    const skewed = startWorker(lab, boss, { queue, pollSeconds: 0.1, name: 'skewed', onEvent: (event) => events.push(event.type) });
    const summary = await skewed.done;
    expect(summary.refused).toMatch(/runs LLM Lab .* and run .* was planned by 99\.0\.0; start workers of the run's version/);
    expect(events).toEqual(['shard-start', 'refused']);
    expect(await lab.countResults(submitted.runId)).toBe(0);
  }, 60_000);
});
