/**
 * The security issue's "done when": real-looking secrets are planted where a user's would be (an
 * OpenAI-shaped key in the environment used as the provider key, keys and tokens inside the
 * prompt and dataset rows, a PostgreSQL URL with the password of a real role), and the built CLI
 * runs a benchmark (server and embedded storage), the gateway (a few calls with --keep-bodies,
 * and error answers), a report and exports (csv, jsonl), all with LLM_LAB_LOG_LEVEL=debug and a
 * log file. Then every log (standard error, log files), every database table (pg_dump of the
 * test's database, data included; the embedded database's files), the response cache, the report
 * and the exports are scanned: no planted secret occurs anywhere. The keys still reach the vendor.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { startFakeAwsSecretsManager, startFakeVault, type FakeAwsSecretsManager, type FakeVault } from '@llm-lab/security/testing';
import { cleanEnv, runCli, type CliResult } from './helpers.js';

jest.setTimeout(300_000);

const ADMIN = 'postgres://postgres@127.0.0.1:5432/test';
const tag = `${process.pid}_${Date.now().toString(36)}`;
const ROLE = `llm_lab_sec_${tag}`;
const DATABASE = `llm_lab_sec_${tag}`;

/** Random key bodies, so nothing can match by accident. */
const alnum = (length: number) => randomBytes(length * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length);

const SECRETS = {
  /** The provider key, read from OPENAI_API_KEY. */
  envKey: `sk-proj-${alnum(48)}`,
  /** The database role's password, in the URL the CLI is given. */
  dbPassword: `Pg-${alnum(20)}`,
  /** Written into the prompt. */
  promptKey: `sk-ant-api03-${alnum(60)}`,
  /** In dataset rows. */
  awsId: `AKIA${alnum(16).toUpperCase().replace(/[^A-Z0-9]/g, 'Q')}`,
  awsSecret: `${alnum(30)}/${alnum(9)}`,
  googleKey: `AIzaSy${alnum(33)}`,
  rowDbPassword: `Row-${alnum(16)}`,
  bearer: `${alnum(12)}7${alnum(20)}`,
  slackPath: `T${alnum(8).toUpperCase()}/B${alnum(8).toUpperCase()}/${alnum(24)}`,
  vaultToken: `hvs.${alnum(90)}`,
  pemBody: `MIIEowIBAAKCAQEA${alnum(60)}`,
  /** Sent to the gateway only. */
  gatewayPromptKey: `sk-${alnum(20)}9${alnum(27)}`,
  /** Provider keys the config names by reference only: served by the local Vault and AWS Secrets Manager. */
  vaultKey: `sk-proj-${alnum(48)}`,
  awsKey: `sk-proj-${alnum(48)}`,
  /** The credentials the key manager uses for them (environment). */
  vaultToken2: `hvs.${alnum(60)}`,
  awsSecretAccessKey: alnum(40),
};

let work: string;
let openai: FakeOpenAIServer;
let refusing: FakeOpenAIServer;
/** Answer only the keys read from Vault and AWS. */
let vaultServed: FakeOpenAIServer;
let awsServed: FakeOpenAIServer;
let vault: FakeVault;
let aws: FakeAwsSecretsManager;
let databaseUrl: string;
/** Everything the CLI printed, command by command. */
const printed: string[] = [];

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { default: driver } = await import('pg');
  const client = new driver.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-no-secret-'));
  // A run that answers proves the key from the environment was sent.
  openai = await startFakeOpenAIServer({ apiKey: SECRETS.envKey });
  // Wants another key: every call to it fails with OpenAI's 401 (an error path in every log).
  refusing = await startFakeOpenAIServer({ apiKey: `sk-proj-${alnum(48)}` });
  vaultServed = await startFakeOpenAIServer({ apiKey: SECRETS.vaultKey });
  awsServed = await startFakeOpenAIServer({ apiKey: SECRETS.awsKey });
  vault = await startFakeVault({ rootToken: SECRETS.vaultToken2 });
  vault.setSecret('secret/data/llm/openai', { key: SECRETS.vaultKey });
  aws = await startFakeAwsSecretsManager({ accessKeyId: 'AKIAFAKEFORTESTS0002', secretAccessKey: SECRETS.awsSecretAccessKey });
  aws.setSecret('llm/openai', { key: SECRETS.awsKey });
  await admin(async (client) => {
    await client.query(`CREATE ROLE "${ROLE}" LOGIN PASSWORD '${SECRETS.dbPassword}'`);
    await client.query(`CREATE DATABASE "${DATABASE}" OWNER "${ROLE}"`);
  });
  databaseUrl = `postgres://${ROLE}:${SECRETS.dbPassword}@127.0.0.1:5432/${DATABASE}`;
});

