import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { closingLines, exitCode, totalResults } from '../src/test-results.mjs';

// A workspace as turbo's dry run describes it: core ← testkit ← openai, plus lab on core alone,
// and a config package with no build or test script.
const TEST = 'node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile=jest-results.json';
const task = (pkg, dir, name, dependencies, command = name === 'test' ? TEST : 'tsc -p tsconfig.build.json') => ({
  taskId: `${pkg}#${name}`,
  task: name,
  package: pkg,
  directory: dir,
  command,
  dependencies,
});
const dryRun = {
  tasks: [
    task('@llm-lab/tsconfig', 'tooling/tsconfig', 'build', [], '<NONEXISTENT>'),
    task('@llm-lab/tsconfig', 'tooling/tsconfig', 'test', [], '<NONEXISTENT>'),
    task('@llm-lab/core', 'packages/core', 'build', ['@llm-lab/tsconfig#build']),
    task('@llm-lab/core', 'packages/core', 'test', ['@llm-lab/core#build', '@llm-lab/tsconfig#build']),
    task('@llm-lab/provider-testkit', 'packages/provider-testkit', 'build', ['@llm-lab/core#build']),
    task('@llm-lab/provider-testkit', 'packages/provider-testkit', 'lint', ['@llm-lab/core#build']),
    task('@llm-lab/provider-testkit', 'packages/provider-testkit', 'test', ['@llm-lab/core#build', '@llm-lab/provider-testkit#build']),
    task('@llm-lab/provider-openai', 'packages/provider-openai', 'build', ['@llm-lab/core#build', '@llm-lab/provider-testkit#build']),
    task('@llm-lab/provider-openai', 'packages/provider-openai', 'test', ['@llm-lab/provider-openai#build']),
    task('@llm-lab/lab', 'packages/lab', 'build', ['@llm-lab/core#build']),
    task('@llm-lab/lab', 'packages/lab', 'test', ['@llm-lab/lab#build']),
  ],
};

/** turbo's run summary: the tasks that ran, with their exit codes (tasks never started are absent). */
const summaryOf = (exitCodes) => ({ tasks: Object.entries(exitCodes).map(([taskId, exitCode]) => ({ taskId, execution: { exitCode } })) });

/** A fresh folder per test, standing for the repository root. */
let root;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'llm-lab-test-all-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes `dir/jest-results.json` the way `jest --json` does, with one suite per entry of `files`. */
function wrote(dir, files) {
  mkdirSync(join(root, dir), { recursive: true });
  const testResults = Object.entries(files).map(([file, statuses]) => ({
    name: join(root, dir, 'test', file),
    status: statuses.includes('failed') || statuses.length === 0 ? 'failed' : 'passed',
    assertionResults: statuses.map((status) => ({ status })),
  }));
  const all = Object.values(files).flat();
  const count = (status) => all.filter((value) => value === status).length;
  writeFileSync(
    join(root, dir, 'jest-results.json'),
    JSON.stringify({
      numPassedTests: count('passed'),
      numFailedTests: count('failed'),
      numPendingTests: count('pending'),
      numTodoTests: count('todo'),
      testResults,
    }),
  );
}

describe('the test command’s totals', () => {
  it('adds up every package that ran and ends with the plain closing line', () => {
    wrote('packages/core', { 'a.test.ts': ['passed', 'passed', 'pending'], 'b.test.ts': ['passed', 'todo'] });
    wrote('packages/provider-testkit', { 'c.test.ts': ['passed', 'passed'] });
    wrote('packages/provider-openai', { 'd.test.ts': ['passed'] });
    wrote('packages/lab', { 'e.test.ts': ['passed', 'passed', 'passed'] });
    const totals = totalResults({ root, dryRun, summary: summaryOf({ '@llm-lab/core#build': 0, '@llm-lab/core#test': 0 }) });
    expect(closingLines(totals)).toEqual(['', '9 passed, 0 failed, 2 skipped']);
    expect(exitCode(0, totals)).toBe(0);
  });

  it('names the failed build and every package whose tests it kept from running, and counts the rest', () => {
    wrote('packages/core', { 'a.test.ts': ['passed', 'failed'] });
    wrote('packages/lab', { 'e.test.ts': ['passed', 'passed'] });
    const summary = summaryOf({
      '@llm-lab/core#build': 0,
      '@llm-lab/core#test': 1,
      '@llm-lab/provider-testkit#build': 2,
      '@llm-lab/provider-testkit#lint': 2,
      '@llm-lab/lab#build': 0,
      '@llm-lab/lab#test': 0,
    });
    const totals = totalResults({ root, dryRun, summary });
    expect(closingLines(totals)).toEqual([
      '',
      'Failed tasks:',
      '  @llm-lab/core#test',
      '  @llm-lab/provider-testkit#build',
      '  @llm-lab/provider-testkit#lint',
      '',
      'Failed test files:',
      '  packages/core/test/a.test.ts',
      '',
      'Tests that did not run:',
      '  @llm-lab/provider-testkit: not started: @llm-lab/provider-testkit#build failed',
      '  @llm-lab/provider-openai: not started: @llm-lab/provider-testkit#build failed',
      '',
      '3 passed, 1 failed, 0 skipped; the tests of 2 of 4 packages did not run',
    ]);
    expect(exitCode(2, totals)).toBe(2);
  });

  it('counts a test file that could not run as a failure, and a test run that wrote nothing as not run', () => {
    // A suite that failed to load has no test results at all.
    wrote('packages/core', { 'a.test.ts': ['passed'], 'broken.test.ts': [] });
    wrote('packages/provider-testkit', { 'c.test.ts': ['passed'] });
    wrote('packages/provider-openai', { 'd.test.ts': ['passed'] });
    const totals = totalResults({ root, dryRun, summary: summaryOf({ '@llm-lab/core#test': 1, '@llm-lab/lab#build': 0, '@llm-lab/lab#test': 134 }) });
    expect(totals).toMatchObject({ passed: 3, failed: 1, failedFiles: ['packages/core/test/broken.test.ts'] });
    expect(totals.notRun).toEqual([{ name: '@llm-lab/lab', reason: 'the test run failed before writing results' }]);
    expect(closingLines(totals).at(-1)).toBe('3 passed, 1 failed, 0 skipped; the tests of 1 of 4 packages did not run');
  });

  it('fails the command when tests did not run even if turbo itself succeeded', () => {
    wrote('packages/core', { 'a.test.ts': ['passed'] });
    const totals = totalResults({ root, dryRun, summary: undefined });
    expect(totals.notRun.map(({ name }) => name)).toEqual(['@llm-lab/provider-testkit', '@llm-lab/provider-openai', '@llm-lab/lab']);
    expect(totals.notRun[0]?.reason).toBe('no results were written (was the run stopped?)');
    expect(exitCode(0, totals)).toBe(1);
  });
});
