import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openStorage } from '@llm-lab/storage';
import { faults, startFakeOpenAIServer, textOfContent, type ChatCompletionRequestBody, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { formatMs } from '../src/output/format.js';
import { runCli } from './helpers.js';

// Runs that fail must look failed: errors beside accuracy, a run with too many errors exits 1,
// a resume runs the errored results again, fallback answers are credited to the fallback, a
// killed run is `interrupted` in JSON as in text, and a run's duration is one figure.

let work: string;
let dataDir: string;
const db = () => ['--data-dir', dataDir];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-failed-'));
  dataDir = join(work, 'db');
  const rows = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `case-${i}`, q: `question ${i}` }));
  await writeFile(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
});

interface StoredRun {
  run: { id: string; status: string; startedAt: string; finishedAt: string | null; durationMs: number | null; totals: { results: number; errors: number } };
  results: Array<{ caseId: string; providerId: string; errorKind: string | null; answeredBy: string | null; output: string | null }>;
}

async function shownJson(runId: string): Promise<StoredRun> {
  const shown = await runCli(['runs', 'show', runId, '--json', ...db()]);
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout) as StoredRun;
}

/** The run's stored duration is the time between its stored start and finish, and the `runs show` header shows that figure. */
function expectOneDuration({ run }: StoredRun, shownText: string): void {
  expect(run.finishedAt).not.toBeNull();
  const span = new Date(run.finishedAt as string).getTime() - new Date(run.startedAt).getTime();
  expect(run.durationMs).toBe(span);
  expect(shownText.split('\n')[1]).toBe(`started ${run.startedAt} · finished ${run.finishedAt} · ${formatMs(span)}`);
}

