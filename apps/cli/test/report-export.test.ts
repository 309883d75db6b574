import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { QUICKSTART, runCli } from './helpers.js';

jest.setTimeout(180_000);

describe('report and export of a stored run', () => {
  let folder: string;
  let runId: string;
  let results: number;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'llm-lab-report-cli-'));
    const run = await runCli(['run', QUICKSTART, '--json', '--no-progress'], { cwd: folder });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { runId: string; totals: { results: number } };
    runId = report.runId;
    results = report.totals.results;
  });
  afterAll(async () => rm(folder, { recursive: true, force: true }));

  it('writes the HTML report of a run and says what it holds', async () => {
    const written = await runCli(['report', runId, '--out', 'report.html'], { cwd: folder });
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(new RegExp(`^Wrote ${join(folder, 'report.html')} \\(\\d+ kB\\): run ${runId}, every result\\.\\n$`));
    const html = await readFile(join(folder, 'report.html'), 'utf8');
    expect(html).toContain('<svg class="chart" id="chart-accuracy"');
    expect(html).not.toMatch(/<(?:link|img|script) [^>]*(?:src|href)=/);
  });

  it('with --compare, sets the verdicts of the paired comparison in the report', async () => {
    // The same config again: the same answers, so every pair is "no detectable difference".
    const again = await runCli(['run', QUICKSTART, '--json', '--no-progress'], { cwd: folder });
    expect(again.code).toBe(0);
    const secondId = (JSON.parse(again.stdout) as { runId: string }).runId;
    const written = await runCli(['report', secondId, '--compare', runId, '--out', 'compared.html'], { cwd: folder });
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`compared with ${runId} (0 pass → fail, 0 fail → pass)`);
    const html = await readFile(join(folder, 'compared.html'), 'utf8');
    expect(html).toContain('<h3>Verdicts</h3>');
    // One verdict per provider, each the analysis package's sentence.
    expect(html.match(/<tr class="verdict no-detectable-difference">/g)).toHaveLength(2);
    expect(html).toMatch(/no detectable difference between mock:hasty .+? \(could detect ≥ [\d.]+ points\)/);
  });

  it('exports every result as CSV on standard output and Parquet to a file', async () => {
    const csv = await runCli(['export', runId, '--format', 'csv'], { cwd: folder });
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]!.startsWith('case_id,provider,prompt,repeat,outcome,')).toBe(true);
    expect(lines).toHaveLength(results + 1);
    const parquet = await runCli(['export', runId, '--out', 'results.parquet'], { cwd: folder });
    expect(parquet.code).toBe(0);
    expect(parquet.stderr).toBe(`Exported ${results} results of run ${runId} to ${join(folder, 'results.parquet')} (parquet).\n`);
    const bytes = await readFile(join(folder, 'results.parquet'));
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
  });

  it('says what is wrong: an unknown format or destination (exit 2), an MLflow server that is not there (exit 1)', async () => {
    const format = await runCli(['export', runId, '--format', 'xlsx'], { cwd: folder });
    expect([format.code, format.stderr]).toEqual([2, "error --format 'xlsx' is not an export format: use csv, jsonl or parquet.\n"]);
    const to = await runCli(['export', runId, '--to', 'wandb'], { cwd: folder });
    expect(to.code).toBe(2);
    expect(to.stderr).toContain("--to 'wandb': the one destination is mlflow");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const mlflow = await runCli(['export', runId, '--to', 'mlflow', '--tracking-uri', url], { cwd: folder });
    expect(mlflow.code).toBe(1);
    expect(mlflow.stderr).toBe(`error Cannot reach the MLflow tracking server at ${url} (ECONNREFUSED). Is it running? Check --tracking-uri.\n`);
    const missing = await runCli(['report', 'no-such-run'], { cwd: folder });
    expect([missing.code, missing.stderr]).toEqual([2, "error Run 'no-such-run' is not a stored run. List runs with: llm-lab runs list\n"]);
  });
});
