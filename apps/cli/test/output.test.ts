import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { QUICKSTART, runCli } from './helpers.js';

jest.setTimeout(180_000);

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('run --output', () => {
  it('writes JUnit, JSON lines and CSV that agree with the run, and exits as the run does', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-output-'));
    folders.push(folder);
    const run = await runCli(['run', QUICKSTART, '--json', '--no-progress', '-o', 'junit.xml', '-o', 'results.json', '-o', 'results.csv'], { cwd: folder });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      totals: { results: number; failed: number; errors: number; passed: number };
      providers: Array<{ providerId: string; results: number; failed: number }>;
    };

    const junit = await readFile(join(folder, 'junit.xml'), 'utf8');
    expect(junit.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(junit).toContain(`tests="${report.totals.results}" failures="${report.totals.failed}" errors="${report.totals.errors}"`);
    expect(junit.match(/<testcase /g)).toHaveLength(report.totals.results);
    expect(junit.match(/<failure /g) ?? []).toHaveLength(report.totals.failed);
    for (const provider of report.providers) {
      expect(junit).toContain(`<testsuite name="${provider.providerId}" tests="${provider.results}" failures="${provider.failed}"`);
    }
    // A failure says why, in the evaluator's words, and what the model answered.
    expect(junit).toMatch(/<failure message="equals: expected &apos;[^&]+&apos; \(ignoreCase\), got &apos;I don&apos;t know\.&apos;">/);

    const lines = (await readFile(join(folder, 'results.json'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { outcome: string; caseId: string });
    expect(lines).toHaveLength(report.totals.results);
    expect(lines.filter((line) => line.outcome === 'passed')).toHaveLength(report.totals.passed);

    const csv = (await readFile(join(folder, 'results.csv'), 'utf8')).trim().split('\n');
    // The columns --output always wrote come first; later ones (model, scores, a column per evaluator, ...) follow.
    expect(csv[0]!.startsWith('case_id,provider,prompt,repeat,outcome,score,output,reasons,latency_ms,input_tokens,output_tokens,cost_usd,error_kind,error_message,')).toBe(true);
    expect(csv[0]).toContain(',scores,');
    expect(csv).toHaveLength(report.totals.results + 1);
    expect(csv.filter((line) => line.split(',')[4] === 'failed')).toHaveLength(report.totals.failed);
  });

  it('refuses an output format it does not know before running anything', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-output-'));
    folders.push(folder);
    const run = await runCli(['run', QUICKSTART, '--no-progress', '-o', 'report.txt'], { cwd: folder });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--output 'report\.txt': .*'\.txt' is not one: use \.xml \(JUnit, for CI\), \.json .* or \.csv/);
    expect(run.stderr).not.toMatch(/run run-/);
    const list = await runCli(['runs', 'list', '--json'], { cwd: folder });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
