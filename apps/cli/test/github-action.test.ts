import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parse } from 'yaml';
import { BIN, cleanEnv } from './helpers.js';

jest.setTimeout(240_000);

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ActionStep {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

/** A fake of the GitHub REST API's issue comments: what the comment step sends, and what it would list. */
interface FakeGitHub {
  url: string;
  calls: Array<{ method: string; path: string; body: { body?: string } | undefined; authorization: string | undefined }>;
  close(): Promise<void>;
}

async function startFakeGitHub(): Promise<FakeGitHub> {
  const comments: Array<{ id: number; body: string }> = [];
  const calls: FakeGitHub['calls'] = [];
  const readBody = async (request: IncomingMessage) => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return text ? (JSON.parse(text) as { body?: string }) : undefined;
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const path = request.url ?? '';
      calls.push({ method: request.method ?? '', path, body, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      if (request.method === 'GET' && /^\/repos\/acme\/evals\/issues\/7\/comments/.test(path)) return response.end(JSON.stringify(comments));
      if (request.method === 'POST' && path === '/repos/acme/evals/issues/7/comments') {
        const comment = { id: 100 + comments.length, body: body?.body ?? '', html_url: `https://github.test/acme/evals/pull/7#c${comments.length}` };
        comments.push(comment);
        response.statusCode = 201;
        return response.end(JSON.stringify(comment));
      }
      const patched = /^\/repos\/acme\/evals\/issues\/comments\/(\d+)$/.exec(path);
      const existing = patched && comments.find((comment) => comment.id === Number(patched[1]));
      if (request.method === 'PATCH' && existing) {
        existing.body = body?.body ?? '';
        return response.end(JSON.stringify(existing));
      }
      response.statusCode = 404;
      response.end(JSON.stringify({ message: 'Not Found' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function bash(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `name=value` lines of a $GITHUB_OUTPUT / $GITHUB_PATH file. */
async function readKeyValues(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/**
 * Runs the composite action's steps as the runner would, in child processes: `${{ }}` expressions
 * of the kinds the action uses are evaluated, `uses:` steps are recorded (not run), and each step
 * gets fresh GITHUB_OUTPUT/GITHUB_PATH files and the job's GITHUB_STEP_SUMMARY.
 */
async function runAction(action: Action, given: Record<string, string>, context: { cwd: string; pr?: string; api: string }) {
  const inputs: Record<string, string> = Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? '']));
  Object.assign(inputs, { 'github-token': 'test-token' }, given);
  const temp = await mkdtemp(join(tmpdir(), 'llm-lab-runner-'));
  const summaryFile = join(temp, 'step-summary.md');
  await writeFile(summaryFile, '');
  const steps: Record<string, Record<string, string>> = {};
  const paths: string[] = [];
  const used: ActionStep[] = [];
  const ran: Array<{ name: string; code: number | null; stdout: string; stderr: string }> = [];
  const value = (expression: string): string => {
    const trimmed = expression.trim();
    let match: RegExpExecArray | null;
    if ((match = /^inputs\.([\w-]+)$/.exec(trimmed))) return inputs[match[1] as string] ?? '';
    if ((match = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(trimmed))) return steps[match[1] as string]?.[match[2] as string] ?? '';
    if (trimmed === 'github.action_path') return REPO;
    if (trimmed === 'github.event.pull_request.number') return context.pr ?? '';
    if (trimmed === 'github.token') return 'test-token';
    throw new Error(`the test runner does not know the expression ${trimmed}`);
  };
  const substitute = (text: unknown) => String(text).replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => value(expression));
  const condition = (expression: string | undefined) => {
    if (expression === undefined) return true;
    const js = expression.replace(/always\(\)/g, 'true').replace(/inputs\.([\w-]+)/g, (_, name: string) => JSON.stringify(inputs[name] ?? ''));
    return Boolean(new Function(`return (${js});`)());
  };
  for (const step of action.runs.steps) {
    if (!condition(step.if)) continue;
    if (step.uses) {
      used.push({ ...step, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([key, text]) => [key, substitute(text)])) });
      continue;
    }
    const outputFile = join(temp, `output-${ran.length}`);
    const pathFile = join(temp, `path-${ran.length}`);
    const env = cleanEnv({
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([key, text]) => [key, substitute(text)])),
      GITHUB_OUTPUT: outputFile,
      GITHUB_PATH: pathFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_API_URL: context.api,
      GITHUB_REPOSITORY: 'acme/evals',
      RUNNER_TEMP: temp,
      PATH: [...paths, process.env.PATH].join(':'),
    });
    const result = await bash(step.run as string, env, context.cwd);
    ran.push({ name: step.name, ...result });
    if (step.id) steps[step.id] = await readKeyValues(outputFile);
    paths.unshift(...(await readFile(pathFile, 'utf8').catch(() => '')).split('\n').filter(Boolean));
    if (result.code !== 0) break;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, substitute(output.value)]));
  return { ran, used, outputs, stepSummary: await readFile(summaryFile, 'utf8') };
}

const config = (minAccuracy: number) =>
  [
    'description: CI check',
    'providers:',
    '  - id: mock:ci',
    '    config: { mode: field, field: answer, accuracy: 0.8, seed: 3 }',
    'prompts: ["{{question}}"]',
    'dataset:',
    '  idField: id',
    '  rows:',
    ...Array.from({ length: 12 }, (_, i) => `    - { id: q${i}, question: "What is ${i} + 1?", answer: "${i + 1}" }`),
    'evaluators:',
    '  - { type: equals, value: "{{answer}}" }',
    `thresholds: { minAccuracy: ${minAccuracy} }`,
    '',
  ].join('\n');