afterAll(async () => {
  await openai?.close();
  await refusing?.close();
  await vaultServed?.close();
  await awsServed?.close();
  await vault?.close();
  await aws?.close();
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    await client.query(`DROP ROLE IF EXISTS "${ROLE}"`);
  });
});

const env = (extra: Record<string, string | undefined> = {}) =>
  cleanEnv({
    OPENAI_API_KEY: SECRETS.envKey,
    LLM_LAB_LOG_LEVEL: 'debug',
    LLM_LAB_HOME: join(work, '.llm-lab'),
    REDIS_URL: undefined,
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: SECRETS.vaultToken2,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SECRETS.awsSecretAccessKey,
    ...extra,
  });

async function cli(args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runCli(args, { cwd: work, env: env(extra) });
  printed.push(`$ llm-lab ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Every file under `dir`, as text (binary files too: a secret would show as its bytes). */
async function filesText(dir: string): Promise<Array<{ file: string; text: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.filter((entry) => entry.isFile()).map(async (entry) => ({ file: join(entry.parentPath, entry.name), text: (await readFile(join(entry.parentPath, entry.name))).toString('latin1') })),
  );
}

/** The planted secrets found in `text`, and where. */
function found(text: string): string[] {
  return Object.entries(SECRETS).filter(([, secret]) => text.includes(secret)).map(([name]) => name);
}

function expectNone(text: string, where: string): void {
  const names = found(text);
  if (names.length > 0) {
    const first = SECRETS[names[0] as keyof typeof SECRETS];
    const at = text.indexOf(first);
    throw new Error(`${where} holds ${names.join(', ')}:\n…${text.slice(Math.max(0, at - 300), at + 100)}…`);
  }
}

function rows(): string[] {
  return [
    { id: 'aws', question: `my credentials: ${SECRETS.awsId} aws_secret_access_key=${SECRETS.awsSecret}` },
    { id: 'google', question: `call https://generativelanguage.googleapis.com/v1beta/models?key=${SECRETS.googleKey}` },
    { id: 'database', question: `connect to postgres://app:${SECRETS.rowDbPassword}@db.internal:5432/prod` },
    { id: 'bearer', question: `curl -H "Authorization: Bearer ${SECRETS.bearer}" https://api.example.com` },
    { id: 'slack', question: `post to https://hooks.slack.com/services/${SECRETS.slackPath}` },
    { id: 'vault', question: `export VAULT_TOKEN=${SECRETS.vaultToken}` },
    { id: 'pem', question: `-----BEGIN RSA PRIVATE KEY-----\n${SECRETS.pemBody}\n-----END RSA PRIVATE KEY-----` },
    { id: 'plain', question: 'What is the capital of France?' },
  ].map((row) => JSON.stringify(row));
}

