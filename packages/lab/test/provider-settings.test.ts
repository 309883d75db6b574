import diagnostics from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ConfigError, LabConfigInput } from '@llm-lab/core';
import { createRedisCache } from '@llm-lab/provider-manager';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

/**
 * How the lab turns a config's `cache:`, `run.timeoutMs` and `fallbacks:` into the provider
 * manager's settings, seen from outside: files in a real cache folder, answers from the fake
 * OpenAI server (through the real SDK), and the results a run stores.
 */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `lab_settings_${process.pid}_${Date.now().toString(36)}`;
const API_KEY = 'sk-test-settings-000000000000000';

const rows = [
  { id: 'a', question: 'alpha' },
  { id: 'b', question: 'bravo' },
  { id: 'c', question: 'charlie' },
];

const labs: Lab[] = [];
const servers: FakeOpenAIServer[] = [];
let savedRedisUrl: string | undefined;

/** A lab of its own (working directory and all) on the test's PostgreSQL schema. */
async function newLab(cwd?: string): Promise<{ lab: Lab; cwd: string }> {
  const dir = cwd ?? (await mkdtemp(join(tmpdir(), 'llm-lab-settings-')));
  const lab = createLab({ cwd: dir, databaseUrl: DATABASE_URL, databaseSchema: schema });
  labs.push(lab);
  return { lab, cwd: dir };
}

async function newServer(options: Parameters<typeof startFakeOpenAIServer>[0] = {}): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAIServer(options);
  servers.push(server);
  return server;
}

function chatRequests(server: FakeOpenAIServer): number {
  return server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
}

/** One OpenAI entry pointed at the fake server (the echo answers the question). */
function echoConfig(server: FakeOpenAIServer, overrides: Partial<LabConfigInput> = {}): LabConfigInput {
  return {
    providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: API_KEY } }],
    prompts: ['{{question}}'],
    dataset: { rows, idField: 'id' },
    evaluators: [{ type: 'equals', value: '{{question}}' }],
    ...overrides,
  };
}


