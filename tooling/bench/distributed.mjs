// Distributed runs: throughput of `llm-lab run --distributed` with 1, 2 and 4 `llm-lab worker`
// processes on a latency-bound workload (the testkit's fake OpenAI server answering every call
// after 200 ms), and of one local `llm-lab run` at the same total concurrency for comparison.
//
//   pnpm bench:distributed
//   node tooling/bench/distributed.mjs --cases 3200 --concurrency 8 [--shard-size N] --workers 1,2,4
//
// Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); each
// measurement uses schemas of its own, dropped at the end. The machine is shared: figures are
// wall times of whole commands (plan, queue, execute, record), one run each, with the load
// average when each started; and the CPU time the LLM Lab processes used (the workers and the
// submitting command, or the local run), per 1,000 cases: the cost of the distributed path,
// which the machine's other load does not change much.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAIServer } from '@llm-lab/provider-testkit';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const CASES = Number(option('cases', '3200'));
const CONCURRENCY = Number(option('concurrency', '8'));
const SHARD_SIZE = option('shard-size', undefined);
const WORKERS = option('workers', '1,2,4').split(',').map(Number);
const LATENCY_MS = Number(option('latency', '200'));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = `${process.pid}_${Date.now().toString(36)}`;

const pg = createRequire(join(root, 'packages', 'distributed', 'package.json'))('pg');
const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
/** Seconds from the command's start to the first result stored, and from the last result stored to the command's end. */
const edges = async (env, startedAt, endedAt) => {
  const { rows } = await client.query(`SELECT extract(epoch FROM min(created_at)) * 1000 AS first, extract(epoch FROM max(created_at)) * 1000 AS last FROM "${env.LLM_LAB_DB_SCHEMA}".results`);
  return { before: (Number(rows[0].first) - startedAt) / 1000, after: (endedAt - Number(rows[0].last)) / 1000, span: (Number(rows[0].last) - Number(rows[0].first)) / 1000 };
};
const server = await startFakeOpenAIServer({ apiKey: 'sk-bench', latencyMs: LATENCY_MS });
const dir = mkdtempSync(join(tmpdir(), 'llm-lab-bench-distributed-'));
const config = join(dir, 'llm-lab.json');
writeFileSync(
  config,
  JSON.stringify({
    providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: '${BENCH_OPENAI_KEY}', maxRetries: 0 } }],
    prompts: ['{{question}}'],
    dataset: { rows: Array.from({ length: CASES }, (_, i) => ({ id: `q${i}`, question: `Say ${i}`, answer: `${i}` })) },
    evaluators: [{ type: 'contains', value: '{{answer}}' }],
    cache: { kind: 'none' },
  }),
);
const schemas = [];
const cpuReport = join(root, 'tooling', 'bench', 'cpu-report.mjs');
const envFor = (name) => {
  schemas.push(`bench_dist_${name}_${tag}`, `bench_dist_${name}_q_${tag}`);
  const cpuDir = join(dir, `cpu-${name}`);
  mkdirSync(cpuDir);
  const env = {
    ...process.env,
    NO_COLOR: '1',
    DATABASE_URL,
    BENCH_OPENAI_KEY: 'sk-bench',
    LLM_LAB_DB_SCHEMA: `bench_dist_${name}_${tag}`,
    LLM_LAB_QUEUE_SCHEMA: `bench_dist_${name}_q_${tag}`,
    LLM_LAB_BENCH_CPU_DIR: cpuDir,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(cpuReport).slice(1, -1)}`.trim(),
  };
  delete env.REDIS_URL;
  return env;
};
/** CPU seconds the processes of a measurement used (each wrote its own when it exited). */
const cpuSeconds = (env) => {
  const files = readdirSync(env.LLM_LAB_BENCH_CPU_DIR);
  const micros = files.reduce((sum, file) => {
    const { user, system } = JSON.parse(readFileSync(join(env.LLM_LAB_BENCH_CPU_DIR, file), 'utf8'));
    return sum + user + system;
  }, 0);
  return { seconds: micros / 1e6, processes: files.length };
};
const load = () => loadavg()[0].toFixed(1);

function run(argv, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const startedAt = Date.now();
    const child = spawn(process.execPath, [cli, ...argv], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - started, startedAt, endedAt: Date.now() }) : reject(new Error(`llm-lab ${argv.join(' ')} exited ${code}:\n${output}`))));
  });
}

function startWorker(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'worker', '--concurrency', String(CONCURRENCY)], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (log.includes('waiting for shards')) resolve(child);
    });
    child.on('close', (code) => reject(new Error(`worker exited ${code}: ${log}`)));
    child.exited = new Promise((done) => child.on('close', done));
    setTimeout(() => reject(new Error(`a worker did not start within 60 s: ${log}`)), 60_000).unref();
  });
}

const rows = [];
for (const count of WORKERS) {
  const env = envFor(`w${count}`);
  const workers = await Promise.all(Array.from({ length: count }, () => startWorker(env)));
  const loadAtStart = load();
  const { ms, startedAt, endedAt } = await run(['run', config, '--distributed', ...(SHARD_SIZE ? ['--shard-size', SHARD_SIZE] : []), '--no-progress'], env);
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
  rows.push({ how: `--distributed, ${count} worker${count > 1 ? 's' : ''} × concurrency ${CONCURRENCY}`, count, ms, load: loadAtStart, cpu: cpuSeconds(env), edges: await edges(env, startedAt, endedAt) });
}
for (const count of WORKERS) {
  const env = envFor(`local${count}`);
  const loadAtStart = load();
  const { ms, startedAt, endedAt } = await run(['run', config, '--concurrency', String(count * CONCURRENCY), '--no-progress'], env);
  rows.push({ how: `local run, concurrency ${count * CONCURRENCY}`, count, ms, local: true, load: loadAtStart, cpu: cpuSeconds(env), edges: await edges(env, startedAt, endedAt) });
}
rmSync(dir, { recursive: true, force: true });
await server.close();

for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await client.end();

const base = (local) => rows.find((row) => row.count === WORKERS[0] && Boolean(row.local) === local).ms;
// Throughput between the first result stored and the last: the execution alone, without the
// command's start (loading, planning, queueing, each worker's first shard) and its record.
const spanBase = (local) => rows.find((row) => row.count === WORKERS[0] && Boolean(row.local) === local).edges.span;
console.log(`${CASES} cases, ${LATENCY_MS} ms a call, shards of ${SHARD_SIZE ?? 'the default size'}, PostgreSQL storage\n`);
console.log('how'.padEnd(46), 'wall'.padStart(8), 'results/s'.padStart(10), `vs ${WORKERS[0]}`.padStart(6), 'CPU s/1k cases'.padStart(15), 'load'.padStart(6), 'to 1st'.padStart(7), 'after last'.padStart(11), 'between/s'.padStart(10), `vs ${WORKERS[0]}`.padStart(6));
for (const row of rows) {
  console.log(
    row.how.padEnd(46),
    `${(row.ms / 1000).toFixed(2)} s`.padStart(8),
    (CASES / (row.ms / 1000)).toFixed(1).padStart(10),
    `${(base(Boolean(row.local)) / row.ms).toFixed(2)}×`.padStart(6),
    `${((row.cpu.seconds * 1000) / CASES).toFixed(2)} (${row.cpu.processes}p)`.padStart(15),
    row.load.padStart(6),
    `${row.edges.before.toFixed(1)} s`.padStart(7),
    `${row.edges.after.toFixed(1)} s`.padStart(11),
    (CASES / row.edges.span).toFixed(1).padStart(10),
    `${(spanBase(Boolean(row.local)) / row.edges.span).toFixed(2)}×`.padStart(6),
  );
}
