import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CONTRACT_VERSION, MockProvider, ProviderRegistry, parseConfig, type LabConfigInput } from '@llm-lab/core';
import type { RunRecord, Storage } from '@llm-lab/storage';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, type Lab, type RunOptions, type RunReport } from '../src/index.js';
import { findRunToResume } from '../src/resume.js';

// A resume must finish exactly the work the run set out to do, with the options it was started
// with (--repeat, --limit, --stream), even when they are not given again.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_resume_${process.pid}_${Date.now().toString(36)}`;

const rows = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) }));

function config(): LabConfigInput & { dataset: { rows: Array<Record<string, unknown>> } } {
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
  async function stoppedRun(options: RunOptions, stopAfter: number, input: LabConfigInput = config()): Promise<RunReport> {
    const controller = new AbortController();
    const report = await lab.run(input, {
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
    return (await storedResults(lab, runId)).map((result) => `${result.caseId}#${result.repeat}`);
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
    // One duration: from the run's first start to its last finish, as stored and as reported.
    const started = stored?.run.startedAt.getTime() as number;
    expect(stored?.run.durationMs).toBe((stored?.run.finishedAt?.getTime() as number) - started);
    expect(resumed).toMatchObject({ startedAt: stored?.run.startedAt, finishedAt: stored?.run.finishedAt, durationMs: stored?.run.durationMs });
    expect(started).toBe(stopped.startedAt.getTime());
    expect((stored?.run.resolvedConfig as { runOptions: unknown }).runOptions).toEqual({ repeat: 3, limit: null, stream: false, noCache: true, batch: false });
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
    const results = await storedResults(lab, stopped.runId);
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

  describe('with an edited config', () => {
    const edits: Array<[string, (input: ReturnType<typeof config>) => LabConfigInput, RegExp]> = [
      ['a changed prompt template', (input) => ({ ...input, prompts: ['Answer briefly: {{question}}'] }), /its prompts differ from the run's/],
      ['a changed evaluator', (input) => ({ ...input, evaluators: [{ type: 'contains', value: '{{answer}}' }] }), /its evaluators differ from the run's/],
      [
        'changed inline dataset rows',
        (input) => ({ ...input, dataset: { ...input.dataset, rows: input.dataset.rows.map((row) => ({ ...row, answer: '0' })) } }),
        /its dataset differs from the run's/,
      ],
      [
        'a changed prompt and evaluator',
        (input) => ({ ...input, prompts: ['Q: {{question}}'], evaluators: [{ type: 'contains', value: '{{answer}}' }] }),
        /its prompts and evaluators differ from the run's/,
      ],
    ];

    it.each(edits)('refuses %s, naming it, and runs nothing', async (_name, edit, message) => {
      const stopped = await stoppedRun({}, 3);
      const before = await storedKeys(stopped.runId);
      const refusal = lab.run(edit(config()), { resume: stopped.runId });
      await expect(refusal).rejects.toMatchObject({ code: 'config_resume_mismatch', message: expect.stringMatching(message) });
      await expect(refusal).rejects.toThrow(`Resume with the config the run was started with ('llm-lab runs show ${stopped.runId}' names it), or start a new run`);
      expect(await storedKeys(stopped.runId)).toEqual(before);
      expect((await lab.getRun(stopped.runId))?.run.status).toBe('cancelled');
    });

    it('accepts a changed run.concurrency, thresholds, description, onInvalidRow and provider pace settings, and completes', async () => {
      const stopped = await stoppedRun({}, 3);
      const edited = config();
      const provider = edited.providers[0] as { id: string; config: Record<string, unknown> };
      const resumed = await lab.run(
        {
          ...edited,
          providers: [{ ...provider, config: { ...provider.config, latencyMs: 1 }, retry: { maxAttempts: 5 }, rateLimit: { rpm: 10_000 }, timeoutMs: 30_000 }],
          dataset: { ...edited.dataset, onInvalidRow: 'fail' },
          run: { concurrency: 3 },
          thresholds: { minAccuracy: 0.1 },
          description: 'resumed with a new description',
        },
        { resume: stopped.runId },
      );
      expect(resumed.status).toBe('completed');
      expect(await storedKeys(stopped.runId)).toHaveLength(12);
    });

    it('accepts a changed API key and provider timeout, but not a changed model setting', async () => {
      const input = (apiKey: string, extra: Record<string, unknown> = {}): LabConfigInput => ({
        ...config(),
        providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey, baseURL: 'http://127.0.0.1:9/v1', ...extra }, settings: { temperature: 0 } }],
      });
      // As the lab stores it: parsed, secrets redacted, with its recorded options.
      const stored = parseConfig(input('sk-old-key-0123456789abcdefghij')).config;
      const provider = stored.providers[0] as { config: Record<string, unknown> };
      provider.config.apiKey = '[REDACTED]';
      const run = { id: 'run-keyed', resolvedConfig: { ...stored, runOptions: { repeat: 1, limit: null, stream: false, noCache: false } } } as unknown as RunRecord;
      const storage = { getRun: async () => run } as unknown as Storage;

      const newKey = parseConfig(input('sk-new-key-9876543210zyxwvutsrq', { timeoutMs: 5_000, maxRetries: 2 })).config;
      await expect(findRunToResume(storage, run.id, newKey)).resolves.toBe(run);
      const noKey = parseConfig({ ...input('x'), providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: 'http://127.0.0.1:9/v1' }, settings: { temperature: 0 } }] }).config;
      await expect(findRunToResume(storage, run.id, noKey)).resolves.toBe(run);

      const hotter = parseConfig({ ...input('sk-new-key-9876543210zyxwvutsrq'), defaults: { temperature: 1 } }).config;
      await expect(findRunToResume(storage, run.id, hotter)).rejects.toThrow(/its defaults differ from the run's/);
      const otherServer = parseConfig(input('sk-old-key-0123456789abcdefghij', { baseURL: 'http://127.0.0.1:10/v1' })).config;
      await expect(findRunToResume(storage, run.id, otherServer)).rejects.toThrow(/its providers differ from the run's/);
    });

    it("accepts a plugin's own pace keys changed (the plugin declares them), and nothing else of its config", async () => {
      const registry = new ProviderRegistry().register(
        { name: 'pooled', contractVersion: CONTRACT_VERSION, paceConfigKeys: ['pool'], create: ({ model }) => new MockProvider(model, {}) },
        'llm-lab-provider-pooled',
      );
      const input = (providerConfig: Record<string, unknown>): LabConfigInput => ({ ...config(), providers: [{ id: 'pooled:small', config: providerConfig }] });
      const stored = parseConfig(input({ pool: { connections: 4 }, region: 'eu' })).config;
      const run = { id: 'run-pooled', resolvedConfig: { ...stored, runOptions: { repeat: 1, limit: null, stream: false, noCache: false } } } as unknown as RunRecord;
      const storage = { getRun: async () => run } as unknown as Storage;
      const paceKeysOf = (id: string) => registry.paceConfigKeys(id);

      const morePool = parseConfig(input({ pool: { connections: 64 }, region: 'eu' })).config;
      await expect(findRunToResume(storage, run.id, morePool, paceKeysOf)).resolves.toBe(run);
      // Without the family's word, a key is part of what the run is.
      await expect(findRunToResume(storage, run.id, morePool)).rejects.toThrow(/its providers differ/);
      const otherRegion = parseConfig(input({ pool: { connections: 4 }, region: 'us' })).config;
      await expect(findRunToResume(storage, run.id, otherRegion, paceKeysOf)).rejects.toThrow(/its providers differ/);
    });
  });
});