beforeEach(() => {
  // The default cache kind depends on REDIS_URL: each test sets it as it needs.
  savedRedisUrl = process.env.REDIS_URL;
  delete process.env.REDIS_URL;
});
afterEach(async () => {
  if (savedRedisUrl !== undefined) process.env.REDIS_URL = savedRedisUrl;
  else delete process.env.REDIS_URL;
  await Promise.all(labs.splice(0).map((lab) => lab.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await dropSchema(DATABASE_URL, schema);
});

describe('a cache: block without kind', () => {
  it('is a disk cache in its dir (not an in-process one): the second run is answered from it', async () => {
    const server = await newServer();
    const cacheDir = await mkdtemp(join(tmpdir(), 'llm-lab-settings-cache-'));
    const config = echoConfig(server, { cache: { ttlMs: 600_000, dir: cacheDir } });

    const first = await (await newLab()).lab.run(config);
    expect(first.providers[0]).toMatchObject({ results: 3, passed: 3, errors: 0 });
    expect(chatRequests(server)).toBe(3);
    expect((await readdir(cacheDir)).some((name) => name.endsWith('.log'))).toBe(true);

    // Another lab (another working directory): only the cache folder is shared.
    const { lab } = await newLab();
    const second = await lab.run(config);
    expect(second.providers[0]).toMatchObject({ results: 3, passed: 3, errors: 0 });
    expect(chatRequests(server)).toBe(3);
    const results = await storedResults(lab, second.runId);
    expect(results.map((result) => [result.cached, result.attempts])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);
  });

  it('is Redis when REDIS_URL is set, with the block’s keyPrefix and ttlMs', async () => {
    process.env.REDIS_URL = REDIS_URL;
    const keyPrefix = `llm-lab:test:settings:${process.pid}:${Date.now().toString(36)}:`;
    const server = await newServer();
    const config = echoConfig(server, { cache: { ttlMs: 600_000, keyPrefix } });
    const redis = createRedisCache({ url: REDIS_URL, keyPrefix });
    try {
      const { lab, cwd } = await newLab();
      await lab.run(config);
      const second = await (await newLab()).lab.run(config);
      expect(chatRequests(server)).toBe(3);
      expect(second.providers[0]).toMatchObject({ results: 3, passed: 3 });
      expect((await storedResults(lab, second.runId)).every((result) => result.cached)).toBe(true);
      expect(existsSync(join(cwd, '.llm-lab', 'cache'))).toBe(false);
    } finally {
      await redis.clear();
      await redis.close();
    }
  });
});

describe('cache.dir', () => {
  it('is relative to the config file’s folder, like every other path of the config', async () => {
    const server = await newServer();
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-settings-'));
    await mkdir(join(dir, 'configs'));
    await writeFile(
      join(dir, 'configs', 'llm-lab.yaml'),
      [
        `providers: [{ id: openai:gpt-4o-mini, config: { baseURL: "${server.url}", apiKey: ${API_KEY} } }]`,
        'prompts: ["{{question}}"]',
        'dataset: { rows: [{ question: alpha }, { question: bravo }] }',
        'cache: { kind: disk, dir: responses }',
        '',
      ].join('\n'),
    );
    const { lab } = await newLab(dir);
    const first = await lab.run('configs/llm-lab.yaml');
    expect(first.providers[0]).toMatchObject({ results: 2, errors: 0 });
    expect((await readdir(join(dir, 'configs', 'responses'))).some((name) => name.endsWith('.log'))).toBe(true);
    expect(existsSync(join(dir, 'responses'))).toBe(false);

    const second = await lab.run('configs/llm-lab.yaml');
    expect(chatRequests(server)).toBe(2);
    expect((await storedResults(lab, second.runId)).every((result) => result.cached)).toBe(true);
  });
});

describe('timeouts', () => {
  it('a provider entry’s own timeoutMs wins over run.timeoutMs, which applies to the providers without one', async () => {
    // Every answer takes 600 ms; the run allows 150 ms per call.
    const server = await newServer({ latencyMs: 600 });
    const entry = { id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: API_KEY }, retry: { maxAttempts: 1 } };
    const { lab } = await newLab();
    const report = await lab.run(
      echoConfig(server, {
        providers: [
          { ...entry, label: 'patient', timeoutMs: 10_000 },
          { ...entry, label: 'hasty' },
        ],
        run: { timeoutMs: 150 },
        cache: { kind: 'none' },
      }),
    );
    const patient = report.providers.find((summary) => summary.providerId === 'patient');
    const hasty = report.providers.find((summary) => summary.providerId === 'hasty');
    expect(patient).toMatchObject({ results: 3, passed: 3, errors: 0 });
    expect(hasty).toMatchObject({ results: 3, errors: 3 });
    const failed = (await storedResults(lab, report.runId)).filter((result) => result.providerId === 'hasty');
    expect(failed.map((result) => result.errorKind)).toEqual(['timeout', 'timeout', 'timeout']);
  });
});

describe('fallbacks', () => {
  it('a fallback named by the id of a labelled entry is that entry, with its baseURL and apiKey', async () => {
    const down = await newServer({ faultRate: 1, fault: faults.unavailable() });
    // The backup refuses any other key: a bare provider made from the id alone could not use it.
    const backup = await newServer({ apiKey: 'sk-backup-only-0000000000000000' });
    const { lab } = await newLab();
    const report = await lab.run(
      echoConfig(down, {
        providers: [
          {
            id: 'openai:gpt-4o',
            label: 'primary',
            config: { baseURL: down.url, apiKey: API_KEY },
            retry: { maxAttempts: 1 },
            fallbacks: ['openai:gpt-4o-mini'],
          },
          { id: 'openai:gpt-4o-mini', label: 'main', config: { baseURL: backup.url, apiKey: 'sk-backup-only-0000000000000000' } },
        ],
        cache: { kind: 'none' },
        // Else the fallback's call and `main`'s own identical call may be merged into one.
        singleFlight: false,
      }),
    );
    expect(report.providers.find((summary) => summary.providerId === 'primary')).toMatchObject({ results: 3, passed: 3, errors: 0 });
    const answered = (await storedResults(lab, report.runId)).filter((result) => result.providerId === 'primary');
    expect(answered.map((result) => result.answeredBy)).toEqual(['openai:gpt-4o-mini', 'openai:gpt-4o-mini', 'openai:gpt-4o-mini']);
    // One call to the primary that failed, one to the fallback that answered.
    expect(answered.map((result) => result.attempts)).toEqual([2, 2, 2]);
    expect(chatRequests(down)).toBeGreaterThan(0);
    // Three calls of `main` itself and three fallbacks of `primary`.
    expect(chatRequests(backup)).toBe(6);
  });

  it('refuses a fallback id shared by several entries, naming them and asking for a label', async () => {
    const server = await newServer();
    const entry = { id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: API_KEY } };
    const { lab } = await newLab();
    const error = (await lab
      .run(
        echoConfig(server, {
          providers: [{ ...entry, id: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'] }, { ...entry, label: 'cold' }, { ...entry, label: 'warm' }],
        }),
      )
      .catch((caught: unknown) => caught)) as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/providers\[0\]\.fallbacks\[0\]: openai:gpt-4o-mini is the id of several providers \(cold, warm\)/);
    expect(error.message).toMatch(/name one by its label/);
    expect(chatRequests(server)).toBe(0);
  });
});

describe('attempts', () => {
  it('a failed result stores the attempts the manager made; a fallback answer those of the whole chain', async () => {
    const down = await newServer({ faultRate: 1, fault: faults.serverError() });
    const backup = await newServer();
    const { lab } = await newLab();
    const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
    const report = await lab.run(
      echoConfig(down, {
        providers: [
          { id: 'openai:gpt-4o-mini', label: 'alone', config: { baseURL: down.url, apiKey: API_KEY }, retry, breaker: { enabled: false } },
          {
            id: 'openai:gpt-4o-mini',
            label: 'with-backup',
            config: { baseURL: down.url, apiKey: API_KEY },
            retry: { ...retry, maxAttempts: 2 },
            breaker: { enabled: false },
            fallbacks: ['backup'],
          },
          { id: 'openai:gpt-4o', label: 'backup', config: { baseURL: backup.url, apiKey: API_KEY } },
        ],
        cache: { kind: 'none' },
        singleFlight: false,
      }),
    );
    const results = await storedResults(lab, report.runId);
    const of = (label: string) => results.filter((result) => result.providerId === label);
    // Three calls reached the server for each case, and the error says so.
    expect(of('alone').map((result) => [result.errorKind, result.attempts])).toEqual([
      ['server', 3],
      ['server', 3],
      ['server', 3],
    ]);
    expect(of('alone')[0]?.errorMessage).toMatch(/gave up after 3 attempts/);
    // Two calls to the primary, one to the fallback.
    expect(of('with-backup').map((result) => [result.passed, result.answeredBy, result.attempts])).toEqual([
      [true, 'openai:gpt-4o', 3],
      [true, 'openai:gpt-4o', 3],
      [true, 'openai:gpt-4o', 3],
    ]);
    expect(chatRequests(down)).toBe(3 * 3 + 3 * 2);
    expect(chatRequests(backup)).toBe(3 + 3);
  });
});

describe('queue time', () => {
  it('with one call at a time and 8 in flight, latency is each call’s own and the wait is queue_ms', async () => {
    const server = await newServer({ latencyMs: 20 });
    const { lab } = await newLab();
    const questions = Array.from({ length: 8 }, (_, index) => ({ id: `q${index}`, question: `question ${index}` }));
    const report = await lab.run(
      echoConfig(server, {
        providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: API_KEY }, concurrency: { max: 1, adaptive: false } }],
        dataset: { rows: questions, idField: 'id' },
        run: { concurrency: 8 },
        cache: { kind: 'none' },
      }),
    );
    expect(server.stats.maxInFlight).toBe(1);
    const results = await storedResults(lab, report.runId);
    expect(results).toHaveLength(8);
    // The calls ran one after another within the run: their latencies cannot add up to more than it took.
    expect(results.reduce((sum, result) => sum + (result.latencyMs ?? 0), 0)).toBeLessThanOrEqual(report.durationMs);
    const queued = results.map((result) => result.queueMs ?? -1).sort((a, b) => a - b);
    expect(queued[0]).toBe(0);
    expect(queued.slice(1).every((queueMs) => queueMs > 0)).toBe(true);
    expect(report.providers[0]?.queueMs?.p50).toBeGreaterThan(0);
    // The summary stored with the run (what `runs show --json` prints) has it too.
    const stored = (await lab.getRun(report.runId))?.run.summary as { providers: Array<{ queueMs: { p50: number } | null }> };
    expect(stored.providers[0]?.queueMs?.p50).toBe(report.providers[0]?.queueMs?.p50);
  });
});

