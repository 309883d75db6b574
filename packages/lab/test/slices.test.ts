import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LabConfigInput } from '@llm-lab/core';
import type { ManagerEvent, ManagerEvents } from '@llm-lab/provider-manager';
import { dropSchema } from './helpers.js';
import { createLab, slicePlan, type Lab, type ResultRecord } from '../src/index.js';

// A run is plan → execute → record: a plan stored with the run, executed in slices by separate
// processes, is the same run as one executed by a single process.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_slices_${process.pid}_${Date.now().toString(36)}`;
const worker = fileURLToPath(new URL('./fixtures/execute-slice.mjs', import.meta.url));

const rows = Array.from({ length: 30 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) }));

function config(): LabConfigInput {
  return {
    description: 'sliced',
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
}

interface WorkerOutcome {
  status: string;
  cases: number;
  executed: number;
  skipped: number;
  written: number;
  calls: number;
  sources: string[];
  pid: number;
}

/** Runs one slice in a child process; resolves with what it printed. */
async function executeInChild(dir: string, name: string, request: Record<string, unknown>): Promise<WorkerOutcome> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(request));
  const child = spawn(process.execPath, [worker, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`slice process ${name} exited with ${code}: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as WorkerOutcome;
}

/** What a result says, without what differs between runs (ids, timings). */
function comparable(result: ResultRecord) {
  const { caseId, caseIndex, providerId, promptId, repeat, output, passed, scores, errorKind, errorMessage, attempts, inputTokens, outputTokens } = result;
  return { caseId, caseIndex, providerId, promptId, repeat, output, passed, scores, errorKind, errorMessage, attempts, inputTokens, outputTokens };
}

/** A summary without its latency figures. */
function withoutTimings(summary: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).filter(([key]) => !/latency|timeToFirstToken|queue/i.test(key)));
}

describe('a plan executed in slices by separate processes', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-slices-'));
    lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
  });
  afterAll(async () => {
    await lab.close();
    await dropSchema(DATABASE_URL, schema);
  });

  it('stores the same results and summary as one process running it whole', async () => {
    const whole = await lab.run(config(), { concurrency: 4 });

    const { runId, plan } = await lab.plan(config());
    expect(plan).toMatchObject({ version: 1, runId, providers: ['mock:good', 'mock:flaky'], repeat: 2, cases: 30, limit: null });
    expect(plan.prompts).toHaveLength(2);
    // The plan is what the run row stores: plain JSON, a few hundred bytes however many cases.
    const storedPlan = ((await lab.getRun(runId))?.run.resolvedConfig as { plan?: unknown }).plan;
    expect(storedPlan).toEqual(plan);

    const [first, second] = slicePlan(plan, 2);
    expect(first).toEqual({ fromCase: 0, toCase: 15 });
    expect(second).toEqual({ fromCase: 15, toCase: null });
    const request = { cwd: dir, databaseUrl: DATABASE_URL, schema, runId, config: config() };
    // Both processes write the run at once.
    const outcomes = await Promise.all([
      executeInChild(dir, 'first', { ...request, slice: first }),
      executeInChild(dir, 'second', { ...request, slice: second }),
    ]);
    expect(outcomes[0]?.pid).not.toBe(outcomes[1]?.pid);
    // 15 cases × 2 prompts × 2 providers × 2 repeats each, every call observed and named by the run.
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'completed', cases: 15, executed: 120, skipped: 0, written: 120, calls: 120, sources: [`run:${runId}`] });
    }

    const sliced = await lab.record(runId, config());
    expect(sliced.status).toBe('completed');
    expect(sliced.warnings).toEqual([]);
    expect(sliced.totals).toEqual(whole.totals);
    // Everything but timings, which differ between any two executions.
    expect(sliced.providers.map(withoutTimings)).toEqual(whole.providers.map(withoutTimings));
    expect(sliced.providers.map(withoutTimings).flatMap((summary) => Object.keys(summary))).toContain('accuracy');
    expect(sliced.thresholds).toEqual(whole.thresholds);

    const resultsOf = async (id: string) => {
      const all: ResultRecord[] = [];
      for await (const result of lab.eachResult({ runId: id })) all.push(result);
      return all.map(comparable);
    };
    const wholeResults = await resultsOf(whole.runId);
    const slicedResults = await resultsOf(runId);
    expect(slicedResults).toHaveLength(240);
    expect(slicedResults).toEqual(wholeResults);
    expect((await lab.getRun(runId))?.run).toMatchObject({ status: 'completed', totals: whole.totals });
  }, 180_000);

  it('skips what a slice already stored when it is executed again (its process died)', async () => {
    const { runId, plan } = await lab.plan(config(), { limit: 6 });
    // Planned and waiting for slices: not mistaken for an interrupted run.
    expect((await lab.getRun(runId))?.run.status).toBe('planned');
    const [first] = slicePlan(plan, 2);
    // A slice holds its run while it executes, shared with the other slices: the run shows as
    // running, and it cannot be recorded (its results would be left out) or claimed whole.
    const storage = await lab.openStorage();
    const codeOf = (claim: Promise<unknown>) =>
      claim.then(
        () => 'done',
        (error: { code?: string }) => error.code,
      );
    const otherSlice = await storage.holdRun(runId, { shared: true });
    expect((await lab.getRun(runId))?.run.status).toBe('running');
    expect(await codeOf(lab.record(runId, config()))).toBe('run_in_progress');
    const once = await lab.execute(runId, config(), { slice: first, concurrency: 2 });
    expect(once).toMatchObject({ cases: 3, executed: 24, skipped: 0 });
    await otherSlice.release();
    // A process holding the run whole keeps slices out.
    const whole = await storage.holdRun(runId);
    expect(await codeOf(lab.execute(runId, config(), { slice: first, concurrency: 2 }))).toBe('run_in_progress');
    await whole.release();
    expect((await lab.getRun(runId))?.run.status).toBe('planned');
    const again = await lab.execute(runId, config(), { slice: first, concurrency: 2 });
    expect(again).toMatchObject({ cases: 3, executed: 0, skipped: 24 });
    // The second slice was never executed: recording says so.
    const report = await lab.record(runId, config());
    expect(report.totals.results).toBe(24);
    expect(report.warnings).toEqual([expect.stringMatching(/^24 of the 48 planned results are stored/)]);
  }, 120_000);
});

describe('lab.observe', () => {
  it('sees every call of two consecutive runs through the one manager of the lab', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-observe-'));
    const observeSchema = `${schema}_observe`;
    const lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: observeSchema });
    const ends: Array<ManagerEvents['request-end']> = [];
    const starts: Array<ManagerEvents['request-start']> = [];
    const stop = lab.observe({ 'request-start': (event) => starts.push(event), 'request-end': (event) => ends.push(event) });
    // Or one function for every event, named by its type.
    const every: ManagerEvent[] = [];
    const stopEvery = lab.observe((event) => every.push(event));
    try {
      const first = await lab.run(config(), { concurrency: 4, limit: 5 });
      const managerOfFirst = lab.manager;
      const second = await lab.run({ ...config(), providers: ['mock:echo'] }, { concurrency: 2, limit: 4 });
      expect(lab.manager).toBe(managerOfFirst);
      // 5 cases × 2 prompts × 2 providers × 2 repeats, then 4 × 2 × 1 × 2.
      const byRun = (runId: string) => ends.filter((event) => event.source === `run:${runId}`);
      expect(byRun(first.runId)).toHaveLength(40);
      expect(byRun(second.runId)).toHaveLength(16);
      expect(ends).toHaveLength(56);
      expect(new Set(ends.map((event) => event.requestId)).size).toBe(56);
      expect(new Set(starts.map((event) => event.requestId))).toEqual(new Set(ends.map((event) => event.requestId)));
      // Each call says what it was; the flaky provider's failures say their class.
      const flaky = byRun(first.runId).filter((event) => event.providerId === 'mock:flaky');
      expect(flaky.length).toBe(20);
      expect(flaky.every((event) => event.provider === 'mock' && event.model === 'flaky')).toBe(true);
      const failed = flaky.filter((event) => event.errorKind !== undefined);
      expect(failed.length).toBe(first.providers.filter((summary) => summary.providerId === 'mock:flaky').reduce((sum, summary) => sum + summary.errors, 0));
      expect(failed.every((event) => event.errorKind === 'server' && event.attempts === 1)).toBe(true);
      const answered = ends.filter((event) => event.errorKind === undefined);
      expect(answered.every((event) => event.usage !== undefined && event.cached === false && typeof event.latencyMs === 'number')).toBe(true);
      expect(every.filter((event) => event.type === 'request-end')).toHaveLength(56);
      expect(every.filter((event) => event.type === 'request-start')).toHaveLength(56);
      stop();
      stopEvery();
      await lab.run({ ...config(), providers: ['mock:echo'] }, { limit: 1 });
      expect(ends).toHaveLength(56);
    } finally {
      await lab.close();
      await dropSchema(DATABASE_URL, observeSchema);
    }
  }, 120_000);
});
