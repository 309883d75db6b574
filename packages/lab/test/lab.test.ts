import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigError, LabConfigInput } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_test_${process.pid}_${Date.now().toString(36)}`;

const rows = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) }));

function quizConfig(overrides: Partial<LabConfigInput> = {}): LabConfigInput {
  return {
    description: 'arithmetic',
    providers: [
      { id: 'mock:good', config: { mode: 'field', field: 'answer', accuracy: 0.9, seed: 1 } },
      {
        id: 'mock:flaky',
        config: { mode: 'field', field: 'answer', accuracy: 1, errorRate: 0.25, errorMode: 'persistent', seed: 2 },
        retry: { maxAttempts: 1 },
        breaker: { enabled: false },
      },
    ],
    prompts: ['{{question}}'],
    dataset: { rows },
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
    ...overrides,
  };
}

describe('Lab on PostgreSQL', () => {
  let lab: Lab;
  beforeAll(async () => {
    // A working directory of its own: the response cache goes to <cwd>/.llm-lab/cache.
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-lab-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
  });
  afterAll(async () => {
    await lab.close();
    await dropSchema(DATABASE_URL, schema);
  });

  it('runs a config built in code and stores every result', async () => {
    const report = await lab.run(quizConfig(), { concurrency: 4 });
    expect(report.status).toBe('completed');
    const good = report.providers.find((summary) => summary.providerId === 'mock:good');
    const flaky = report.providers.find((summary) => summary.providerId === 'mock:flaky');
    expect(good).toMatchObject({ results: 40, errors: 0 });
    expect(good?.accuracy).toBeGreaterThan(0.7);
    expect(good?.accuracyInterval?.lower).toBeLessThan(good?.accuracy ?? 0);
    // The flaky provider answers right whenever it answers: its errors are not wrong answers.
    expect(flaky?.errors).toBeGreaterThan(0);
    expect(flaky?.accuracy).toBe(1);
    expect(report.totals.results).toBe(80);

    const stored = await lab.getRun(report.runId);
    expect(stored?.run).toMatchObject({ status: 'completed', description: 'arithmetic' });
    expect(stored?.counts).toEqual({ results: 80, passed: report.totals.passed, failed: report.totals.failed, errors: report.totals.errors, from: 'totals' });
    const results = await storedResults(lab, report.runId);
    expect(results).toHaveLength(80);
    const failedCall = results.find((result) => result.errorKind !== null);
    // The label, the provider id behind it, and the model the provider reported.
    expect(results.find((result) => result.providerId === 'mock:flaky' && result.errorKind === null)).toMatchObject({ provider: 'mock:flaky', model: 'flaky' });
    expect(failedCall).toMatchObject({ providerId: 'mock:flaky', errorKind: 'server', passed: null });
    expect(failedCall?.errorMessage).toMatch(/injected server failure/);
    const listed = await lab.listRuns({ limit: 5 });
    expect(listed[0]?.id).toBe(report.runId);
  });

  it('reports a missed accuracy threshold', async () => {
    const report = await lab.run(quizConfig({ thresholds: { minAccuracy: 0.99 } }));
    expect(report.thresholds.met).toBe(false);
    expect(report.thresholds.failures.join('\n')).toMatch(/mock:good: accuracy 0\.\d+ is below the threshold 0\.99/);
  });

  it('names the provider entry when its config is wrong', async () => {
    const config = quizConfig({ providers: ['mock:a', { id: 'mock:b', config: { accuracy: 3 } }] });
    const error = (await lab.run(config).catch((caught: unknown) => caught)) as ConfigError;
    expect(error.message).toMatch(/providers\[1\]\.config\.accuracy/);
  });

  it('refuses an unknown provider before running anything', async () => {
    const before = (await lab.listRuns()).length;
    await expect(lab.run(quizConfig({ providers: ['nosuch:model'] }))).rejects.toThrow(/Unknown provider 'nosuch'/);
    expect((await lab.listRuns()).length).toBe(before);
  });

  it('refuses two providers with the same label', async () => {
    await expect(lab.run(quizConfig({ providers: ['mock:a', 'mock:a'] }))).rejects.toThrow(
      /providers\[1\]: 'mock:a' is listed twice/,
    );
  });

  it('keeps finished results and marks the run cancelled when stopped', async () => {
    const controller = new AbortController();
    let seen = 0;
    const report = await lab.run(
      quizConfig({ providers: [{ id: 'mock:slow', config: { latencyMs: 20 } }] }),
      {
        concurrency: 2,
        signal: controller.signal,
        onProgress: (progress) => {
          seen = progress.done;
          if (progress.done >= 6) controller.abort();
        },
      },
    );
    expect(report.status).toBe('cancelled');
    const stored = await lab.getRun(report.runId);
    expect(stored?.run.status).toBe('cancelled');
    const kept = await storedResults(lab, report.runId);
    expect(kept.length).toBeGreaterThanOrEqual(6);
    expect(kept.length).toBeLessThan(40);
    expect(stored?.counts.results).toBe(kept.length);
    expect(seen).toBeGreaterThanOrEqual(6);

    // Resuming runs only what is missing: 40 results in the end, none twice.
    const resumed = await lab.run(quizConfig({ providers: [{ id: 'mock:slow', config: { latencyMs: 1 } }] }), {
      resume: report.runId,
      concurrency: 8,
    });
    expect(resumed.status).toBe('completed');
    // The resumed report covers the whole run, not just the part run this time.
    expect(resumed.totals.results).toBe(40);
    expect(resumed.providers[0]).toMatchObject({ providerId: 'mock:slow', results: 40 });
    await expect(lab.run(quizConfig({ providers: ['mock:other'] }), { resume: report.runId })).rejects.toThrow(
      /Cannot resume run-\S+ with this config: its providers differ from the run.s/,
    );
    expect(await storedResults(lab, report.runId)).toHaveLength(40);
  });

  it('runs the OpenAI provider against an OpenAI-compatible server through the real SDK', async () => {
    const server: FakeOpenAIServer = await startFakeOpenAIServer({
      responder: (body) => {
        const last = (body.messages as Array<{ content?: unknown }>).at(-1);
        const match = /What is (\d+) \+ \d+\?/.exec(typeof last?.content === 'string' ? last.content : '');
        return match ? String(2 * Number(match[1])) : 'unknown';
      },
    });
    try {
      const report = await lab.run(
        quizConfig({
          providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: 'sk-test-local-0000000000000000' } }],
          defaults: { temperature: 0, maxTokens: 8 },
        }),
      );
      const [summary] = report.providers;
      expect(summary).toMatchObject({ providerId: 'openai:gpt-4o-mini', results: 40, passed: 40, errors: 0 });
      expect(summary?.costUsd).toBeGreaterThan(0);
      expect(server.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(40);
      const body = server.requests[0]?.body as Record<string, unknown>;
      expect(body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0 });
    } finally {
      await server.close();
    }
  });
});

describe('Lab with a judge', () => {
  it('grades with a model-graded evaluator whose judge is a provider entry of the config', async () => {
    const judge = await startFakeOpenAIServer({
      responder: (body) => {
        const prompt = JSON.stringify(body.messages);
        return prompt.includes('PASSME') ? '{"reason":"names the city","pass":true,"score":0.9}' : '{"reason":"wrong","pass":false,"score":0.1}';
      },
    });
    const lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-judge-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
    try {
      const report = await lab.run({
        providers: [
          { id: 'mock:student', config: { mode: 'field', field: 'answer' } },
          { id: 'openai:gpt-4o-mini', label: 'grader', config: { baseURL: judge.url, apiKey: 'sk-judge-test-000000000000000' } },
        ],
        prompts: ['{{question}}'],
        dataset: { rows: [{ question: 'a', answer: 'PASSME' }, { question: 'b', answer: 'nope' }] },
        evaluators: [{ type: 'llm-rubric', rubric: 'The answer is right.', judge: 'grader' }],
      });
      const student = report.providers.find((summary) => summary.providerId === 'mock:student');
      expect(student).toMatchObject({ passed: 1, failed: 1, errors: 0 });
      const graded = (await storedResults(lab, report.runId)).find((result) => result.providerId === 'mock:student' && result.passed === true);
      expect(graded?.scores[0]).toMatchObject({ name: 'llm-rubric', passed: true, score: 0.9 });
      expect(graded?.scores[0]?.judgeOutput).toContain('names the city');
      expect(graded?.scores[0]?.judgePrompt).toContain('The answer is right.');
    } finally {
      await lab.close();
      await judge.close();
    }
  });
});

describe('Lab on the embedded database', () => {
  it('runs a config file into PGlite under the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-lab-'));
    await writeFile(join(dir, 'data.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n'));
    await writeFile(
      join(dir, 'llm-lab.yaml'),
      'providers: [mock:echo]\nprompts: ["{{question}}"]\ndataset: { path: data.jsonl, idField: id }\nevaluators: [{ type: contains, value: "+" }]\n',
    );
    const lab = createLab({ cwd: dir, databaseUrl: undefined });
    const previous = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const report = await lab.run('llm-lab.yaml');
      expect(report.storage).toBe(join(dir, '.llm-lab', 'db'));
      expect(report.providers[0]).toMatchObject({ results: 40, passed: 40, accuracy: 1 });
      expect((await lab.getRun(report.runId))?.run.configFile).toBe(join(dir, 'llm-lab.yaml'));
    } finally {
      if (previous !== undefined) process.env.DATABASE_URL = previous;
      await lab.close();
    }
  }, 90_000);

  it("keeps the database in the config's storage.dataDir (relative to the config file), unless the lab is given one", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-lab-'));
    const configDir = join(dir, 'configs');
    await mkdir(configDir);
    await writeFile(join(configDir, 'data.jsonl'), rows.slice(0, 3).map((row) => JSON.stringify(row)).join('\n'));
    await writeFile(
      join(configDir, 'llm-lab.yaml'),
      'providers: [mock:echo]\nprompts: ["{{question}}"]\ndataset: { path: data.jsonl, idField: id }\nevaluators: [{ type: contains, value: "+" }]\nstorage: { dataDir: ../kept-here }\n',
    );
    const previous = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    const fromConfig = createLab({ cwd: dir });
    const given = createLab({ cwd: dir, dataDir: join(dir, 'given') });
    try {
      const report = await fromConfig.run('configs/llm-lab.yaml');
      expect(report.storage).toBe(join(dir, 'kept-here'));
      expect(existsSync(join(dir, 'kept-here', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dir, '.llm-lab'))).toBe(false);
      await fromConfig.close();
      expect((await given.run('configs/llm-lab.yaml')).storage).toBe(join(dir, 'given'));
    } finally {
      if (previous !== undefined) process.env.DATABASE_URL = previous;
      await Promise.all([fromConfig.close(), given.close()]);
    }
  }, 90_000);
});