describe('REDIS_URL pointing at a closed port', () => {
  it('the run warns once and goes on with the disk cache; a second run is answered from it', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    let connections = 0;
    const onSocket = (message: unknown) => {
      (message as { socket: Socket }).socket.on('connectionAttempt', (_ip: string, attemptPort: number) => {
        if (attemptPort === port) connections += 1;
      });
    };
    diagnostics.subscribe('net.client.socket', onSocket);
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    try {
      const server = await newServer();
      const { lab, cwd } = await newLab();
      const warnings: string[] = [];
      const first = await lab.run(echoConfig(server), { onWarning: (message) => warnings.push(message) });
      expect(first.providers[0]).toMatchObject({ results: 3, passed: 3, errors: 0 });
      const cacheDir = join(cwd, '.llm-lab', 'cache');
      expect(warnings).toEqual([
        `the Redis cache at redis://127.0.0.1:${port} cannot be reached (connect ECONNREFUSED 127.0.0.1:${port}); this run goes on with the disk cache in ${cacheDir}.`,
      ]);
      expect(connections).toBe(1);

      const again: string[] = [];
      const second = await lab.run(echoConfig(server), { onWarning: (message) => again.push(message) });
      expect(again).toHaveLength(1);
      expect(connections).toBe(2);
      // The first run's answers went to the disk cache: the second run is answered from it.
      expect((await storedResults(lab, second.runId)).map((result) => result.cached)).toEqual([true, true, true]);
      expect(chatRequests(server)).toBe(3);
      expect(existsSync(cacheDir)).toBe(true);
    } finally {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    }
  });
});
