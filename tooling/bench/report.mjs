// `llm-lab report` on a stored run of 10,000 cases × 2 providers (20,000 results) in the embedded
// database: wall time, CPU and peak resident memory of the command, measured by /usr/bin/time in
// a child process, plus the size of the page written. The target (issue #15): ≤ 3 s.
//
//   pnpm bench:report                          # 10,000 cases
//   node tooling/bench/report.mjs --cases 2000 --repeats 5 --keep /tmp/report-bench   # kept runs are reused
//
// Two real runs are made first through the CLI with mock providers (no latency, a tenth of the
// answers wrong, a few errors, ten topics), so that the report has failures to embed, a heat map
// and, with --compare, cases that flipped. The figures are each command's median of --repeats.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const CASES = Number(option('cases', '10000'));
const REPEATS = Number(option('repeats', '3'));
const keep = option('keep', undefined);
if (!Number.isInteger(CASES) || CASES < 1) {
  console.error(`--cases must be a whole number ≥ 1, got ${option('cases')}`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('The benchmark measures each command with /usr/bin/time: install it (Debian: apt-get install time).');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (pnpm bench:report builds it).`);
  process.exit(2);
}
const work = keep ?? mkdtempSync(join(tmpdir(), 'llm-lab-bench-report-'));
mkdirSync(work, { recursive: true });
const dataDir = join(work, 'db');
const env = { ...process.env, NO_COLOR: '1' };
delete env.DATABASE_URL;
delete env.LLM_LAB_HOME;

function cliRun(cliArgs) {
  const child = spawnSync('/usr/bin/time', ['-f', 'llm-lab-bench %e %M %U %S', process.execPath, cli, ...cliArgs, '--data-dir', dataDir], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const measured = /llm-lab-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(child.stderr ?? '');
  if (child.status !== 0 || !measured) throw new Error(`llm-lab ${cliArgs.join(' ')} failed (exit ${child.status}): ${child.stderr}`);
  return { seconds: Number(measured[1]), rssMb: Number(measured[2]) / 1024, cpuSeconds: Number(measured[3]) + Number(measured[4]), stdout: child.stdout };
}

const TOPICS = ['algebra', 'geometry', 'logic', 'probability', 'statistics', 'number theory', 'calculus', 'combinatorics', 'physics', 'chemistry'];
const rows = Array.from({ length: CASES }, (_, index) =>
  JSON.stringify({ id: `case-${index}`, question: `What is ${index} + ${index}? Show your working.`, answer: String(index * 2), topic: TOPICS[index % TOPICS.length] }),
);
writeFileSync(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
const config = (seed) =>
  [
    `description: report benchmark (seed ${seed})`,
    'providers:',
    `  - { id: mock:careful, config: { mode: field, field: answer, accuracy: 0.9, seed: ${seed}, pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 } } }`,
    `  - { id: mock:flaky, config: { mode: field, field: answer, accuracy: 0.8, errorRate: 0.01, errorMode: persistent, seed: ${seed + 1} }, retry: { maxAttempts: 1 } }`,
    'prompts: ["{{question}}"]',
    'dataset: { path: cases.jsonl, idField: id }',
    'evaluators: [{ type: equals, value: "{{answer}}" }]',
    'groups: { by: topic }',
    'cache: { kind: none }',
    '',
  ].join('\n');

// A folder kept by an earlier --keep holds the runs already: measure them again without remaking them.
const idsFile = join(work, 'run-ids.json');
const runs = existsSync(idsFile) ? JSON.parse(readFileSync(idsFile, 'utf8')) : [];
for (const seed of runs.length === 0 ? [1, 2] : []) {
  writeFileSync(join(work, `run-${seed}.yaml`), config(seed));
  const made = cliRun(['run', `run-${seed}.yaml`, '--json', '--no-progress', '--concurrency', '50']);
  const report = JSON.parse(made.stdout);
  runs.push(report.runId);
  console.log(`run ${report.runId}: ${report.totals.results.toLocaleString('en')} results in ${made.seconds.toFixed(1)} s`);
  if (runs.length === 2) writeFileSync(idsFile, JSON.stringify(runs));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
function measure(label, cliArgs, out) {
  const samples = Array.from({ length: REPEATS }, () => cliRun(cliArgs));
  const figures = {
    label,
    seconds: median(samples.map((s) => s.seconds)),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
    rssMb: median(samples.map((s) => s.rssMb)),
    bytes: out ? statSync(join(work, out)).size : null,
  };
  console.log(
    `${label.padEnd(34)} ${figures.seconds.toFixed(2)} s wall · ${figures.cpuSeconds.toFixed(2)} s CPU · ${Math.round(figures.rssMb)} MB peak RSS${figures.bytes ? ` · ${(figures.bytes / 1_048_576).toFixed(1)} MB file` : ''}`,
  );
  return figures;
}

console.log(`\n${CASES.toLocaleString('en')} cases × 2 providers, median of ${REPEATS} (Node ${process.version}, a shared 2-core machine):`);
const report = measure('report', ['report', runs[1], '--out', 'report.html'], 'report.html');
measure('report --compare', ['report', runs[1], '--compare', runs[0], '--out', 'compare.html'], 'compare.html');
measure('export --format csv', ['export', runs[1], '--out', 'results.csv'], 'results.csv');
measure('export --format parquet', ['export', runs[1], '--out', 'results.parquet'], 'results.parquet');
// On a shared machine the wall time follows the load; the CPU time is what the command costs.
const load = (await import('node:os')).loadavg()[0];
console.log(`\nreport target ≤ 3 s: ${report.seconds <= 3 ? 'met' : 'missed'} (${report.seconds.toFixed(2)} s wall, ${report.cpuSeconds.toFixed(2)} s CPU; load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores)`);
if (!keep) rmSync(work, { recursive: true, force: true });
