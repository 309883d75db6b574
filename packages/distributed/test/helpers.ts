import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const fixture = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));

/** Drops test schemas and everything in them. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A worker process and the events it printed. */
export interface ChildWorker {
  process: ChildProcess;
  events: Array<Record<string, unknown> & { type: string }>;
  /** Resolves with the first event `match` accepts (already printed or to come). */
  waitFor(match: (event: Record<string, unknown> & { type: string }) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export interface WorkerRequest {
  cwd: string;
  schema: string;
  queueSchema: string;
  queue: string;
  name: string;
  concurrency: number;
}

/** Starts `fixtures/worker.mjs` in a child process. */
export async function startChildWorker(dir: string, request: WorkerRequest, env: NodeJS.ProcessEnv = {}): Promise<ChildWorker> {
  const file = join(dir, `${request.name}.json`);
  await writeFile(file, JSON.stringify({ ...request, databaseUrl: DATABASE_URL }));
  const child = spawn(process.execPath, [fixture, file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: '', ...env } });
  const events: ChildWorker['events'] = [];
  const waiters: Array<{ match: (event: ChildWorker['events'][number]) => boolean; resolve: (event: Record<string, unknown>) => void }> = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffered.slice(0, newline)) as ChildWorker['events'][number];
      buffered = buffered.slice(newline + 1);
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.match(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const worker: ChildWorker = {
    process: child,
    events,
    exited,
    stderr: () => stderr,
    waitFor: (match) =>
      new Promise((resolve, reject) => {
        const found = events.find(match);
        if (found) return resolve(found);
        waiters.push({ match, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`worker ${request.name} exited (${code ?? signal}) first: ${stderr}`)));
      }),
  };
  await worker.waitFor((event) => event.type === 'ready');
  return worker;
}

/** Polls `check` every 25 ms until it returns true. */
export async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
}
