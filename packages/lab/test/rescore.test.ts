import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { LabConfigInput } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, rescoredFrom, type Lab } from '../src/index.js';

jest.setTimeout(120_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_rescore_${process.pid}_${Date.now().toString(36)}`;

// The fake server echoes the last user message: even rows say their answer, odd rows do not.
const rows = Array.from({ length: 24 }, (_, i) => ({ id: `c${i}`, question: i % 2 === 0 ? `The answer is ${i * 3}` : `I would rather not say (case ${i})`, answer: String(i * 3) }));

describe('rescore', () => {
  let model: FakeOpenAIServer;
  let judge: FakeOpenAIServer;
  let lab: Lab;
  let folder: string;
  let originalId: string;
  beforeAll(async () => {
    model = await startFakeOpenAIServer();
    judge = await startFakeOpenAIServer();
    // The judge passes an output that states the answer.
    judge.setResponder((body) =>
      JSON.stringify(body.messages).includes('The answer is') ? '{"reason":"states a number","pass":true,"score":1}' : '{"reason":"no number","pass":false,"score":0}',
    );
    folder = await mkdtemp(join(tmpdir(), 'llm-lab-rescore-'));
    lab = createLab({ cwd: folder, databaseUrl: DATABASE_URL, databaseSchema: schema });
    const config: LabConfigInput = {
      description: 'echo quiz',
      providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: model.url, apiKey: 'sk-test-rescore', maxRetries: 0 } }],
      prompts: ['{{question}}'],
      dataset: { rows, idField: 'id' },
      evaluators: [{ type: 'equals', value: '{{answer}}' }],
      run: { concurrency: 4 },
    };
    const report = await lab.run(config, { noCache: true });
    originalId = report.runId;
  });
  afterAll(async () => {
    await lab?.close();
    await model?.close();
    await judge?.close();
    await dropSchema(DATABASE_URL, schema);
  });

  it('re-scores stored outputs with new evaluators, calling no model, as a new run linked to the original', async () => {
    const original = await lab.getRun(originalId);
    // `equals` wanted the bare number; every echoed sentence failed it.
    expect(original?.counts).toMatchObject({ results: 24, passed: 0, failed: 24 });
    const callsBefore = model.requests.length;
    expect(callsBefore).toBe(24);
    const calls: string[] = [];
    const stop = lab.observe((event) => {
      if (event.type === 'request-start') calls.push(event.type);
    });
    const evaluatorsFile = join(folder, 'evaluators.yaml');
    await writeFile(evaluatorsFile, 'evaluators:\n  - type: contains\n    value: "{{answer}}"\nthresholds:\n  minAccuracy: 0.4\n');
    const progress: number[] = [];

    const report = await lab.rescore(originalId.slice(-8), evaluatorsFile, { concurrency: 3, onProgress: (p) => progress.push(p.done) });
    stop();

    // No call to the evaluated model, through the manager or otherwise.
    expect(model.requests.length).toBe(callsBefore);
    expect(calls).toEqual([]);
    expect(report.rescoreOf).toBe(originalId);
    expect(report.runId).not.toBe(originalId);
    expect(report.status).toBe('completed');
    expect(report.totals).toMatchObject({ results: 24, passed: 12, failed: 12, errors: 0, cases: 24 });
    const [summary] = report.providers;
    expect(summary).toMatchObject({ providerId: 'openai:gpt-4o-mini', promptId: 'default', results: 24, passed: 12, accuracy: 0.5 });
    // Intervals as for any run, computed from the stored results.
    expect(summary?.accuracyInterval?.lower).toBeLessThan(0.5);
    expect(summary?.accuracyInterval?.upper).toBeGreaterThan(0.5);
    expect(summary?.evaluators?.map((evaluator) => evaluator.name)).toEqual(['contains']);
    expect(report.thresholds).toEqual({ met: true, failures: [] });
    expect(progress.at(-1)).toBe(24);

    // Stored as a run of its own, linked to the original; the outputs and their call facts are kept.
    const stored = await lab.getRun(report.runId);
    expect(stored?.run.status).toBe('completed');
    expect(rescoredFrom(stored!.run)).toEqual({ of: originalId, evaluatorsFrom: evaluatorsFile });
    expect(stored?.run.configFile).toBe(evaluatorsFile);
    const before = await storedResults(lab, originalId);
    const after = await storedResults(lab, report.runId);
    expect(after.map((result) => [result.caseId, result.output, result.latencyMs, result.inputTokens])).toEqual(
      before.map((result) => [result.caseId, result.output, result.latencyMs, result.inputTokens]),
    );
    expect(after.filter((result) => result.passed).map((result) => result.caseId)).toEqual(rows.filter((_, i) => i % 2 === 0).map((row) => row.id));
    expect(after[1]?.scores[0]).toMatchObject({ name: 'contains', passed: false });
    // The original is untouched.
    expect((await lab.getRun(originalId))?.counts).toMatchObject({ passed: 0, failed: 24 });
    // listRuns shows both, the re-scored one first, with its link.
    const listed = await lab.listRuns({ limit: 2 });
    expect(listed.map((run) => rescoredFrom(run)?.of)).toEqual([originalId, undefined]);
  });

  it('lets a judge score (judge calls only) and refuses to resume the re-scored run', async () => {
    const callsBefore = model.requests.length;
    const judgeCallsBefore = judge.requests.length;
    const report = await lab.rescore(originalId, {
      config: {
        providers: [{ id: 'openai:gpt-4o-mini', label: 'grader', config: { baseURL: judge.url, apiKey: 'sk-test-judge', maxRetries: 0 } }],
        dataset: { rows: [{ unused: 1 }] },
        evaluators: [{ type: 'llm-rubric', rubric: 'The output states a number.', judge: 'grader' }],
      },
    });
    expect(model.requests.length).toBe(callsBefore);
    expect(judge.requests.length - judgeCallsBefore).toBe(24);
    expect(report.totals).toMatchObject({ results: 24, passed: 12, failed: 12 });
    const after = await storedResults(lab, report.runId);
    expect(after[0]?.scores[0]).toMatchObject({ type: 'llm-rubric', passed: true, reason: expect.stringMatching(/states a number/) as unknown });

    await expect(
      lab.run(
        { providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: model.url, apiKey: 'sk-x' } }], dataset: { rows, idField: 'id' }, prompts: ['{{question}}'] },
        { resume: report.runId },
      ),
    ).rejects.toThrow(/re-scored run .*cannot be resumed/);
  });

  it('stops when cancelled, keeping what it scored, and records the run as cancelled', async () => {
    const controller = new AbortController();
    const report = await lab.rescore(originalId, [{ type: 'contains', value: '{{answer}}' }], {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.done === 5) controller.abort();
      },
    });
    expect(report.status).toBe('cancelled');
    expect(report.totals.results).toBeGreaterThanOrEqual(5);
    expect(report.totals.results).toBeLessThan(24);
    expect((await storedResults(lab, report.runId)).length).toBe(report.totals.results);
    expect((await lab.getRun(report.runId))?.run.status).toBe('cancelled');
  });

  it('names the run and the file when they are wrong', async () => {
    await expect(lab.rescore('run-does-not-exist', [{ type: 'equals', value: 'x' }])).rejects.toThrow(/No run 'run-does-not-exist' to re-score/);
    const bad = join(folder, 'bad.yaml');
    await writeFile(bad, 'evaluators: []\n');
    await expect(lab.rescore(originalId, bad)).rejects.toThrow(/bad\.yaml.*evaluators.*at least one evaluator/s);
    const unknown = join(folder, 'unknown.yaml');
    await writeFile(unknown, '- type: equals\n  value: x\n- type: no-such-evaluator\n');
    await expect(lab.rescore(originalId, unknown)).rejects.toThrow(/evaluators\[1\]/);
  });
});
