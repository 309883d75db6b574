import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LabConfigInput } from '@llm-lab/core';
import { dropSchema } from './helpers.js';
import { createLab, type Lab, type RunOptions, type RunReport } from '../src/index.js';

// A resume must finish exactly the work the run set out to do, with the options it was started
// with (--repeat, --limit, --stream), even when they are not given again.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_resume_${process.pid}_${Date.now().toString(36)}`;

const rows = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) }));

function config(): LabConfigInput {
  return {
    providers: [{ id: 'mock:slow', config: { mode: 'field', field: 'answer', accuracy: 0.7, seed: 3, latencyMs: 5 } }],
    prompts: ['{{question}}'],
    dataset: { rows, idField: 'id' },
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
  };
}

describe('resuming a run', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-resume-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
  });
  afterAll(async () => {
    await lab.close();
    await dropSchema(DATABASE_URL, schema);
  });

  /** Starts a run with `options` and stops it once `stopAfter` results are in. */
  async function stoppedRun(options: RunOptions, stopAfter: number): Promise<RunReport> {
    const controller = new AbortController();
    const report = await lab.run(config(), {
      ...options,
      concurrency: 2,
      noCache: true,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.done >= stopAfter) controller.abort();
      },
    });
    expect(report.status).toBe('cancelled');
    return report;
  }

  async function storedKeys(runId: string): Promise<string[]> {
    const stored = await lab.getRun(runId);
    return (stored?.results ?? []).map((result) => `${result.caseId}#${result.repeat}`);
  }

  it('finishes every (case, repeat) of a --repeat 3 run resumed without --repeat, with its repeat statistics', async () => {
    const stopped = await stoppedRun({ repeat: 3 }, 5);
    expect((await storedKeys(stopped.runId)).length).toBeLessThan(36);

    // Concurrency only sets the pace: it may differ on resume.
    const resumed = await lab.run(config(), { resume: stopped.runId, concurrency: 8 });
    expect(resumed.status).toBe('completed');
    const keys = await storedKeys(resumed.runId);
    expect(keys).toHaveLength(36);
    expect(new Set(keys)).toEqual(new Set(rows.flatMap((row) => [0, 1, 2].map((repeat) => `${row.id}#${repeat}`))));
    expect(resumed.totals.results).toBe(36);
    // Summarised with the run's repeat (3), not the config's (1): pass@k is there.
    expect(resumed.providers[0]?.repeats).toMatchObject({ repeats: 3, cases: 12 });
    expect(Object.keys(resumed.providers[0]?.repeats?.passAtK ?? {})).toEqual(['1', '2', '3']);
    const stored = await lab.getRun(resumed.runId);
    expect(stored?.run.status).toBe('completed');
    expect((stored?.run.summary as { providers: RunReport['providers'] }).providers[0]?.repeats?.repeats).toBe(3);
    expect((stored?.run.resolvedConfig as { runOptions: unknown }).runOptions).toEqual({ repeat: 3, limit: null, stream: false, noCache: true });
  });

  it('keeps to the --limit of a run resumed without --limit', async () => {
    const stopped = await stoppedRun({ limit: 5 }, 2);
    expect((await storedKeys(stopped.runId)).length).toBeLessThan(5);
    const resumed = await lab.run(config(), { resume: stopped.runId });
    expect(resumed.status).toBe('completed');
    expect((await storedKeys(resumed.runId)).sort()).toEqual(['q0#0', 'q1#0', 'q2#0', 'q3#0', 'q4#0']);
    expect(resumed.totals.results).toBe(5);
  });

  it('keeps streaming a --stream run resumed without --stream', async () => {
    const stopped = await stoppedRun({ stream: true }, 3);
    expect((await storedKeys(stopped.runId)).length).toBeLessThan(12);
    await lab.run(config(), { resume: stopped.runId });
    const results = (await lab.getRun(stopped.runId))?.results ?? [];
    expect(results).toHaveLength(12);
    expect(results.filter((result) => result.timeToFirstTokenMs === null)).toEqual([]);
  });

  it('refuses a --repeat or --limit on resume that differs from the run’s own, and runs nothing', async () => {
    const stopped = await stoppedRun({ repeat: 3, limit: 4 }, 2);
    const before = (await storedKeys(stopped.runId)).length;
    await expect(lab.run(config(), { resume: stopped.runId, repeat: 2 })).rejects.toThrow(
      `Cannot resume ${stopped.runId} with --repeat 2 (the run has --repeat 3): a resume finishes the work the run was started with. ` +
        `Resume without it (the run's own applies), or start a new run (without --resume) to use the new value.`,
    );
    await expect(lab.run(config(), { resume: stopped.runId, limit: 10, repeat: 1 })).rejects.toMatchObject({
      code: 'config_resume_options_mismatch',
      message: expect.stringMatching(/with --repeat 1 \(the run has --repeat 3\), --limit 10 \(the run has --limit 4\).*start a new run/),
    });
    expect((await storedKeys(stopped.runId)).length).toBe(before);
    // The same values again are no contradiction.
    const resumed = await lab.run(config(), { resume: stopped.runId, repeat: 3, limit: 4 });
    expect(resumed.status).toBe('completed');
    expect(await storedKeys(stopped.runId)).toHaveLength(12);
  });

  it('reports repeat statistics for a run with a --repeat the config does not have', async () => {
    const report = await lab.run(config(), { repeat: 3 });
    expect(report.totals.results).toBe(36);
    expect(report.providers[0]?.repeats).toMatchObject({ repeats: 3, cases: 12 });
  });
});
