// `llm-lab compare` on two stored runs of 1,000,000 results each (paired by case id, broken down
// by a `subject` field of 57 values), on the embedded database (PGlite) and on PostgreSQL: wall
// time and peak resident memory of the command, measured by /usr/bin/time in a child process.
//
//   pnpm bench:analysis                                  # N=1,000,000 results per run, both backends
//   node tooling/bench/analysis.mjs --n 200000 --backend pglite --json figures.json
//
// The two runs are written straight in SQL (INSERT … SELECT over generate_series, in chunks):
// case i passes on run A when a hash of (i, 'a') falls under 78%, on run B under 76%, with
// latencies and costs spread by other hashes. Inserting two million results through real runs
// would take far longer; what `compare` reads is the same (on PGlite the fill ends with the VACUUM
// storage runs when a run ends). PostgreSQL: DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test), in a schema of its own, dropped at the end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const N = Number(option('n', '1000000'));
const backends = option('backend', 'pglite,postgres').split(',');
const jsonOut = option('json', undefined);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
if (!Number.isInteger(N) || N < 1000) {
  console.error(`--n must be a whole number ≥ 1,000; got ${option('n')}`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('The benchmark measures each command with /usr/bin/time: install it (Debian: apt-get install time).');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (pnpm bench:analysis builds it).`);
  process.exit(2);
}
const storageRequire = createRequire(join(root, 'packages', 'storage', 'package.json'));

function cliRun(cliArgs, env) {
  const child = spawnSync('/usr/bin/time', ['-f', 'llm-lab-bench %e %M %U %S', process.execPath, cli, ...cliArgs], { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, encoding: 'utf8' });
  const measured = /llm-lab-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(child.stderr ?? '');
  if (child.status !== 0 || !measured) throw new Error(`llm-lab ${cliArgs.join(' ')} failed (exit ${child.status}): ${child.stderr}`);
  return { seconds: Number(measured[1]), rssMb: Number(measured[2]) / 1024, cpuSeconds: Number(measured[3]) + Number(measured[4]), stdout: child.stdout };
}

const RUNS = { a: 'bench-analysis-a', b: 'bench-analysis-b' };
const CHUNK = 100_000;
/** Fills both runs through `query(text, params)`. */
async function fill(query) {
  for (const [side, runId] of Object.entries(RUNS)) {
    await query(`INSERT INTO runs (id, description, status, config, resolved_config) VALUES ($1, $2, 'completed', '{}'::jsonb, $3::jsonb)`, [
      runId,
      `analysis benchmark ${side}`,
      JSON.stringify({ providers: [{ id: 'mock:model', label: 'model' }] }),
    ]);
    const threshold = side === 'a' ? 0.78 : 0.76;
    for (let from = 0; from < N; from += CHUNK) {
      const to = Math.min(N, from + CHUNK) - 1;
      await query(
        `INSERT INTO results (run_id, case_id, case_index, provider_id, provider, model, prompt_id, repeat, vars, passed, scores, score, latency_ms, cost_usd)
         SELECT $1, 'case-' || i, i, 'model', 'mock:model', 'model', 'default', 0, jsonb_build_object('subject', 'subject-' || (i % 57)),
           p, '[]'::jsonb, CASE WHEN p THEN 1 ELSE 0 END, 100 + (hashtext(i::text || $4::text || 'lat') & 1023), 0.0001 * (1 + (hashtext(i::text || 'cost') & 7))
         FROM (SELECT i, (hashtext(i::text || $4::text) & 1048575) < $5::float8 * 1048576 AS p FROM generate_series($2::int, $3::int) AS i) AS g`,
        [runId, from, to, side, threshold],
      );
      process.stdout.write(`\rrun ${side}: ${(to + 1).toLocaleString('en-US')} / ${N.toLocaleString('en-US')} results`);
    }
    process.stdout.write('\n');
  }
}

function measure(label, env) {
  const compareArgs = ['compare', RUNS.a, RUNS.b, '--by', 'subject', '--json'];
  cliRun(compareArgs, env); // warm the page cache once
  const figures = [1, 2, 3].map(() => cliRun(compareArgs, env));
  const best = figures.reduce((x, y) => (y.seconds < x.seconds ? y : x));
  const comparison = JSON.parse(best.stdout);
  const pair = comparison.pairs[0];
  // The machine may be shared: wall time moves with the load, CPU time much less (say both).
  const load = loadavg()[0].toFixed(1);
  console.log(`${label}: compare of 2 × ${N.toLocaleString('en-US')} results: ${figures.map((f) => `${f.seconds.toFixed(2)} s`).join(', ')} (best ${best.seconds.toFixed(2)} s, ${best.cpuSeconds.toFixed(2)} s CPU), peak RSS ${Math.max(...figures.map((f) => f.rssMb)).toFixed(0)} MB, load average ${load}`);
  console.log(`  ${pair.n.toLocaleString('en-US')} paired cases, ${pair.groups.length} subjects; ${pair.verdict.text}`);
  return { backend: label, n: N, seconds: figures.map((f) => f.seconds), cpuSeconds: best.cpuSeconds, loadAverage: Number(load), peakRssMb: Math.max(...figures.map((f) => f.rssMb)), pairedCases: pair.n, verdict: pair.verdict.text };
}

const results = [];
const baseEnv = { ...process.env, NO_COLOR: '1' };
delete baseEnv.LLM_LAB_HOME;

if (backends.includes('pglite')) {
  const work = mkdtempSync(join(tmpdir(), 'llm-lab-bench-analysis-'));
  try {
    const env = { ...baseEnv, LLM_LAB_HOME: join(work, '.llm-lab') };
    delete env.DATABASE_URL;
    cliRun(['runs', 'list', '--json'], env); // creates and migrates the embedded database
    const { PGlite } = await import(pathToFileURL(storageRequire.resolve('@electric-sql/pglite').replace(/\.cjs$/, '.js')).href);
    const db = await PGlite.create(join(work, '.llm-lab', 'db'), { relaxedDurability: true, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
    await fill((text, params) => db.query(text, params));
    // What storage does when a run ends on the embedded database (it has no autovacuum): mark the
    // new pages all-visible, so the comparison reads the covering index alone.
    await db.query('VACUUM results');
    await db.query('ANALYZE results');
    await db.close();
    results.push(measure('PGlite', env));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (backends.includes('postgres')) {
  const schema = `bench_analysis_${process.pid}`;
  const env = { ...baseEnv, DATABASE_URL, LLM_LAB_DB_SCHEMA: schema };
  const pg = (await import(pathToFileURL(storageRequire.resolve('pg')).href)).default;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    cliRun(['runs', 'list', '--json'], env); // creates the schema and its tables
    await client.query(`SET search_path TO "${schema}"`);
    await fill((text, params) => client.query(text, params));
    await client.query('ANALYZE results');
    results.push(measure('PostgreSQL', env));
  } finally {
    if (!args.includes("--keep-schema")) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
