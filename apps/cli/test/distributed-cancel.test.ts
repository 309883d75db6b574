import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { BIN, cleanEnv, dropSchema, runCli } from './helpers.js';

// `llm-lab runs cancel <id>` from another process than the one that submitted the run: the
// workers stop taking its shards and stop the ones they execute after their calls in flight, the
// submitter following it ends as cancelled, and the run is finished later with --resume.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const id = `${process.pid}_${Date.now().toString(36)}`;
const schema = `cli_dist_cancel_${id}`;
const queueSchema = `cli_dist_cancel_q_${id}`;
const CASES = 80;

interface Child {
  process: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], dir: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (ready.test(log)) resolve({ process: child, log: () => log, exited });
    });
    void exited.then((code) => reject(new Error(`llm-lab ${args.join(' ')} exited (${code}) first: ${log}`)));
  });
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('llm-lab runs cancel', () => {
  afterAll(async () => {
    await dropSchema(DATABASE_URL, schema);
    await dropSchema(DATABASE_URL, queueSchema);
  });

  it('stops a distributed run on every worker, and the run resumes like a local one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-distributed-cancel-'));
    const config = join(dir, 'llm-lab.json');
    await writeFile(
      config,
      JSON.stringify({
        providers: [{ id: 'mock:slow', config: { mode: 'field', field: 'answer', latencyMs: 500 } }],
        prompts: ['{{question}}'],
        dataset: { rows: Array.from({ length: CASES }, (_, i) => ({ id: `q${i}`, question: `q${i}?`, answer: String(i) })) },
        evaluators: [{ type: 'equals', value: '{{answer}}' }],
        cache: { kind: 'none' },
      }),
    );
    const env = cleanEnv({ DATABASE_URL, LLM_LAB_DB_SCHEMA: schema, LLM_LAB_QUEUE_SCHEMA: queueSchema });
    const workers = [
      await start(['worker', '--concurrency', '1'], dir, env, /waiting for shards/),
      await start(['worker', '--concurrency', '1'], dir, env, /waiting for shards/),
    ];
    const sql = new pg.Client({ connectionString: DATABASE_URL });
    await sql.connect();
    const results = async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "${schema}".results WHERE run_id = $1`, [runId]);
      return (rows[0] as { n: number }).n;
    };
    let runId = '';
    try {
      // 20 shards of 4 cases; each worker executes one at a time, one call of 500 ms after another.
      const submitter = await start(['run', config, '--distributed', '--shard-size', '4', '--no-progress'], dir, env, /run (run-\S+) ·/);
      runId = /run (run-\S+) ·/.exec(submitter.log())?.[1] as string;
      await until(async () => workers.every((worker) => /took run-/.test(worker.log())) && (await results()) >= 4);

      // From another process.
      const cancelled = await runCli(['runs', 'cancel', runId], { cwd: dir, env });
      expect(cancelled.stderr).toMatch(new RegExp(`cancelled run ${runId}: \\d+ queued shards? withdrawn, \\d+ being executed stop after their calls in flight`));
      expect(cancelled.code).toBe(0);
      const [, queued, active] = /(\d+) queued shards? withdrawn, (\d+) being executed/.exec(cancelled.stderr)?.map(Number) ?? [];
      expect((queued as number) + (active as number)).toBeGreaterThan(0);
      expect(cancelled.stderr).toMatch(new RegExp(`llm-lab run \\S*llm-lab.json --resume ${runId}`));

      // The submitter following the run hears of it and ends as a cancelled run does.
      expect(await submitter.exited).toBe(130);
      expect(submitter.log()).toMatch(new RegExp(`cancelled run ${runId}; finish it on one machine with: llm-lab run .* --resume ${runId}`));

      // Each shard being executed stopped on its worker (after its calls in flight), and no worker took another.
      const stopped = () => workers.reduce((sum, worker) => sum + (worker.log().match(/stopped run-\S+ shard \d+\/20: the run was cancelled/g)?.length ?? 0), 0);
      await until(() => stopped() === active);
      const taken = workers.map((worker) => worker.log().match(/took run-/g)?.length ?? 0);
      const atCancel = await results();
      expect(atCancel).toBeLessThan(CASES);

      const shown = await runCli(['runs', 'show', runId, '--json', '--limit', '1'], { cwd: dir, env });
      expect((JSON.parse(shown.stdout) as { run: { status: string } }).run.status).toBe('cancelled');
      // A second cancel has nothing to do.
      const again = await runCli(['runs', 'cancel', runId], { cwd: dir, env });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/is already cancelled: there is nothing to cancel/);

      // Finished on one machine, as a local run stopped with Ctrl-C: only what was missing is executed.
      const resumed = await runCli(['run', config, '--resume', runId, '--no-progress'], { cwd: dir, env });
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`Run ${runId} completed`));
      expect(await results()).toBe(CASES);
      // The workers took no shard of the run after the cancel (the resume ran locally).
      expect(workers.map((worker) => worker.log().match(/took run-/g)?.length ?? 0)).toEqual(taken);
    } finally {
      await sql.end();
      for (const worker of workers) worker.process.kill('SIGTERM');
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
    }
    expect(workers.map((worker) => worker.log()).join('\n')).toMatch(/stopped by a cancel/);
  }, 180_000);
});
