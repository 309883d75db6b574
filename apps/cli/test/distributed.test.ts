import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BIN, cleanEnv, dropSchema, runCli } from './helpers.js';

// `llm-lab run --distributed` with an `llm-lab worker` beside it, as a user starts them.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const id = `${process.pid}_${Date.now().toString(36)}`;
const schema = `cli_dist_${id}`;
const queueSchema = `cli_dist_q_${id}`;

async function configIn(dir: string): Promise<string> {
  const file = join(dir, 'llm-lab.yaml');
  const rows = Array.from({ length: 12 }, (_, i) => `    - { id: q${i}, question: 'What is ${i}?', answer: '${i}' }`).join('\n');
  await writeFile(
    file,
    `description: distributed from the command line
providers:
  - id: mock:good
    config: { mode: field, field: answer, accuracy: 0.75, seed: 3 }
prompts: ['{{question}}']
dataset:
  rows:
${rows}
evaluators: [{ type: equals, value: '{{answer}}' }]
cache: { kind: none }
`,
  );
  return file;
}

describe('llm-lab run --distributed', () => {
  afterAll(async () => {
    await dropSchema(DATABASE_URL, schema);
    await dropSchema(DATABASE_URL, queueSchema);
  });

  it('refuses without PostgreSQL, naming what to set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-distributed-'));
    const result = await runCli(['run', await configIn(dir), '--distributed'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/needs PostgreSQL.*Set DATABASE_URL/);
    const local = await runCli(['run', await configIn(dir), '--shard-size', '5'], { cwd: dir });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--shard-size only applies to a distributed run: add --distributed/);
    const worker = await runCli(['worker'], { cwd: dir });
    expect(worker.code).toBe(2);
    expect(worker.stderr).toMatch(/llm-lab worker needs PostgreSQL/);
  });

  it('runs with a worker, prints the table, and runs show reads the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-distributed-'));
    const config = await configIn(dir);
    const env = cleanEnv({ DATABASE_URL, LLM_LAB_DB_SCHEMA: schema, LLM_LAB_QUEUE_SCHEMA: queueSchema });
    const worker = spawn(process.execPath, [BIN, 'worker', '--concurrency', '2'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let workerLog = '';
    worker.stderr.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => worker.on('close', (code, signal) => resolve({ code, signal })));
    try {
      const result = await runCli(['run', config, '--distributed', '--shard-size', '5', '--no-progress'], { cwd: dir, env });
      expect(result.stderr).toMatch(/12 cases in 3 shards on queue 'llm-lab-shards'/);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/mock:good\s+12\s+9\s+0\s+75\.0%/);
      const runId = /Run (run-\S+) completed/.exec(result.stdout)?.[1] as string;
      expect(runId).toBeDefined();
      const shown = await runCli(['runs', 'show', runId, '--json'], { cwd: dir, env });
      expect(shown.code).toBe(0);
      const parsed = JSON.parse(shown.stdout) as { run: { status: string }; counts: { results: number; passed: number } };
      expect(parsed.run.status).toBe('completed');
      expect(parsed.counts).toMatchObject({ results: 12, passed: 9 });
    } finally {
      worker.kill('SIGTERM');
      // With the worker's log, so that a worker that stopped otherwise says why.
      expect({ ...(await exited), log: workerLog }).toMatchObject({ code: 0, signal: null });
    }
    expect(workerLog).toMatch(/done run-\S+ shard 1\/3: 5 results computed/);
    expect(workerLog).toMatch(/stopped: 3 shards done, 0 handed back, 0 failed/);
  }, 120_000);
});