describe('the GitHub Action (action.yml)', () => {
  let action: Action;
  let github: FakeGitHub;
  let folder: string;
  beforeAll(async () => {
    action = parse(await readFile(join(REPO, 'action.yml'), 'utf8')) as Action;
    github = await startFakeGitHub();
    folder = await mkdtemp(join(tmpdir(), 'llm-lab-action-'));
    await writeFile(join(folder, 'llm-lab.yaml'), config(0.5));
    await writeFile(join(folder, 'strict.yaml'), config(0.99));
  });
  afterAll(async () => {
    await github?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('is a composite action whose every input the steps use is declared', async () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.config?.required).toBe(true);
    const text = await readFile(join(REPO, 'action.yml'), 'utf8');
    const named = [...text.matchAll(/inputs\.([\w-]+)/g)].map((match) => match[1] as string);
    expect(named.filter((name) => !(name in action.inputs))).toEqual([]);
    for (const step of action.runs.steps.filter((candidate) => candidate.run)) expect(step.shell).toBe('bash');
  });

  it('runs a config on a pull request: JUnit report, job summary, upload, and one comment updated with the baseline', async () => {
    const inputs = { config: 'llm-lab.yaml', cli: BIN, 'data-dir': join(folder, 'db'), baseline: 'latest' };
    const first = await runAction(action, inputs, { cwd: folder, pr: '7', api: github.url });
    expect(first.ran.map((step) => [step.name, step.code])).toEqual([
      ['Install llm-lab', 0],
      ['Run the config', 0],
      ['Comment on the pull request', 0],
      ['Fail on a missed threshold', 0],
    ]);
    expect(first.outputs).toMatchObject({ passed: 'true', 'exit-code': '0', 'summary-file': 'llm-lab-summary.md' });
    const runId = first.outputs['run-id'] as string;
    expect(runId).toMatch(/^run-/);
    // The job summary: the run's markdown, with its table and accuracy interval.
    expect(first.stepSummary).toContain(`### ✅ LLM Lab run \`${runId}\`: passed`);
    expect(first.stepSummary).toMatch(/\| mock:ci \| default \| 12 \| \d+ \| 0 \| \d+\.\d% \[\d+\.\d%, \d+\.\d%\] \|/);
    const junit = await readFile(join(folder, 'llm-lab-junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(12);
    expect((await readFile(join(folder, 'llm-lab-results.json'), 'utf8')).trim().split('\n')).toHaveLength(12);
    expect(first.used.map((step) => step.uses)).toEqual(['actions/setup-node@v4', 'actions/upload-artifact@v4']);
    expect(first.used[1]?.with?.path?.trim().split('\n')).toEqual(['llm-lab-junit.xml', 'llm-lab-results.json', 'llm-lab-summary.md']);
    // No earlier run: the comment is the summary alone, posted once.
    expect(first.outputs['baseline-run-id']).toBe('');
    const posted = github.calls.filter((call) => call.method !== 'GET');
    expect(posted.map((call) => call.method)).toEqual(['POST']);
    expect(posted[0]?.authorization).toBe('Bearer test-token');
    expect(posted[0]?.body?.body).toContain('<!-- llm-lab-action -->');
    expect(posted[0]?.body?.body).toContain(`LLM Lab run \`${runId}\``);

    // The next push: the earlier run is the baseline, and the same comment is updated.
    const second = await runAction(action, inputs, { cwd: folder, pr: '7', api: github.url });
    expect(second.outputs['baseline-run-id']).toBe(runId);
    const writes = github.calls.filter((call) => call.method !== 'GET');
    expect(writes.map((call) => call.method)).toEqual(['POST', 'PATCH']);
    const updated = writes[1]?.body?.body ?? '';
    expect(updated).toContain(`LLM Lab run \`${second.outputs['run-id']}\``);
    // With `llm-lab compare` the comparison leads; without it, the comment says the baseline was not compared.
    const compare = await bash(`node ${BIN} compare --help`, cleanEnv(), folder);
    if (compare.code === 0) expect(updated.indexOf(runId)).toBeGreaterThan(-1);
    else expect(updated).toContain(`Baseline \`${runId}\` is not compared: this llm-lab has no \`compare\` command.`);
  });

  it('fails the job on a missed threshold, after the summary is written and outside a pull request without a comment', async () => {
    const calls = github.calls.length;
    const result = await runAction(action, { config: 'strict.yaml', cli: BIN, 'data-dir': join(folder, 'db'), summary: 'strict.md' }, { cwd: folder, api: github.url });
    expect(result.outputs).toMatchObject({ passed: 'false', 'exit-code': '1' });
    expect(result.ran.at(-1)).toMatchObject({ name: 'Fail on a missed threshold', code: 1 });
    expect(result.ran.at(-1)?.stdout).toContain('::error::llm-lab run exited with 1');
    expect(result.stepSummary).toMatch(/### ❌ LLM Lab run `run-[\w-]+`: thresholds missed/);
    expect(result.stepSummary).toMatch(/❌ threshold missed: mock:ci: accuracy 0\.\d+ is below the threshold 0\.99/);
    expect(result.stepSummary).toContain('failed or errored results</summary>');
    expect(await readFile(join(folder, 'strict.md'), 'utf8')).toBe(result.stepSummary);
    expect(result.ran.find((step) => step.name === 'Comment on the pull request')?.stdout).toContain('not a pull request; no comment');
    expect(github.calls.length).toBe(calls);
  });
});
