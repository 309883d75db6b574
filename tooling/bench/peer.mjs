#!/usr/bin/env node
// LLM Lab against promptfoo on the same workload, side by side in one run.
//
//   pnpm bench                      (N=5000, C=64, 20 ms server latency)
//   pnpm bench -- --n 1000 --c 16 --latency 20 --skip-peer
//
// Both tools run the same generated cases against the same fast local OpenAI-compatible server
// (../shared/bench/fake-openai-server.mjs), each as a child process measured by /usr/bin/time -v
// (wall, user + system CPU, peak resident memory). promptfoo is installed and run by
// ../shared/bench/promptfoo.sh. Without ../shared (a user's clone), the peer side is skipped and
// LLM Lab runs against the testkit's fake server on cases generated here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, haveShared, root, sharedBench, startBenchServer } from './bench-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');

const args = benchArgs({
  n: { type: 'string', default: '5000' },
  c: { type: 'string', default: '64' },
  latency: { type: 'string', default: '20' },
  'skip-peer': { type: 'boolean', default: false },
  /** Also run LLM Lab with storage on this PostgreSQL server (default DATABASE_URL, when set). */
  'database-url': { type: 'string' },
  json: { type: 'string' },
});
const N = Number(args.n);
const C = Number(args.c);
const LATENCY = Number(args.latency);
const ideal = (N * LATENCY) / C / 1000;

if (!existsSync('/usr/bin/time')) {
  console.error('The benchmark measures each tool with /usr/bin/time -v: install it (Debian: apt-get install time).');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`Build first: ${cli} is missing (pnpm build).`);
  process.exit(2);
}
if (!haveShared) console.error(`note: ${sharedBench} not found: promptfoo is skipped and LLM Lab runs against the testkit fake server.`);

