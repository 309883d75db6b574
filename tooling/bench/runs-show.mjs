// `llm-lab runs show` on a stored run of 1,000,000 results in the embedded database: wall time and
// peak resident memory of each command, measured by /usr/bin/time in a child process.
//
//   pnpm bench:runs-show                         # N=1,000,000 results
//   node tooling/bench/runs-show.mjs --n 200000 --keep /tmp/runs-show --json figures.json
//
// The run is made in two steps: a real run of 100 cases × 2 providers (200 results, mock
// providers, through the CLI), whose results are then copied in SQL inside PGlite (INSERT …
// SELECT over generate_series, in chunks) under new case ids and indexes, with latencies spread
// out, until the run holds N results; its totals and per-provider summary are scaled to match, as
// if the run had been that long. Bulk copying in SQL takes a minute or two where inserting a
// million results through a run would take far longer; what `runs show` reads is the same.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const BASE_CASES = 100;
const PROVIDERS = 2;
const BASE = BASE_CASES * PROVIDERS;
const N = Number(option('n', '1000000'));
const REPEATS = Number(option('repeats', '3'));
const keep = option('keep', undefined);
const jsonOut = option('json', undefined);
if (!Number.isInteger(N) || N < BASE || N % BASE !== 0) {
  console.error(`--n must be a multiple of ${BASE} (the base run's results), at least ${BASE}; got ${option('n')}`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('The benchmark measures each command with /usr/bin/time: install it (Debian: apt-get install time).');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (pnpm bench:runs-show builds it).`);
  process.exit(2);
}

const work = keep ?? mkdtempSync(join(tmpdir(), 'llm-lab-bench-runs-show-'));
// A folder kept by an earlier --keep holds the run already: measure it again without rebuilding it.
const reuse = keep !== undefined && existsSync(join(keep, 'run-id'));
if (keep && !reuse) {
  if (existsSync(join(keep, 'db'))) {
    console.error(`${keep} holds a database but no finished benchmark run: give a new folder to --keep`);
    process.exit(2);
  }
  mkdirSync(keep, { recursive: true });
}
const dataDir = join(work, 'db');
const env = { ...process.env, NO_COLOR: '1' };
delete env.DATABASE_URL;
delete env.LLM_LAB_HOME;

function cliRun(cliArgs, { stdoutFile } = {}) {
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
  try {
    const child = spawnSync('/usr/bin/time', ['-f', 'llm-lab-bench %e %M %U %S', process.execPath, cli, ...cliArgs], {
      cwd: work,
      env,
      stdio: ['ignore', out, 'pipe'],
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const measured = /llm-lab-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(child.stderr ?? '');
    if (child.status !== 0 || !measured) {
      throw new Error(`llm-lab ${cliArgs.join(' ')} failed (exit ${child.status}): ${child.stderr}`);
    }
    return {
      seconds: Number(measured[1]),
      rssMb: Number(measured[2]) / 1024,
      cpuSeconds: Number(measured[3]) + Number(measured[4]),
      stdout: child.stdout ?? '',
    };
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

async function buildRun() {
  // 1. A real run: 100 cases, 2 mock providers, about a tenth failing and a few errored calls.
  const rows = Array.from({ length: BASE_CASES }, (_, index) =>
    JSON.stringify({ id: `case-${String(index).padStart(3, '0')}`, question: `What is ${index} + ${index}?`, answer: String(index * 2) }),
  );
  writeFileSync(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(work, 'llm-lab.yaml'),
    [
      'description: runs show benchmark',
      'providers:',
      '  - { id: mock:careful, config: { mode: field, field: answer, accuracy: 0.92, seed: 3 } }',
      '  - { id: mock:flaky, config: { mode: field, field: answer, accuracy: 0.9, errorRate: 0.02, seed: 5 } }',
      'prompts: ["{{question}}"]',
      'dataset: { path: cases.jsonl, idField: id }',
      'evaluators: [{ type: equals, value: "{{answer}}" }]',
      '',
    ].join('\n'),
  );
  const started = performance.now();
  const base = cliRun(['run', 'llm-lab.yaml', '--json', '--no-cache', '--data-dir', dataDir]);
  const runId = JSON.parse(base.stdout).runId;
  console.log(`base run ${runId}: ${BASE} results in ${base.seconds.toFixed(2)} s`);

  // 2. Copy its results in SQL until the run holds N.
  const pgliteEntry = createRequire(join(root, 'packages', 'storage', 'package.json'))
    .resolve('@electric-sql/pglite')
    .replace(/\.cjs$/, '.js');
  const { PGlite } = await import(pathToFileURL(pgliteEntry).href);
  const db = await PGlite.create(dataDir, { relaxedDurability: true, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
  const copies = N / BASE;
  const CHUNK = Math.max(1, Math.floor(50_000 / BASE));
  const columns = `run_id, case_id, case_index, provider_id, provider, model, prompt_id, repeat, prompt, vars, output, passed, scores, score,
    latency_ms, ttft_ms, queue_ms, input_tokens, output_tokens, cost_usd, cached, attempts, answered_by, error_kind, error_message, warnings`;
  for (let from = 1; from < copies; from += CHUNK) {
    const to = Math.min(copies - 1, from + CHUNK - 1);
    await db.query(
      `INSERT INTO results (${columns})
       SELECT run_id, case_id || '-' || c, case_index + c * ${BASE_CASES}, provider_id, provider, model, prompt_id, repeat, prompt, vars, output,
         passed, scores, score, CASE WHEN latency_ms IS NULL THEN NULL ELSE latency_ms + (c * 7919 + case_index) % 997 END,
         ttft_ms, queue_ms, input_tokens, output_tokens, cost_usd, cached, attempts, answered_by, error_kind, error_message, warnings
       FROM results, generate_series($2::int, $3::int) AS c WHERE run_id = $1 AND case_index < ${BASE_CASES}`,
      [runId, from, to],
    );
    process.stdout.write(`\rcopying results: ${((to + 1) * BASE).toLocaleString('en-US')} / ${N.toLocaleString('en-US')}`);
  }
  process.stdout.write('\n');
  // The totals and summary a run of this length would have stored: counts scaled, rates kept.
  const {
    rows: [stored],
  } = await db.query('SELECT totals, summary FROM runs WHERE id = $1', [runId]);
  const COUNT_KEYS = new Set(['results', 'passed', 'failed', 'errors', 'answers', 'cases', 'inputTokens', 'outputTokens']);
  const scale = (value, key) => {
    if (Array.isArray(value)) return value.map((item) => scale(item));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scale(v, k)]));
    return typeof value === 'number' && Number.isInteger(value) && COUNT_KEYS.has(key) ? value * copies : value;
  };
  const scaleKinds = (summary) => ({
    ...summary,
    providers: summary.providers.map((provider) => ({
      ...provider,
      errorKinds: Object.fromEntries(Object.entries(provider.errorKinds ?? {}).map(([kind, count]) => [kind, count * copies])),
    })),
  });
  await db.query('UPDATE runs SET totals = $2, summary = $3 WHERE id = $1', [runId, scale(stored.totals), scaleKinds(scale(stored.summary))]);
  const {
    rows: [counted],
  } = await db.query(
    `SELECT count(*)::int AS results, (count(*) FILTER (WHERE passed IS NOT TRUE OR error_kind IS NOT NULL))::int AS unpassed FROM results WHERE run_id = $1`,
    [runId],
  );
  await db.query('CHECKPOINT');
  await db.close();
  console.log(
    `run ${runId}: ${counted.results.toLocaleString('en-US')} results, ${counted.unpassed.toLocaleString('en-US')} failed or errored, ` +
      `built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (counted.results !== N) throw new Error(`expected ${N} results, found ${counted.results}`);
  writeFileSync(join(work, 'run-id'), `${runId}\n`);
  return runId;
}

const runId = reuse ? readFileSync(join(work, 'run-id'), 'utf8').trim() : await buildRun();
if (reuse) console.log(`measuring run ${runId} in ${work} again`);

const DEFAULT_PAGE = 20;
let cursor = '';

// 3. Measure each command REPEATS times (medians), its output to a file.
const commands = [
  // What opening the embedded database costs any command: the floor under the others.
  { name: 'runs list -n 1', args: ['runs', 'list', '-n', '1'] },
  { name: 'runs show <id>', args: ['runs', 'show', runId], target: true },
  { name: 'runs show <id> --failures', args: ['runs', 'show', runId, '--failures'], target: true },
  { name: 'runs show <id> --failures --sort latency --desc -n 100', args: ['runs', 'show', runId, '--failures', '--sort', 'latency', '--desc', '-n', '100'] },
  { name: `runs show <id> --results --offset ${N / 2}`, args: ['runs', 'show', runId, '--results', '--offset', String(N / 2)], keepCursor: true },
  // The same depth by keyset: the cursor printed by the page above.
  { name: `runs show <id> --results --cursor <after ${N / 2 + DEFAULT_PAGE}>`, args: ['runs', 'show', runId, '--results', '--cursor', () => cursor] },
  { name: 'runs show <id> --failures --all', args: ['runs', 'show', runId, '--failures', '--all'], repeats: 1 },
];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const figures = [];
for (const command of commands) {
  const samples = [];
  const output = join(work, 'out.txt');
  const commandArgs = command.args.map((arg) => (typeof arg === 'function' ? arg() : arg));
  for (let i = 0; i < (command.repeats ?? REPEATS); i += 1) samples.push(cliRun([...commandArgs, '--data-dir', dataDir], { stdoutFile: output }));
  const text = readFileSync(output, 'utf8');
  const lines = text.split('\n').length - 1;
  if (command.keepCursor) cursor = /--cursor (\S+?),/.exec(text)?.[1] ?? '';
  const figure = {
    command: command.name,
    seconds: median(samples.map((sample) => sample.seconds)),
    cpuSeconds: Math.round(median(samples.map((sample) => sample.cpuSeconds)) * 100) / 100,
    rssMb: Math.round(median(samples.map((sample) => sample.rssMb))),
    outputLines: lines,
    samples: samples.length,
  };
  if (command.target) figure.meetsTarget = figure.seconds <= 1 && figure.rssMb <= 250;
  figures.push(figure);
  console.log(
    `${figure.command.padEnd(56)} ${figure.seconds.toFixed(2).padStart(6)} s wall ${figure.cpuSeconds.toFixed(2).padStart(6)} s CPU ${String(figure.rssMb).padStart(5)} MB ` +
      `${String(lines).padStart(8)} lines${command.target ? (figure.meetsTarget ? '  (target ≤ 1 s, ≤ 250 MB: met)' : '  (target ≤ 1 s, ≤ 250 MB: MISSED)') : ''}`,
  );
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ results: N, runId, figures }, null, 2)}\n`);
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