describe('a run where most calls fail', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
  });
  afterAll(() => server.close());

  it('exits 1 saying so, shows errors beside accuracy, and a resume runs exactly the errored results again', async () => {
    const config = join(work, 'flaky.yaml');
    await writeFile(
      config,
      `providers:\n  - id: openai:gpt-4o-mini\n    config: { baseURL: "${server.url}", apiKey: sk-test-000000000000000000 }\n` +
        '    retry: { maxAttempts: 1 }\n    breaker: { enabled: false }\n' +
        'prompts: ["{{q}}"]\ndataset: { path: cases.jsonl, idField: id }\nevaluators: [{ type: equals, value: "{{q}}" }]\n',
    );
    // The server fails the first 15 requests it gets, whichever cases they are.
    for (let i = 0; i < 15; i++) server.enqueueFault(faults.serverError());

    const first = await runCli(['run', config, '--no-cache', ...db()], { cwd: work });
    expect(first.code).toBe(1);
    expect(server.stats.requests).toBe(20);
    expect(first.stdout).toContain('threshold missed: openai:gpt-4o-mini: 15 of 20 results (75.0%) are errors, above the threshold maxErrorRate 0.1');
    // Five answers scored 100%: the table says it is 100% of 5, beside 15 errors.
    expect(first.stdout).toMatch(/openai:gpt-4o-mini\s+20\s+5\s+15 \(75\.0%\)\s+100\.0% of 5 scored \[/);
    const runId = /Run (run-\S+) completed/.exec(first.stdout)?.[1] as string;
    expect(first.stdout).toContain(`Retry the 15 errored results with: llm-lab run ${config} --resume ${runId} --data-dir ${dataDir}`);
    const shown = await runCli(['runs', 'show', runId, ...db()]);
    expect(shown.stdout).toMatch(/openai:gpt-4o-mini\s+default\s+20\s+5\s+15 \(75\.0%\)\s+100\.0% of 5 scored \[/);
    expect(shown.stdout).toContain(`Retry its 15 errored results with: llm-lab run ${config} --resume ${runId} --data-dir ${dataDir}`);
    expect(shown.stdout).toContain('threshold missed: openai:gpt-4o-mini: 15 of 20 results (75.0%) are errors');
    const listed = await runCli(['runs', 'list', ...db()]);
    expect(listed.stdout).toMatch(/Run\s+Status\s+Started \(UTC\)\s+Duration\s+Results\s+Errors\s+Accuracy/);
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+completed\\s+.+\\s+20\\s+15\\s+100\\.0%`));
    const stored = await shownJson(runId);
    expectOneDuration(stored, shown.stdout);
    const errored = stored.results.filter((result) => result.errorKind !== null).map((result) => result.caseId);
    expect(errored).toHaveLength(15);

    // The server has recovered: the resume sends exactly the 15 errored cases, and nothing else.
    server.reset();
    const resumed = await runCli(['run', config, '--resume', runId, '--json', ...db()], { cwd: work });
    expect(resumed.stderr).not.toMatch(/^error/m);
    expect(resumed.code).toBe(0);
    const sent = server.requests.map((request) => {
      const messages = (request.body as ChatCompletionRequestBody).messages as Array<{ content: unknown }>;
      return textOfContent(messages.at(-1)?.content);
    });
    expect(sent.sort()).toEqual(errored.map((id) => id.replace('case-', 'question ')).sort());
    const report = JSON.parse(resumed.stdout) as { totals: { results: number; errors: number; passed: number }; thresholds: { met: boolean } };
    expect(report.totals).toMatchObject({ results: 20, errors: 0, passed: 20 });
    expect(report.thresholds.met).toBe(true);

    const final = await shownJson(runId);
    expect(final.run.status).toBe('completed');
    expect(final.run.totals).toMatchObject({ results: 20, errors: 0 });
    expect(final.results).toHaveLength(20);
    expect(final.results.filter((result) => result.errorKind !== null)).toEqual([]);
    // A resumed run's duration runs from its first start to its last finish, as stored and shown.
    expectOneDuration(final, (await runCli(['runs', 'show', runId, ...db()])).stdout);
    expect(final.run.startedAt).toBe(stored.run.startedAt);
  }, 240_000);

  it('says on standard error which threshold was missed when the report goes to standard output as JSON', async () => {
    const config = join(work, 'half.yaml');
    const yaml =
      'providers: [{ id: "mock:half", config: { errorRate: 0.5, errorMode: persistent, errorKind: bad-request } }]\n' +
      'prompts: ["{{q}}"]\ndataset: { path: cases.jsonl, idField: id }\n';
    await writeFile(config, `${yaml}thresholds: { maxErrorRate: 0.6 }\n`);
    const lenient = await runCli(['run', config, '--json', ...db()], { cwd: work });
    expect(lenient.code).toBe(0);
    const report = JSON.parse(lenient.stdout) as { providers: Array<{ errors: number; results: number }> };
    const errors = report.providers[0]?.errors as number;
    expect(errors / 20).toBeGreaterThan(0.1);
    expect(errors / 20).toBeLessThanOrEqual(0.6);

    // The same run under the default threshold (0.1) failed.
    await writeFile(config, yaml);
    const strict = await runCli(['run', config, '--json', ...db()], { cwd: work });
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({ thresholds: { met: false } });
    expect(strict.stderr).toContain(`threshold missed mock:half: ${errors} of 20 results (${((errors / 20) * 100).toFixed(1)}%) are errors, above the threshold maxErrorRate 0.1`);
  }, 240_000);

  it('refuses a maxErrorRate that is not a share from 0 to 1, naming the key', async () => {
    for (const value of ['1.5', 'ten']) {
      const config = join(work, `bad-threshold.yaml`);
      await writeFile(config, `providers: [mock:a]\ndataset: { rows: [{ prompt: hi }] }\nthresholds: { maxErrorRate: ${value} }\n`);
      const result = await runCli(['run', config, ...db()], { cwd: work });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('thresholds.maxErrorRate: expected a number from 0 to 1');
    }
  }, 240_000);
});

describe('a provider that falls back', () => {
  it('credits the fallback with its answers in the table, the JSON report, runs show and --results', async () => {
    const config = join(work, 'fallback.yaml');
    await writeFile(
      config,
      'providers:\n' +
        '  - id: mock:flaky\n    config: { errorRate: 0.5, errorMode: persistent, seed: 4 }\n' +
        '    retry: { maxAttempts: 1 }\n    breaker: { enabled: false }\n    fallbacks: [mock:backup]\n' +
        '  - mock:backup\n' +
        'prompts: ["{{q}}"]\ndataset: { path: cases.jsonl, idField: id }\n',
    );
    const ran = await runCli(['run', config, '--no-cache', ...db()], { cwd: work });
    expect(ran.code).toBe(0);
    const runId = /Run (run-\S+) completed/.exec(ran.stdout)?.[1] as string;
    const { results } = await shownJson(runId);
    const flaky = results.filter((result) => result.providerId === 'mock:flaky');
    const byBackup = flaky.filter((result) => result.answeredBy === 'mock:backup').length;
    const byItself = flaky.filter((result) => result.answeredBy === 'mock:flaky').length;
    expect(byBackup).toBeGreaterThan(0);
    expect(byItself).toBeGreaterThan(0);
    expect(byBackup + byItself).toBe(20);

    const [most, least] = byBackup >= byItself ? [`mock:backup (fallback) ${byBackup}`, `mock:flaky ${byItself}`] : [`mock:flaky ${byItself}`, `mock:backup (fallback) ${byBackup}`];
    const line = `mock:flaky: answered by ${most}, ${least}`;
    expect(ran.stdout).toContain(line);
    // Only the provider that fell back gets a line.
    expect(ran.stdout).not.toContain('mock:backup: answered by');

    const shown = await runCli(['runs', 'show', runId, '--results', ...db()]);
    expect(shown.stdout).toContain(line);
    expect(shown.stdout).toMatch(/Case\s+Provider\s+Answered by\s+Repeat\s+Verdict/);
    expect(shown.stdout).toMatch(/case-\d+\s+mock:flaky\s+mock:backup \(fallback\)\s+0\s+pass/);
    expect(shown.stdout).toMatch(/case-\d+\s+mock:flaky\s+mock:flaky\s+0\s+pass/);

    const json = await runCli(['run', config, '--no-cache', '--json', ...db()], { cwd: work });
    const report = JSON.parse(json.stdout) as { providers: Array<{ providerId: string; answeredBy: Array<{ name: string; answers: number; fallback: boolean }> }> };
    expect(report.providers.find((summary) => summary.providerId === 'mock:flaky')?.answeredBy).toEqual(
      [
        { name: 'mock:backup', answers: byBackup, fallback: true },
        { name: 'mock:flaky', answers: byItself, fallback: false },
      ].sort((a, b) => b.answers - a.answers),
    );
    expect(report.providers.find((summary) => summary.providerId === 'mock:backup')?.answeredBy).toEqual([{ name: 'mock:backup', answers: 20, fallback: false }]);
  }, 240_000);
});

describe('a run left running by a process that died', () => {
  it('is interrupted in runs list and runs show, as text and as JSON alike', async () => {
    // A run row as a killed process leaves it: still `running`, and no live process holds it.
    const storage = await openStorage({ dataDir, env: {} });
    const run = await storage.createRun({ config: {}, resolvedConfig: { providers: ['mock:a'] } });
    await storage.close();

    const listed = JSON.parse((await runCli(['runs', 'list', '--json', ...db()])).stdout) as Array<{ id: string; status: string }>;
    expect(listed.find((entry) => entry.id === run.id)?.status).toBe('interrupted');
    expect((await shownJson(run.id)).run.status).toBe('interrupted');
    expect((await runCli(['runs', 'list', ...db()])).stdout).toMatch(new RegExp(`${run.id}\\s+interrupted`));
    expect((await runCli(['runs', 'show', run.id, ...db()])).stdout).toContain(`${run.id}  interrupted`);
  }, 240_000);
});
