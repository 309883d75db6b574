import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { cleanEnv, dropSchema, runCli, type CliResult } from './helpers.js';

// A database password and an API key must never be stored or printed, wherever the config puts
// them: the password in storage.url (literal, ${VAR}, or a password= parameter), the key read
// from the environment and also written into the prompt. The key still goes to the vendor.
// The server is trust-auth, so it accepts any password.
const SERVER = 'postgres://postgres@127.0.0.1:5432/test';
const PASSWORD = 'SECRETPASS-db-4711';
// Not shaped like any vendor's key: only its registration as a secret can hide it.
const KEY = 'test-key-SECRETKEY-0123456789abcdef';
const schema = `cli_secrets_${process.pid}_${Date.now().toString(36)}`;
const withPassword = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/test`;

let work: string;
let server: FakeOpenAIServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-secrets-'));
  // Requests without the right key get OpenAI's 401: a run that answers proves the key was sent.
  server = await startFakeOpenAIServer({ apiKey: KEY });
});

afterAll(async () => {
  await server?.close();
  await dropSchema(SERVER, schema);
});

const env = (extra: Record<string, string> = {}) => cleanEnv({ OPENAI_API_KEY: KEY, LLM_LAB_DB_SCHEMA: schema, REDIS_URL: undefined, ...extra });

/** Every row of every table of the test's schema, each row cast to text (all its columns). */
async function databaseText(): Promise<string[]> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: SERVER });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    const rows: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const found = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${table}" t`);
      rows.push(...found.rows.map((row) => row.row));
    }
    return rows;
  } finally {
    await client.end();
  }
}

async function filesText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(names.filter((entry) => entry.isFile()).map((entry) => readFile(join(entry.parentPath, entry.name), 'utf8')));
  return texts.join('\n');
}

function expectNoSecret(text: string, where: string): void {
  // A truncated quote of the key (an evaluator's "got '…'") must not keep its first half either.
  for (const secret of [PASSWORD, KEY, KEY.slice(0, 14)]) {
    if (text.includes(secret)) throw new Error(`${where} contains ${secret}:\n${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 200)}`);
  }
}

function runIdOf(result: CliResult): string {
  expect(result.stderr).not.toMatch(/^error/m);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { runId: string }).runId;
}