function config(storage: string): string {
  return [
    ...(storage === '' ? [] : [`storage: { url: "${storage}" }`]),
    'providers:',
    `  - { id: "openai:gpt-4o-mini", label: answering, config: { baseURL: "${openai.url}" } }`,
    `  - { id: "openai:gpt-4o", label: refusing, config: { baseURL: "${refusing.url}" } }`,
    `  - { id: "openai:gpt-4o-mini", label: from-vault, config: { baseURL: "${vaultServed.url}", apiKey: { from: vault, path: secret/data/llm/openai, field: key } } }`,
    `  - { id: "openai:gpt-4o-mini", label: from-aws, config: { baseURL: "${awsServed.url}", apiKey: { from: aws, id: llm/openai, field: key } } }`,
    `security: { aws: { region: "${aws.region}", endpoint: "${aws.url}" } }`,
    `prompts: ["Use the key ${SECRETS.promptKey} and the service key \${OPENAI_API_KEY}. {{question}}"]`,
    `dataset: { path: "${join(work, 'rows.jsonl')}", idField: id }`,
    // Its reason quotes the answer: the echoed prompt.
    'evaluators: [{ type: equals, value: "nope" }]',
    `cache: { kind: disk, dir: "${join(work, 'cache')}" }`,
    '',
  ].join('\n');
}

/** The run's id; it finished (exit 1: the refusing provider's errors miss the error-rate threshold). */
function runIdOf(result: CliResult): string {
  expect(result.stderr).not.toMatch(/^error/m);
  expect([0, 1]).toContain(result.code);
  const summary = JSON.parse(result.stdout) as { runId: string; status: string };
  expect(summary.status).toBe('completed');
  return summary.runId;
}

/** Starts `llm-lab gateway` and resolves once it listens. */
async function startGateway(args: string[]): Promise<{ url: string; child: ChildProcess; exited: Promise<CliResult> }> {
  let child: ChildProcess | undefined;
  let announce: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (announce = resolve));
  const exited = runCli(['gateway', ...args], {
    cwd: work,
    env: env({ DATABASE_URL: databaseUrl }),
    onStderr: (text, spawned) => {
      child = spawned;
      const match = /listening on (http:\/\/\S+)\/v1/.exec(text);
      if (match) announce(match[1]!);
    },
  });
  const url = await Promise.race([listening, exited.then((result) => Promise.reject(new Error(`the gateway exited: ${result.stderr}`)))]);
  return { url, child: child!, exited };
}

