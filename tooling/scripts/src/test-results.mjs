// The counting behind the repository's test command (../test-all.mjs): which packages' tests
// turbo planned to run, what each wrote to jest-results.json, which tasks failed, and the lines
// that close the log. Kept apart from the driver so it can be tested on fixture files.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * @typedef {{ taskId: string, task: string, package: string, directory: string, command?: string, dependencies?: string[] }} TurboTask
 * @typedef {{ name: string, dir: string }} PlannedTests
 * @typedef {{ name: string, reason: string }} NotRun
 * @typedef {{ passed: number, failed: number, skipped: number, packages: number, failedFiles: string[], failedTasks: string[], notRun: NotRun[] }} Totals
 */

/**
 * The packages whose `test` task a turbo run will run, from `turbo run … --dry=json`: every
 * planned `test` task with a command (a package without a test script has none).
 * @param {{ tasks: TurboTask[] }} dryRun
 * @returns {PlannedTests[]}
 */
export function plannedTests(dryRun) {
  return dryRun.tasks
    .filter((task) => task.task === 'test' && task.command !== undefined && task.command !== '<NONEXISTENT>')
    .map((task) => ({ name: task.package, dir: task.directory }));
}

/**
 * The tasks that failed, from turbo's run summary (`--summarize`): those that ran and exited
 * with an error. Tasks that never started (a task they depend on failed) are not in it.
 * @param {{ tasks?: Array<{ taskId: string, execution?: { exitCode?: number | null } | null }> } | undefined} summary
 * @returns {string[]}
 */
export function failedTasks(summary) {
  return (summary?.tasks ?? [])
    .filter((task) => task.execution !== undefined && task.execution !== null && typeof task.execution.exitCode === 'number' && task.execution.exitCode !== 0)
    .map((task) => task.taskId);
}

/**
 * The jest results a package wrote (`jest --json --outputFile=jest-results.json`), or undefined
 * when there are none: its tests did not run.
 * @param {string} dir an absolute package folder
 */
export function readJestResults(dir) {
  const file = join(dir, 'jest-results.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * Why a package's tests have no results: its test task failed before writing them, or a task it
 * needs (directly or not) failed, so turbo never started it.
 * @param {string} name
 * @param {Map<string, string[]>} needs task id → the task ids it depends on
 * @param {Set<string>} failed
 */
function whyNotRun(name, needs, failed) {
  const own = `${name}#test`;
  if (failed.has(own)) return 'the test run failed before writing results';
  const culprits = new Set();
  const seen = new Set();
  const walk = (taskId) => {
    for (const dependency of needs.get(taskId) ?? []) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      if (failed.has(dependency)) culprits.add(dependency);
      else walk(dependency);
    }
  };
  walk(own);
  return culprits.size > 0 ? `not started: ${[...culprits].sort().join(', ')} failed` : 'no results were written (was the run stopped?)';
}

/**
 * Totals the jest results of every package whose tests were planned. A test file that failed
 * without any failed test (it could not be loaded, or a hook threw) counts as one failure, so the
 * total never says 0 failed when something did.
 * @param {{ root: string, dryRun: { tasks: TurboTask[] }, summary?: Parameters<typeof failedTasks>[0] }} run
 * @param {(dir: string) => any} [read] reads a package's jest results (default: its jest-results.json)
 * @returns {Totals}
 */
export function totalResults({ root, dryRun, summary }, read = readJestResults) {
  const planned = plannedTests(dryRun);
  const failedList = failedTasks(summary);
  const failed = new Set(failedList);
  const needs = new Map(dryRun.tasks.map((task) => [task.taskId, task.dependencies ?? []]));
  const totals = { passed: 0, failed: 0, skipped: 0, packages: planned.length, failedFiles: [], failedTasks: failedList, notRun: [] };
  for (const { name, dir } of planned) {
    const results = read(join(root, dir));
    if (results === undefined) {
      totals.notRun.push({ name, reason: whyNotRun(name, needs, failed) });
      continue;
    }
    totals.passed += results.numPassedTests ?? 0;
    totals.failed += results.numFailedTests ?? 0;
    totals.skipped += (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
    for (const suite of results.testResults ?? []) {
      if (suite.status !== 'failed') continue;
      totals.failedFiles.push(relative(root, suite.name));
      const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed').length;
      if (failedTests === 0) totals.failed += 1;
    }
  }
  return totals;
}

/**
 * The lines that end the log: failed tasks, failed test files, packages whose tests did not run,
 * then the closing line `N passed, N failed, N skipped`, which says so when some did not run.
 * @param {Totals} totals
 * @returns {string[]}
 */
export function closingLines(totals) {
  const lines = [];
  if (totals.failedTasks.length > 0) lines.push('', 'Failed tasks:', ...totals.failedTasks.map((taskId) => `  ${taskId}`));
  if (totals.failedFiles.length > 0) lines.push('', 'Failed test files:', ...totals.failedFiles.map((file) => `  ${file}`));
  if (totals.notRun.length > 0) lines.push('', 'Tests that did not run:', ...totals.notRun.map(({ name, reason }) => `  ${name}: ${reason}`));
  let closing = `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
  if (totals.notRun.length > 0) closing += `; the tests of ${totals.notRun.length} of ${totals.packages} packages did not run`;
  lines.push('', closing);
  return lines;
}

/**
 * The command's exit code: turbo's when it failed, else 1 when a test failed or did not run, else 0.
 * @param {number | null} turboStatus
 * @param {Totals} totals
 */
export function exitCode(turboStatus, totals) {
  if (turboStatus !== 0) return turboStatus ?? 1;
  return totals.failed > 0 || totals.notRun.length > 0 || totals.failedTasks.length > 0 ? 1 : 0;
}
