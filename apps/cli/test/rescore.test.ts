import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { QUICKSTART, runCli } from './helpers.js';

jest.setTimeout(180_000);

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('llm-lab rescore', () => {
  it('scores a stored run again with other evaluators as a new run, shown with its link', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-rescore-'));
    folders.push(folder);
    const run = await runCli(['run', QUICKSTART, '--json', '--no-progress'], { cwd: folder });
    expect(run.code).toBe(0);
    const original = JSON.parse(run.stdout) as { runId: string; totals: { results: number; passed: number } };
    expect(original.totals.passed).toBeLessThan(original.totals.results);

    // Every answer is a non-empty string: a check that cannot fail on the stored outputs.
    await writeFile(join(folder, 'lenient.yaml'), '- type: regex\n  pattern: "\\\\S"\n');
    const rescored = await runCli(['rescore', original.runId, '--evaluators', 'lenient.yaml', '--no-progress', '-o', 'junit.xml'], { cwd: folder });
    expect(rescored.stderr).toMatch(new RegExp(`re-scoring ${original.runId} \\(no model is called\\)`));
    expect(rescored.code).toBe(0);
    expect(rescored.stdout).toMatch(/Re-scored from run run-[\w-]+; no model was called\./);
    const newId = /Run (run-[\w-]+) completed/.exec(rescored.stdout)?.[1];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(original.runId);
    const junit = await readFile(join(folder, 'junit.xml'), 'utf8');
    expect(junit).toContain(`tests="${original.totals.results}" failures="0" errors="0"`);

    const show = await runCli(['runs', 'show', newId as string], { cwd: folder });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`rescore of ${original.runId} · evaluators from .*lenient\\.yaml · no model was called`));
    expect(show.stdout).toMatch(/100\.0%/);
    const list = await runCli(['runs', 'list'], { cwd: folder });
    expect(list.stdout).toContain(`rescore of ${original.runId}`);
  });

  it('takes evaluators written inline, and a re-scored run cannot be resumed', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-rescore-'));
    folders.push(folder);
    const run = await runCli(['run', QUICKSTART, '--json', '--no-progress'], { cwd: folder });
    const original = JSON.parse(run.stdout) as { runId: string; totals: { results: number; passed: number } };
    // The quickstart's own check, written inline: the same verdicts as the run's.
    const inline = await runCli(['rescore', original.runId, '--evaluators', '[{type: equals, value: "{{answer}}", ignoreCase: true}]', '--json', '--no-progress'], { cwd: folder });
    expect(inline.code).toBe(0);
    const report = JSON.parse(inline.stdout) as { runId: string; rescoreOf: string; totals: { results: number; passed: number } };
    expect(report.rescoreOf).toBe(original.runId);
    expect(report.totals).toMatchObject({ results: original.totals.results, passed: original.totals.passed });
    const resume = await runCli(['run', QUICKSTART, '--resume', report.runId, '--no-progress'], { cwd: folder });
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(new RegExp(`re-scored run ${original.runId}: it calls no model and cannot be resumed`));
    const broken = await runCli(['rescore', original.runId, '--evaluators', '[{type: equals'], { cwd: folder });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/--evaluators is neither a file nor readable YAML\/JSON/);
  });

  it('refuses to run without evaluators, and names a run that does not exist', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-rescore-'));
    folders.push(folder);
    const none = await runCli(['rescore', 'run-x'], { cwd: folder });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--evaluators <file> .* or --config <file>/);
    await writeFile(join(folder, 'e.yaml'), '- type: equals\n  value: x\n');
    const missing = await runCli(['rescore', 'run-nope', '--evaluators', 'e.yaml'], { cwd: folder });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No run 'run-nope' to re-score/);
  });
});
