import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { DURATION, QUICKSTART, cleanEnv, dropSchema, runCli } from './helpers.js';

// One embedded database for the whole file: PGlite's first start (initdb) is the slow part,
// reopening it is ~0.5 s per command.
let work: string;
let dataDir: string;
const db = () => ['--data-dir', dataDir];

async function writeConfig(name: string, yaml: string, files: Record<string, string> = {}): Promise<string> {
  for (const [file, text] of Object.entries(files)) await writeFile(join(work, file), text);
  const path = join(work, name);
  await writeFile(path, yaml);
  return path;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-cli-'));
  dataDir = join(work, 'db');
});

describe('llm-lab run (quickstart)', () => {
  let runId: string;

  it('runs the quickstart offline, prints the results table and exits 0', async () => {
    const result = await runCli(['run', QUICKSTART, ...db()], { cwd: work });
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Provider\s+Cases\s+Passed\s+Errors\s+Accuracy \(95% CI\)\s+p50\s+p95\s+Tokens in \/ out\s+Cost/);
    expect(result.stdout).toMatch(/mock:careful\s+30\s+\d+\s+0\s+\d+\.\d% \[\d+\.\d%, \d+\.\d%\]/);
    expect(result.stdout).toMatch(/mock:hasty\s+30\s+\d+\s+0/);
    const match = /Run (run-\S+) completed/.exec(result.stdout);
    expect(match).not.toBeNull();
    runId = match?.[1] ?? '';
    // Not a terminal: progress comes as plain lines on stderr, one at the start and at every
    // 10% step, ending at 100%.
    expect(result.stderr).toMatch(/progress 100% 60\/60/);
    expect(result.stderr.match(/^progress +\d+% /gm)?.map((line) => line.replace(/\s+/g, ' '))).toEqual(
      ['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100'].map((percent) => `progress ${percent}% `),
    );
  });

  it('lists the stored run as JSON', async () => {
    const result = await runCli(['runs', 'list', '--json', ...db()]);
    expect(result.code).toBe(0);
    const runs = JSON.parse(result.stdout) as Array<{ id: string; status: string; totals: { results: number } }>;
    expect(runs[0]).toMatchObject({ id: runId, status: 'completed', totals: { results: 60 } });
  });

  it('shows a run by id prefix, with failures on request', async () => {
    const result = await runCli(['runs', 'show', runId.slice(0, -2), '--failures', ...db()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(runId);
    expect(result.stdout).toContain('60 results stored.');
    expect(result.stdout).toMatch(/capital-\d+\s+mock:\w+\s+0\s+fail\s+equals: expected/);
    const json = JSON.parse((await runCli(['runs', 'show', runId, '--json', ...db()])).stdout) as { results: unknown[] };
    expect(json.results).toHaveLength(60);
  });

  it('shows a run by the end of its id (its random part)', async () => {
    const suffix = runId.slice(-4);
    const result = await runCli(['runs', 'show', suffix, ...db()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(runId);
    expect(result.stdout).toContain('60 results stored.');
  });

  it('prints a machine-readable summary with --json', async () => {
    const result = await runCli(['run', QUICKSTART, '--json', '--limit', '5', ...db()]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; providers: Array<{ providerId: string; results: number }> };
    expect(report.status).toBe('completed');
    expect(report.providers.map((provider) => [provider.providerId, provider.results])).toEqual([
      ['mock:careful', 5],
      ['mock:hasty', 5],
    ]);
  });

  it('says when a run id does not exist', async () => {
    const result = await runCli(['runs', 'show', 'run-nope', ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No run 'run-nope'/);
  });
});

describe('bad input', () => {
  it('a missing config file: exit 2, naming the file', async () => {
    const result = await runCli(['run', join(work, 'nope.yaml'), ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(work, 'nope.yaml')}: config file not found`);
  });

  it('invalid YAML: exit 2, with the line', async () => {
    const config = await writeConfig('broken.yaml', 'providers:\n  - mock:a\n dataset: [\n');
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken\.yaml: invalid YAML at line \d+/);
  });

  it('a YAML alias bomb: exit 2, naming the file, without expanding it', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 9; level += 1) {
      const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
    }
    const config = await writeConfig('bomb.yaml', `${levels.join('\n')}\n`);
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${config}: too many YAML aliases`);
  });

  it('an unknown key: exit 2, suggesting the key that was meant', async () => {
    const config = await writeConfig('typo.yaml', 'providers: [mock:a]\nprompt: ["{{q}}"]\ndataset: { rows: [{ q: a }] }\n');
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${config}: unknown key "prompt" (did you mean "prompts"?)`);
  });

  it('an unknown provider id: exit 2, listing the known ones', async () => {
    const config = await writeConfig('unknown.yaml', 'providers: [acme:big-model]\ndataset: { rows: [{ prompt: hi }] }\n');
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown provider 'acme' in id 'acme:big-model'\. Known providers: anthropic, azure, gguf, google, mock, ollama, openai, openai-compatible\./);
  });

  it('a broken dataset row is reported with file and line and skipped; the rest run', async () => {
    const config = await writeConfig(
      'rows.yaml',
      'providers: [mock:echo]\nprompts: ["{{q}}"]\ndataset: { path: rows.jsonl }\nevaluators: [{ type: contains, value: "{{q}}" }]\n',
      { 'rows.jsonl': '{"q":"one"}\n{"q":"two"\n{"q":"three"}\n' },
    );
    const result = await runCli(['run', config, '--json', ...db()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/skipped .*rows\.jsonl:2: /);
    const report = JSON.parse(result.stdout) as { totals: { results: number; invalidRows: number } };
    expect(report.totals).toMatchObject({ results: 2, invalidRows: 1 });
  });

  it('with onInvalidRow: fail, a broken row stops the run: exit 2, naming file and line', async () => {
    const config = await writeConfig(
      'rows-fail.yaml',
      'providers: [mock:echo]\nprompts: ["{{q}}"]\ndataset: { path: rows.jsonl, onInvalidRow: fail }\n',
    );
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rows\.jsonl:2/);
  });

  it('a template variable the row lacks is recorded for that case, the run goes on', async () => {
    const config = await writeConfig(
      'template.yaml',
      'providers: [mock:echo]\nprompts: ["{{question}}"]\ndataset: { rows: [{ question: a }, { q: b }, { question: c }] }\n',
    );
    const result = await runCli(['run', config, '--json', ...db()]);
    // The run went on, but one error in three is more than thresholds.maxErrorRate (0.1) allows.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mock:echo: 1 of 3 results (33.3%) are errors, above the threshold maxErrorRate 0.1');
    const report = JSON.parse(result.stdout) as { runId: string; providers: Array<{ passed: number; errors: number; errorKinds: Record<string, number> }> };
    expect(report.providers[0]).toMatchObject({ passed: 2, errors: 1, errorKinds: { template: 1 } });
    const shown = await runCli(['runs', 'show', report.runId, '--failures', ...db()]);
    expect(shown.stdout).toMatch(/error \(template\)\s+template variable 'question' is not in this row \(fields: q\)/);
  });

  it('a provider error for some cases is recorded per case; the run completes', async () => {
    const config = await writeConfig(
      'flaky.yaml',
      'providers: [{ id: "mock:flaky", config: { errorRate: 0.3, seed: 4 } }]\ndataset: { rows: [' +
        Array.from({ length: 30 }, (_, i) => `{ prompt: p${i} }`).join(', ') +
        '] }\n',
    );
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/mock:flaky\s+30\s+(\d+)\s+([1-9]\d*)\s/);
  });

  it('a missed accuracy threshold exits 1 and says which provider', async () => {
    const config = await writeConfig(
      'threshold.yaml',
      'providers: [{ id: "mock:weak", config: { mode: fixed, text: nope } }]\nprompts: ["{{q}}"]\n' +
        'dataset: { rows: [{ q: a }, { q: b }] }\nevaluators: [{ type: equals, value: "{{q}}" }]\nthresholds: { minAccuracy: 0.5 }\n',
    );
    const result = await runCli(['run', config, ...db()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/threshold missed: mock:weak: accuracy 0\.000 is below the threshold 0\.5/);
  });

  it('bad flags and commands are refused before anything runs, with exit code 2 (bad input)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', QUICKSTART, '--concurrency', 'lots'], /--concurrency must be a positive whole number/],
      [['run', QUICKSTART, '--concurrency', '1000000000'], /--concurrency must be at most 10,000/],
      [['run', QUICKSTART, '--limit', '-1'], /--limit must be a positive whole number/],
      [['run', QUICKSTART, '--bogus'], /unknown option '--bogus'/],
      [['run'], /missing required argument 'config'/],
      [['rnu', QUICKSTART], /unknown command 'rnu'/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, ...db()]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    for (const flag of ['--help', '--version']) expect((await runCli([flag])).code).toBe(0);
  });

  it('an ambiguous run id prefix and a data folder that is a file are bad input (exit code 2), naming what to change', async () => {
    const ambiguous = await runCli(['runs', 'show', 'run-', ...db()]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/run id "run-" matches several runs by its start or end \(run-\S+, run-\S+.*\); give more characters of the id/);
    const file = join(work, 'not-a-folder');
    await writeFile(file, 'x');
    const notFolder = await runCli(['runs', 'list', '--data-dir', file]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toContain(`${file} is a file, not a database folder: give a folder instead (--data-dir, or storage.dataDir in the config)`);
  });

  it('a run that scored nothing exits 1 and says why: every call failed, or every row was invalid', async () => {
    const failing = await writeConfig(
      'all-fail.yaml',
      'providers: [{ id: "mock:down", config: { errorRate: 1, errorMode: persistent } }]\nprompts: ["{{q}}"]\n' +
        'dataset: { rows: [{ q: a }, { q: b }] }\nevaluators: [{ type: equals, value: "{{q}}" }]\n',
    );
    const failed = await runCli(['run', failing, '--no-progress', ...db()]);
    expect(failed.code).toBe(1);
    const runId = /Run (run-\S+) completed/.exec(failed.stdout)?.[1];
    expect(failed.stderr).toContain(`error the run ${runId} scored nothing: every call failed (2 server); see why with 'llm-lab runs show ${runId} --data-dir ${dataDir} --failures'.`);

    const invalid = await writeConfig(
      'all-invalid.yaml',
      'providers: [mock:echo]\nprompts: ["{{q}}"]\ndataset: { path: rows.jsonl }\nevaluators: [{ type: equals, value: "{{q}}" }]\n',
      { 'rows.jsonl': '{"q": "a"\nnot json\n' },
    );
    const skipped = await runCli(['run', invalid, '--no-progress', ...db()]);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(/scored nothing: every dataset row \(2\) was skipped as invalid; see the reasons above\./);
  });
});

describe('llm-lab run against an OpenAI-compatible server', () => {
  let server: FakeOpenAIServer;
  const key = 'sk-test-cli-abcdefghijklmnopqrstuvwxyz';
  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: key, responder: () => 'Paris' });
  });
  afterAll(() => server.close());

  it('runs through the real SDK with the key from the environment', async () => {
    const config = await writeConfig(
      'openai.yaml',
      `providers:\n  - id: openai:gpt-4o-mini\n    config: { baseURL: "${server.url}", apiKey: "\${OPENAI_API_KEY}" }\n` +
        'prompts: ["Capital of {{country}}?"]\ndataset: { rows: [{ country: France, answer: Paris }, { country: Spain, answer: Madrid }] }\n' +
        'evaluators: [{ type: equals, value: "{{answer}}" }]\n',
    );
    const result = await runCli(['run', config, ...db()], { env: cleanEnv({ OPENAI_API_KEY: key }) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/openai:gpt-4o-mini\s+2\s+1\s+0\s+50\.0%/);
    expect(result.stdout).toMatch(/\$0\.0000\d/);
    const sent = server.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(sent.map((request) => (request.body as { messages: unknown }).messages)).toEqual([
      [{ role: 'user', content: 'Capital of France?' }],
      [{ role: 'user', content: 'Capital of Spain?' }],
    ]);
  });

  it('a wrong key is an authentication error per case, and the key is never printed', async () => {
    const wrong = 'sk-wrong-zyxwvutsrqponmlkjihgfedcba';
    // --no-cache: the same requests were answered (and cached) in the test before.
    const result = await runCli(['run', join(work, 'openai.yaml'), '--json', '--no-cache', ...db()], { env: cleanEnv({ OPENAI_API_KEY: wrong }) });
    // Every call failed: the run scored nothing, which is a failed run (exit 1), said on stderr.
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { runId: string; providers: Array<{ errors: number; errorKinds: Record<string, number> }> };
    expect(report.providers[0]).toMatchObject({ errors: 2, errorKinds: { authentication: 2 } });
    expect(result.stderr).toContain(`the run ${report.runId} scored nothing: every call failed (2 authentication)`);
    const shown = await runCli(['runs', 'show', report.runId, '--json', ...db()]);
    for (const text of [result.stdout, result.stderr, shown.stdout]) expect(text).not.toContain(wrong);
  });
});

describe('stopping and resuming', () => {
  it('Ctrl-C stops cleanly, keeps finished results, and --resume completes the run without duplicates', async () => {
    const config = await writeConfig(
      'slow.yaml',
      'providers: [{ id: "mock:slow", config: { latencyMs: 40 } }]\ndataset: { rows: [' +
        Array.from({ length: 100 }, (_, i) => `{ prompt: p${i} }`).join(', ') +
        '] }\nrun: { concurrency: 2 }\n',
    );
    let sent = false;
    const stopped = await runCli(['run', config, ...db()], {
      onStderr: (text, child) => {
        if (!sent && /progress\s+\d+% [1-9]\d*\/100/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/Stopping: finishing calls in flight and saving results/);
    const runId = /--resume (run-\S+)/.exec(stopped.stdout)?.[1] ?? '';
    expect(runId).not.toBe('');
    const partial = JSON.parse((await runCli(['runs', 'show', runId, '--json', ...db()])).stdout) as {
      run: { status: string };
      results: unknown[];
    };
    expect(partial.run.status).toBe('cancelled');
    expect(partial.results.length).toBeGreaterThan(0);
    expect(partial.results.length).toBeLessThan(100);

    const resumed = await runCli(['run', config, '--resume', runId, '--concurrency', '16', ...db()]);
    expect(resumed.code).toBe(0);
    const done = JSON.parse((await runCli(['runs', 'show', runId, '--json', ...db()])).stdout) as {
      run: { status: string };
      results: Array<{ caseId: string }>;
    };
    expect(done.run.status).toBe('completed');
    expect(done.results).toHaveLength(100);
    expect(new Set(done.results.map((result) => result.caseId)).size).toBe(100);
  });
});

describe('on a PostgreSQL server', () => {
  it('DATABASE_URL switches storage to PostgreSQL with the same commands, and a second run is warm', async () => {
    const schema = `cli_test_${process.pid}_${Date.now().toString(36)}`;
    const env = cleanEnv({
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      LLM_LAB_DB_SCHEMA: schema,
    });
    const cwd = await mkdtemp(join(work, 'pg-'));
    try {
      const run = await runCli(['run', QUICKSTART, '--json'], { env, cwd });
      expect(run.code).toBe(0);
      const { runId, storage } = JSON.parse(run.stdout) as { runId: string; storage: string };
      expect(storage).toMatch(/^postgres(ql)?:\/\/postgres@127\.0\.0\.1:5432\/test/);
      const listed = JSON.parse((await runCli(['runs', 'list', '--json'], { env })).stdout) as Array<{ id: string }>;
      expect(listed.map((item) => item.id)).toEqual([runId]);
      // Without Redis, the response cache is on disk in the working directory's .llm-lab/cache.
      const again = await runCli(['run', QUICKSTART, '--json'], { env, cwd });
      const secondId = (JSON.parse(again.stdout) as { runId: string }).runId;
      const shown = JSON.parse((await runCli(['runs', 'show', secondId, '--json'], { env })).stdout) as { results: Array<{ cached: boolean }> };
      expect(shown.results.length).toBeGreaterThan(0);
      expect(shown.results.every((result) => result.cached)).toBe(true);
      expect(existsSync(join(cwd, '.llm-lab', 'cache'))).toBe(true);
    } finally {
      await dropSchema(env.DATABASE_URL as string, schema);
    }
  });
});

describe('llm-lab --version and providers', () => {
  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists built-in providers with capabilities', async () => {
    const result = await runCli(['providers', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/mock:<model>\s+built-in\s+streaming, batch/);
    expect(result.stdout).toMatch(/openai:<model>\s+built-in/);
  });
});

describe('llm-lab chat', () => {
  it('streams tokens as they arrive from an OpenAI-compatible server', async () => {
    const server = await startFakeOpenAIServer({ streamChunkDelayMs: 150, responder: () => 'one two three four' });
    try {
      const config = await writeConfig(
        'chat.yaml',
        `providers:\n  - id: openai:gpt-4o-mini\n    label: local\n    config: { baseURL: "${server.url}", apiKey: sk-local-test-000000000000 }\ndataset: { rows: [] }\n`,
      );
      const arrivals: string[] = [];
      let answerOpenAtFirstWord: boolean | undefined;
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('./helpers.js');
      const child = spawn(process.execPath, [BIN, 'chat', 'local', 'count to four', '--config', config], { env: cleanEnv() });
      child.stdout.on('data', (chunk: Buffer) => {
        answerOpenAtFirstWord ??= server.stats.inFlight === 1;
        arrivals.push(chunk.toString());
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(arrivals.join('')).toBe('one two three four\n');
      // Streamed, not buffered: the first words were printed while the server was still sending the
      // rest (150 ms a word), whatever the pace of a busy machine.
      expect(answerOpenAtFirstWord).toBe(true);
      expect(stderr).toMatch(new RegExp(`openai:gpt-4o-mini · stop · first token ${DURATION}`));
      const sent = server.requests.find((request) => request.path === '/v1/chat/completions')?.body as Record<string, unknown>;
      expect(sent).toMatchObject({ stream: true, messages: [{ role: 'user', content: 'count to four' }] });
    } finally {
      await server.close();
    }
  });

  it('names the entries a config has when the provider is not among them', async () => {
    const result = await runCli(['chat', 'nope', 'hi', '--config', join(work, 'chat.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no provider 'nope' in this config \(it has: local\)/);
  });
});

describe('the response cache', () => {
  it('a second run is answered from the disk cache beside the embedded database; --no-cache goes to the server', async () => {
    const server = await startFakeOpenAIServer({ responder: () => 'Paris' });
    try {
      const config = await writeConfig(
        'cached.yaml',
        `providers:\n  - id: openai:gpt-4o-mini\n    config: { baseURL: "${server.url}", apiKey: sk-cache-test-0000000000000 }\n` +
          'prompts: ["Capital of {{country}}?"]\ndataset: { rows: [{ country: France }, { country: Spain }, { country: Peru }] }\n',
      );
      const calls = () => server.requests.filter((request) => request.path === '/v1/chat/completions').length;
      const cacheDb = ['--data-dir', join(work, 'cache-test', 'db')];
      expect((await runCli(['run', config, ...cacheDb])).code).toBe(0);
      expect(calls()).toBe(3);
      const second = await runCli(['run', config, '--json', ...cacheDb]);
      expect(second.code).toBe(0);
      expect(calls()).toBe(3);
      const { runId } = JSON.parse(second.stdout) as { runId: string };
      const stored = JSON.parse((await runCli(['runs', 'show', runId, '--json', ...cacheDb])).stdout) as {
        results: Array<{ cached: boolean; attempts: number; output: string }>;
      };
      expect(stored.results.map((result) => [result.cached, result.attempts, result.output])).toEqual([
        [true, 0, 'Paris'],
        [true, 0, 'Paris'],
        [true, 0, 'Paris'],
      ]);
      expect((await runCli(['run', config, '--no-cache', ...cacheDb])).code).toBe(0);
      expect(calls()).toBe(6);
      // --repeat samples each case again: repeats 1 and 2 are new cache keys.
      expect((await runCli(['run', config, '--repeat', '3', ...cacheDb])).code).toBe(0);
      expect(calls()).toBe(12);
    } finally {
      await server.close();
    }
  });

  it('REDIS_URL at a closed port: one warning on stderr, the run completes with the disk cache, and queue times are stored', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = await startFakeOpenAIServer({ responder: () => 'Lima' });
    try {
      const config = await writeConfig(
        'redis-down.yaml',
        `providers:\n  - id: openai:gpt-4o-mini\n    config: { baseURL: "${server.url}", apiKey: sk-cache-test-0000000000000 }\n` +
          'prompts: ["Capital of {{country}}?"]\ndataset: { rows: [{ country: Peru }, { country: Chile }, { country: Bolivia }] }\n',
      );
      const folder = join(work, 'redis-down');
      const env = cleanEnv({ REDIS_URL: `redis://127.0.0.1:${port}` });
      const first = await runCli(['run', config, '--json', '--data-dir', join(folder, 'db')], { env });
      expect(first.code).toBe(0);
      const warnings = first.stderr.split('\n').filter((line) => line.startsWith('warning'));
      expect(warnings).toEqual([
        `warning the Redis cache at redis://127.0.0.1:${port} cannot be reached (connect ECONNREFUSED 127.0.0.1:${port}); this run goes on with the disk cache in ${join(folder, 'cache')}.`,
      ]);
      const report = JSON.parse(first.stdout) as { runId: string; providers: Array<{ passed: number; queueMs: { p50: number } | null }> };
      expect(report.providers[0]?.passed).toBe(3);
      expect(report.providers[0]?.queueMs?.p50).toBe(0);
      const shown = JSON.parse((await runCli(['runs', 'show', report.runId, '--json', '--data-dir', join(folder, 'db')], { env })).stdout) as {
        run: { summary: { providers: Array<{ queueMs: { p50: number } | null }> } };
        results: Array<{ queueMs: number | null; attempts: number }>;
      };
      expect(shown.results.map((result) => [result.queueMs, result.attempts])).toEqual([
        [0, 1],
        [0, 1],
        [0, 1],
      ]);
      expect(shown.run.summary.providers[0]?.queueMs).toEqual(report.providers[0]?.queueMs);
      // The second run is answered from the disk cache.
      const second = await runCli(['run', config, '--data-dir', join(folder, 'db')], { env });
      expect(second.code).toBe(0);
      expect(second.stderr.split('\n').filter((line) => line.startsWith('warning'))).toHaveLength(1);
      expect(server.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
