#!/usr/bin/env node
// The repository's test command: builds, lints and tests every package through turbo, going on
// past a failure so every package whose build succeeded is tested, then totals the jest results
// each package wrote (jest-results.json) into one plain closing line, "N passed, N failed,
// N skipped", after the failed tasks, the failed test files and the packages whose tests did not
// run, so any reader of the log sees the outcome unambiguously.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closingLines, exitCode, plannedTests, totalResults } from './src/test-results.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = { TURBO_TELEMETRY_DISABLED: '1', ...process.env };
const turboArgs = (extra) => ['exec', 'turbo', 'run', 'build', 'lint', 'test', ...extra];

// `pnpm test -- --filter=x` passes a literal `--` first; turbo would forward what follows it to
// every task instead of reading it as its own options.
const extraArgs = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
// Keep going past a failure, but never test a package whose build failed.
const continueArgs = extraArgs.some((arg) => arg.startsWith('--continue')) ? [] : ['--continue=dependencies-successful'];

// What turbo is about to run (with the same filters), so packages it never gets to are named.
const dry = spawnSync('pnpm', turboArgs([...extraArgs, '--dry=json']), { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (dry.status !== 0) {
  process.stderr.write(dry.stderr);
  process.exit(dry.status ?? 1);
}
const dryRun = JSON.parse(dry.stdout);
for (const { dir } of plannedTests(dryRun)) rmSync(join(root, dir, 'jest-results.json'), { force: true });

const runsDir = join(root, '.turbo', 'runs');
const startedAt = Date.now();
const turbo = spawnSync('pnpm', turboArgs(['--concurrency=2', ...continueArgs, '--summarize', ...extraArgs]), { cwd: root, stdio: 'inherit', env });

// turbo's run summary (which tasks failed) is the newest file it wrote to .turbo/runs.
let summary;
if (existsSync(runsDir)) {
  const newest = readdirSync(runsDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ file: join(runsDir, name), at: statSync(join(runsDir, name)).mtimeMs }))
    .filter(({ at }) => at >= startedAt)
    .sort((a, b) => b.at - a.at)[0];
  if (newest) summary = JSON.parse(readFileSync(newest.file, 'utf8'));
}

const totals = totalResults({ root, dryRun, summary });
for (const line of closingLines(totals)) console.log(line);
process.exit(exitCode(turbo.status, totals));
