// `llm-lab rescore` on a stored run of N results in the embedded database (default 20,000): wall
// time, user + system CPU and peak resident memory of the command, measured by /usr/bin/time in a
// child process, beside the run it re-scores (made first, through the CLI, with an offline mock
// provider). The rescore reads the run page by page, so its memory should not grow with N.
//
//   pnpm bench:rescore                      # N=20,000
//   node tooling/bench/rescore.mjs --n 50000 --repeats 3
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const N = Number(option('n', '20000'));
const REPEATS = Number(option('repeats', '3'));
if (!Number.isInteger(N) || N < 1) {
  console.error(`--n must be a positive whole number; got ${option('n')}`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('The benchmark measures each command with /usr/bin/time: install it (Debian: apt-get install time).');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (pnpm bench:rescore builds it).`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'llm-lab-bench-rescore-'));
const env = { ...process.env, NO_COLOR: '1' };
delete env.DATABASE_URL;
delete env.LLM_LAB_HOME;

/** Runs the CLI under /usr/bin/time: its standard output, and wall seconds, CPU seconds and peak RSS in MB. */
function measure(cliArgs) {
  const child = spawnSync('/usr/bin/time', ['-f', 'llm-lab-bench %e %M %U %S', process.execPath, cli, ...cliArgs, '--data-dir', join(work, 'db')], {
    cwd: work,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = child.stderr.split('\n').find((text) => text.startsWith('llm-lab-bench '));
  if (child.status !== 0 || !line) throw new Error(`llm-lab ${cliArgs.join(' ')} exited with ${child.status}:\n${child.stderr.slice(-2000)}`);
  const [wall, rssKb, user, system] = line.split(' ').slice(1).map(Number);
  return { stdout: child.stdout, wallS: wall, cpuS: user + system, rssMb: rssKb / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  writeFileSync(join(work, 'cases.jsonl'), Array.from({ length: N }, (_, i) => JSON.stringify({ id: `c${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i) })).join('\n') + '\n');
  writeFileSync(
    join(work, 'llm-lab.yaml'),
    [
      'providers:',
      '  - id: mock:bench',
      '    config: { mode: field, field: answer, accuracy: 0.8, seed: 1 }',
      'prompts: ["{{question}}"]',
      'dataset: { path: cases.jsonl, idField: id }',
      'evaluators: [{ type: equals, value: "{{answer}}" }]',
      'run: { concurrency: 64 }',
      '',
    ].join('\n'),
  );
  writeFileSync(join(work, 'evaluators.yaml'), '- type: contains\n  value: "{{answer}}"\n- type: regex\n  pattern: "^\\\\d+$"\n');
  const run = measure(['run', 'llm-lab.yaml', '--json', '--no-progress', '--no-cache']);
  const runId = JSON.parse(run.stdout).runId;
  const rescores = Array.from({ length: REPEATS }, () => measure(['rescore', runId, '--evaluators', 'evaluators.yaml', '--json', '--no-progress']));
  const results = JSON.parse(rescores[0].stdout).totals.results;
  if (results !== N) throw new Error(`the rescore stored ${results} results, not ${N}`);
  const row = (name, figures) => `| ${name} | ${median(figures.map((f) => f.wallS)).toFixed(2)} s | ${median(figures.map((f) => f.cpuS)).toFixed(2)} s | ${Math.round(median(figures.map((f) => f.rssMb)))} MB |`;
  console.log(`N = ${N.toLocaleString('en-US')} results, embedded database, medians of ${REPEATS} rescores (the run once)\n`);
  console.log('| command | wall | CPU (user + system) | peak RSS |\n|---|--:|--:|--:|');
  console.log(row('llm-lab run (mock provider, the run re-scored)', [run]));
  console.log(row('llm-lab rescore <run> --evaluators (contains + regex)', rescores));
} finally {
  rmSync(work, { recursive: true, force: true });
}