describe('planted secrets', () => {
  it('are sent where the user asked, and found in no log, table, cache entry, report or export', async () => {
    await writeFile(join(work, 'rows.jsonl'), `${rows().join('\n')}\n`);
    await writeFile(join(work, 'server.yaml'), config(databaseUrl));
    await writeFile(join(work, 'embedded.yaml'), config(''));
    const logs = join(work, 'logs');

    // A benchmark on the server (its URL carries the role's password), and one embedded.
    const run = await cli(['run', 'server.yaml', '--json', '--no-progress', '--log-file', join(logs, 'run.log')]);
    const runId = runIdOf(run);
    const embedded = await cli(['run', 'embedded.yaml', '--json', '--no-progress', '--no-cache', '--log-file', join(logs, 'embedded.log')]);
    runIdOf(embedded);

    // The vendor got the keys, as the user asked: the provider key in its header (the fake
    // answers only that one), the prompt's key in the prompt.
    const sent = openai.requests.map((request) => request.rawBody).join('\n');
    expect(sent).toContain(SECRETS.promptKey);
    expect(sent).toContain(SECRETS.awsSecret);
    // The keys named by reference were read from Vault and AWS and sent to their vendors (each
    // fake answers only its key: a refused call would show as a 401 here).
    for (const [served, key] of [[vaultServed, SECRETS.vaultKey], [awsServed, SECRETS.awsKey]] as const) {
      expect(served.requests.length).toBeGreaterThan(0);
      expect(served.requests.every((request) => request.headers.authorization === `Bearer ${key}`)).toBe(true);
    }

    // The gateway: answered calls with their bodies kept, a failing route, an unknown model.
    await writeFile(
      join(work, 'gateway.yaml'),
      [
        'providers:',
        `  - { id: "openai:gpt-4o-mini", label: fast, config: { baseURL: "${openai.url}" } }`,
        `  - { id: "openai:gpt-4o", label: broken, config: { baseURL: "${refusing.url}" } }`,
        '',
      ].join('\n'),
    );
    const gateway = await startGateway(['gateway.yaml', '--port', '0', '--keep-bodies', 'fast,broken', '--log-file', join(logs, 'gateway.log')]);
    const answers: string[] = [];
    const call = async (model: string, content: string) => {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
      });
      const text = await response.text();
      answers.push(`${response.status} ${text}`);
      return response.status;
    };
    expect(await call('fast', `keep this safe: ${SECRETS.gatewayPromptKey}`)).toBe(200);
    expect(await call('fast', `the database is postgres://app:${SECRETS.rowDbPassword}@db/prod`)).toBe(200);
    expect(await call('broken', `and this: ${SECRETS.gatewayPromptKey}`)).toBe(401);
    expect(await call(SECRETS.gatewayPromptKey, 'a model named like a key')).toBe(404);
    // The answers echo the prompt: the caller's own text comes back to the caller, as sent…
    expect(answers[0]).toContain(SECRETS.gatewayPromptKey);
    gateway.child.kill('SIGTERM');
    const stopped = await gateway.exited;
    printed.push(`$ llm-lab gateway\n${stopped.stdout}\n${stopped.stderr}`);
    expect(stopped.code).toBe(0);
    // …but no error the gateway made up quotes one.
    for (const answer of answers.slice(2)) expectNone(answer, 'a gateway error response');

    // A report and exports of the server run.
    const serverEnv = { DATABASE_URL: databaseUrl };
    const report = await cli(['report', runId, '--out', join(work, 'report.html')], serverEnv);
    expect(report.code).toBe(0);
    for (const format of ['csv', 'jsonl']) {
      const exported = await cli(['export', runId, '--format', format, '--out', join(work, `results.${format}`)], serverEnv);
      expect(exported.code).toBe(0);
    }

    // ── The scan ──
    expectNone(printed.join('\n'), 'what the CLI printed (standard output and error, debug logs)');
    const logFiles = await filesText(logs);
    const logText = logFiles.map((file) => file.text).join('\n');
    // The logs say what happened: each provider call, the failed ones with their class.
    expect(logText).toMatch(/"provider":"openai".*"latencyMs":\d+.*"msg":"provider call"/);
    expect(logText).toMatch(/"errorKind":"authentication".*"msg":"provider call failed"/);
    expect(logText).toMatch(/"msg":"run finished"/);
    for (const file of logFiles) expectNone(file.text, `the log file ${file.file}`);

    const { stdout: dump } = await promisify(execFile)('pg_dump', ['--data-only', '--inserts', '-d', databaseUrl], { maxBuffer: 256 * 1024 * 1024 });
    // What was stored is there, with the secrets replaced: results, the run, the gateway's bodies.
    expect(dump).toContain('[REDACTED]');
    expect(dump).toMatch(/INSERT INTO public\.requests .*keep this safe: \[REDACTED\]/);
    expect(dump).toContain('What is the capital of France?');
    expectNone(dump, 'the database (pg_dump)');
    for (const file of await filesText(join(work, '.llm-lab', 'db'))) expectNone(file.text, `the embedded database file ${file.file}`);

    const cache = await filesText(join(work, 'cache'));
    expect(cache.length).toBeGreaterThan(0);
    for (const file of cache) expectNone(file.text, `the cache entry ${file.file}`);

    for (const name of ['report.html', 'results.csv', 'results.jsonl']) {
      const text = await readFile(join(work, name), 'utf8');
      expect(text).toContain('[REDACTED]');
      expectNone(text, name);
    }
  });
});
