#!/usr/bin/env node
// The repository's test command: builds, lints and tests every package through turbo, then
// totals the jest results each package wrote (jest-results.json) into one plain closing line,
// "N passed, N failed, N skipped", so any reader of the log sees the outcome unambiguously.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workspaceDirs = ['packages', 'apps', 'examples', 'tooling'].flatMap((group) => {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name));
});

for (const dir of workspaceDirs) rmSync(join(dir, 'jest-results.json'), { force: true });

// `pnpm test -- --filter=x` passes a literal `--` first; turbo would forward what follows it to
// every task instead of reading it as its own options.
const extraArgs = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const turbo = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', 'lint', 'test', '--concurrency=2', ...extraArgs],
  { cwd: root, stdio: 'inherit', env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSuites = [];
for (const dir of workspaceDirs) {
  const file = join(dir, 'jest-results.json');
  if (!existsSync(file)) continue;
  const results = JSON.parse(readFileSync(file, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
  for (const suite of results.testResults ?? []) {
    if (suite.status === 'failed') failedSuites.push(suite.name.replace(root + '/', ''));
  }
}
if (failedSuites.length > 0) {
  console.log('\nFailed test files:');
  for (const name of failedSuites) console.log(`  ${name}`);
}
const code = turbo.status ?? 1;
if (code !== 0 && failed === 0) console.log('\nThe build or lint step failed (see above).');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