describe('a database password and an API key used by the run', () => {
  it.each([
    ['a literal storage.url', withPassword, {}],
    ['storage.url from ${LAB_DB_URL}', '${LAB_DB_URL}', { LAB_DB_URL: withPassword }],
    ['a password= parameter', `${SERVER}?password=${PASSWORD}`, {}],
  ])('are in no table, cache file or printed output after a run with %s', async (name, url, extra) => {
    const cache = join(work, `cache-${name.replace(/\W+/g, '-')}`);
    const config = join(work, `${name.replace(/\W+/g, '-')}.yaml`);
    // The quoted output in the evaluator's reason is cut at 120 characters, 20 into the key.
    const prompt = `You are a careful assistant. Read the question, think it through, then call the service with the key \${OPENAI_API_KEY} to answer: {{question}}`;
    await writeFile(
      config,
      [
        `storage: { url: "${url}" }`,
        'providers:',
        `  - { id: "openai:gpt-4o-mini", config: { baseURL: "${server.url}" } }`,
        `prompts: ["${prompt}"]`,
        `dataset: { rows: [{ question: "${name} one" }, { question: "${name} two" }] }`,
        'evaluators: [{ type: equals, value: nope }]',
        `cache: { kind: disk, dir: "${cache}" }`,
        '',
      ].join('\n'),
    );
    const before = server.requests.length;
    const run = await runCli(['run', config, '--json'], { env: env(extra), cwd: work });
    const runId = runIdOf(run);

    // The vendor received the key in the prompt, as the user asked.
    const sent = server.requests.slice(before).map((request) => request.rawBody);
    expect(sent).toHaveLength(2);
    for (const body of sent) expect(body).toContain(`the key ${KEY} to answer`);

    expectNoSecret(`${run.stdout}\n${run.stderr}`, 'the output of llm-lab run');
    const rows = await databaseText();
    const stored = rows.filter((row) => row.includes(runId));
    expect(stored.length).toBeGreaterThanOrEqual(3); // the run and its two results
    expect(stored.join('\n')).toContain('the key [REDACTED] to answer');
    expectNoSecret(rows.join('\n'), 'the database');
    expectNoSecret(await filesText(cache), 'the response cache');

    const storageFlags = ['--database-url', withPassword];
    const shown = await runCli(['runs', 'show', runId, '--json', ...storageFlags], { env: env() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('[REDACTED]');
    expectNoSecret(shown.stdout + shown.stderr, 'runs show --json');
    const listed = await runCli(['runs', 'list', '--json', ...storageFlags], { env: env() });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(runId);
    expectNoSecret(listed.stdout + listed.stderr, 'runs list --json');
  }, 60_000);
});

describe("strings shaped like keys in the user's own dataset", () => {
  it('are sent as written and stored redacted, with one warning for the run', async () => {
    const shaped = ['sk-proj-abcdefghijklmnopqrstuvwx0123', 'AKIAABCDEFGHIJKLMNOP', 'sk-ant-api03-zyxwvutsrqponmlkjihg'];
    const dataset = join(work, 'shaped.jsonl');
    await writeFile(dataset, [...shaped.map((text, index) => JSON.stringify({ id: `row-${index}`, text })), JSON.stringify({ id: 'plain', text: 'no key here' }), ''].join('\n'));
    const config = join(work, 'shaped.yaml');
    await writeFile(
      config,
      [
        `storage: { url: "${SERVER}" }`,
        'providers:',
        `  - { id: "openai:gpt-4o-mini", config: { baseURL: "${server.url}" } }`,
        'prompts: ["Is this a key? {{text}}"]',
        `dataset: { path: "${dataset}", idField: id }`,
        'cache: { kind: none }',
        '',
      ].join('\n'),
    );
    const run = await runCli(['run', config, '--json'], { env: env(), cwd: work });
    const runId = runIdOf(run);
    const warnings = run.stderr.split('\n').filter((line) => /^warning/.test(line));
    expect(warnings).toEqual([expect.stringMatching(/^warning 3 dataset rows contain strings shaped like API keys .*stored redacted/)]);

    const shown = JSON.parse((await runCli(['runs', 'show', runId, '--json'], { env: env({ DATABASE_URL: SERVER }) })).stdout) as {
      run: { summary: { warnings?: string[] } };
      results: Array<{ caseId: string; vars: { text: string }; prompt: Array<{ content: string }>; output: string }>;
    };
    // The vendor got them as written; what is stored has them replaced.
    const sent = server.requests.map((request) => request.rawBody).join('\n');
    for (const [index, text] of shaped.entries()) {
      expect(sent).toContain(`Is this a key? ${text}`);
      const result = shown.results.find((candidate) => candidate.caseId === `row-${index}`);
      expect(result?.vars.text).toBe('[REDACTED]');
      expect(result?.prompt.at(-1)?.content).toBe('Is this a key? [REDACTED]');
      expect(result?.output).toBe('Is this a key? [REDACTED]');
    }
    expect(shown.run.summary.warnings).toEqual([expect.stringMatching(/^3 dataset rows contain strings shaped like API keys/)]);
  }, 60_000);
});

describe('a dataset of binary rows', () => {
  it('never reaches the terminal raw: control characters are escaped, and the skip lines are summarised', async () => {
    const junk = (index: number) => `\u001b[2J\u001b]0;owned\u0007\u0000\u0001\u009b31m${index}\u007f\u001b[1A\r`;
    const lines = [JSON.stringify({ question: 'first' })];
    for (let index = 0; index < 1_200; index++) lines.push(junk(index));
    lines.push(JSON.stringify({ question: 'last' }));
    const dataset = join(work, 'binary.jsonl');
    await writeFile(dataset, `${lines.join('\n')}\n`);
    const config = join(work, 'binary.yaml');
    await writeFile(
      config,
      [`storage: { url: "${SERVER}" }`, 'providers: ["mock:echo"]', 'prompts: ["{{question}}"]', `dataset: { path: "${dataset}" }`, ''].join('\n'),
    );
    const run = await runCli(['run', config], { env: env(), cwd: work });
    expect(run.code).toBe(0);
    // No control character but the newline reaches the terminal: no ESC, CSI, BEL, NUL, CR or DEL.
    expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const skipped = run.stderr.split('\n').filter((line) => line.startsWith('skipped'));
    expect(skipped).toHaveLength(6);
    expect(skipped[0]).toContain('\\x1b');
    expect(skipped[5]).toMatch(/^skipped … and 1,195 more invalid rows \(the first 100 are recorded with the run: llm-lab runs show run-\S+ --json\)$/);
    expect(run.stdout).toContain('1200 invalid dataset rows skipped');
  }, 60_000);
});