function generateCases(dir) {
  if (haveShared) {
    spawnSync(process.execPath, [join(sharedBench, 'gen-cases.mjs'), String(N), dir], { stdio: 'ignore' });
    return join(dir, `cases-${N}.jsonl`);
  }
  const lines = [];
  for (let i = 0; i < N; i++) {
    const term = `term${i}`;
    const check = i % 2 === 0 ? 'equals' : 'contains';
    lines.push(JSON.stringify({ id: `case-${i}`, question: `${term} is what? Reply briefly.`, answer: `Answer: ${term}`, check, expected: check === 'equals' ? `Answer: ${term}` : term }));
  }
  const file = join(dir, `cases-${N}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Runs a command under /usr/bin/time -v; returns wall, CPU and peak memory. */
function measure(command, commandArgs, options = {}) {
  const timeFile = join(options.cwd ?? tmpdir(), `time-${process.hrtime.bigint()}.txt`);
  const result = spawnSync('/usr/bin/time', ['-v', '-o', timeFile, command, ...commandArgs], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const text = readFileSync(timeFile, 'utf8');
  const field = (pattern) => pattern.exec(text)?.[1];
  const wall = (field(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/) ?? '0:0').split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  const user = Number(field(/User time \(seconds\): (\S+)/));
  const sys = Number(field(/System time \(seconds\): (\S+)/));
  const rss = Number(field(/Maximum resident set size \(kbytes\): (\S+)/)) / 1024;
  return { wall_s: wall, user_s: user, sys_s: sys, cpu_ms_per_case: ((user + sys) * 1000) / N, peak_rss_mb: Math.round(rss), status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function llmLabConfig(dir, casesFile, baseURL) {
  const evaluator = join(here, 'row-check.mjs');
  const file = join(dir, 'llm-lab.yaml');
  writeFileSync(
    file,
    [
      'description: peer benchmark',
      'providers:',
      `  - id: openai:gpt-4o-mini`,
      `    config: { baseURL: "${baseURL}", apiKey: dummy }`,
      'prompts: ["{{question}}"]',
      `dataset: { path: "${casesFile}", idField: id }`,
      `evaluators: [{ type: custom, module: "${evaluator}" }]`,
      'defaults: { temperature: 0, maxTokens: 16 }',
      `run: { concurrency: ${C} }`,
      '',
    ].join('\n'),
  );
  return file;
}

function llmLabRun(dir, config, extra = [], databaseUrl = undefined) {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (databaseUrl) Object.assign(env, { DATABASE_URL: databaseUrl, LLM_LAB_DB_SCHEMA: `bench_${process.pid}` });
  const storage = databaseUrl ? [] : ['--data-dir', join(dir, 'db')];
  const measured = measure(process.execPath, [cli, 'run', config, '--json', '--no-progress', ...storage, ...extra], { cwd: dir, env });
  let report;
  try {
    report = JSON.parse(measured.stdout);
  } catch {
    throw new Error(`llm-lab failed (exit ${measured.status}):\n${measured.stderr}`);
  }
  const summary = report.providers[0];
  return { tool: 'llm-lab', ...measured, stdout: undefined, stderr: undefined, passed: summary.passed, failed: summary.failed + summary.errors };
}

function promptfooRun(baseURL, extra = []) {
  const result = spawnSync('bash', [join(sharedBench, 'promptfoo.sh'), String(N), String(C), baseURL, ...extra], { encoding: 'utf8' });
  const line = result.stdout.trim().split('\n').at(-1);
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`promptfoo.sh failed: ${result.stderr}\n${result.stdout}`);
  }
}

function startup() {
  const runs = 5;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync(process.execPath, [cli, '--version']);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] / 1000;
}

const server = await startBenchServer(LATENCY);
const work = mkdtempSync(join(tmpdir(), 'llm-lab-bench-'));
try {
  const casesFile = generateCases(work);
  const config = llmLabConfig(work, casesFile, server.url);
  console.error(`LLM Lab vs promptfoo: N=${N} cases, concurrency ${C}, server latency ${LATENCY} ms (ideal ${ideal.toFixed(2)} s)`);

  const lab = llmLabRun(work, config, ['--no-cache']);
  llmLabRun(work, config); // fills the response cache
  const warm = llmLabRun(work, config);
  const warmAgain = llmLabRun(work, config);
  const labStartup = startup();
  const oneCase = llmLabRun(work, config, ['--limit', '1', '--no-cache']);
  const databaseUrl = args['database-url'] ?? process.env.DATABASE_URL;
  const server_ = databaseUrl ? llmLabRun(work, config, ['--no-cache'], databaseUrl) : undefined;
  const peer = haveShared && !args['skip-peer'] ? promptfooRun(server.url, ['--no-cache']) : undefined;

  // Columns: LLM Lab on its embedded database, LLM Lab on a PostgreSQL server, promptfoo, and
  // promptfoo's figure divided by each LLM Lab figure.
  const runs = [['llm-lab (embedded)', lab], ...(server_ ? [['llm-lab (postgres)', server_]] : [])];
  const ratio = (theirs, ours) => `${(theirs / ours).toFixed(1)}×`;
  const row = (label, ours, theirs, format = (value) => value.toFixed(2)) => [
    label,
    ...runs.map(([, figures]) => format(ours(figures))),
    ...(peer ? [format(theirs), ...runs.map(([, figures]) => ratio(theirs, ours(figures)))] : []),
  ];
  const rows = [
    ['', ...runs.map(([name]) => name), ...(peer ? ['promptfoo', ...runs.map(([name]) => `promptfoo / ${name.replace(/^llm-lab \((.*)\)$/, '$1')}`)] : [])],
    row('wall (s)', (figures) => figures.wall_s, peer?.wall_s),
    ['wall / ideal', ...runs.map(([, figures]) => (figures.wall_s / ideal).toFixed(2)), ...(peer ? [(peer.wall_s / ideal).toFixed(2)] : [])],
    row('CPU per case (ms)', (figures) => figures.cpu_ms_per_case, peer?.cpu_ms_per_case, (value) => value.toFixed(3)),
    row('peak memory (MB)', (figures) => figures.peak_rss_mb, peer?.peak_rss_mb, (value) => String(Math.round(value))),
    ['passed / failed', ...runs.map(([, figures]) => `${figures.passed} / ${figures.failed}`), ...(peer ? [`${peer.passed} / ${peer.failed}`] : [])],
    ['warm cache run, twice (s)', `${warm.wall_s.toFixed(2)}, ${warmAgain.wall_s.toFixed(2)}`],
    ['llm-lab --version (s)', labStartup.toFixed(3), ...(peer ? ['', '2.3 (reference)'] : [])],
    ['a 1-case run (s)', oneCase.wall_s.toFixed(2)],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, column) => String(cell).padEnd(widths[column])).join('  '));
  const figures = { n: N, concurrency: C, latency_ms: LATENCY, ideal_s: ideal, llmLab: lab, llmLabPostgres: server_, llmLabWarm: [warm, warmAgain], llmLabStartup_s: labStartup, llmLabOneCase: oneCase, promptfoo: peer };
  if (args.json) writeFileSync(args.json, JSON.stringify(figures, null, 2));
} finally {
  server.stop();
}
