import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { ResultQuery, ResultRecord } from '@llm-lab/storage';
import { exportFormatNamed, exportRun, RESULT_COLUMNS, type ExportSource } from '../src/index.js';
import { embeddedLab, SLOW_HOOK_MS, twoModelConfig, type LabFixture } from './helpers.js';

/** A small RFC 4180 reader, enough to read back what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

describe('exporting every result of a stored run', () => {
  let fixture: LabFixture;
  let runId: string;
  let stored: ResultRecord[];
  let folder: string;
  beforeAll(async () => {
    fixture = await embeddedLab('export');
    runId = (await fixture.lab.run(twoModelConfig(5), { concurrency: 8 })).runId;
    stored = [];
    for await (const result of fixture.lab.eachResult({ runId })) stored.push(result);
    folder = await mkdtemp(join(tmpdir(), 'llm-lab-export-'));
  }, SLOW_HOOK_MS);
  afterAll(async () => fixture?.close(), SLOW_HOOK_MS);

  it('writes CSV a page at a time: a row per result with its outcome, reasons and a column per evaluator', async () => {
    // The storage, with the pages it is asked for written down.
    const limits: Array<number | undefined> = [];
    const counted: ExportSource = {
      getRun: (id) => fixture.storage.getRun(id),
      listResults: ((query: ResultQuery) => {
        limits.push(query.limit);
        return fixture.storage.listResults(query);
      }) as ExportSource['listResults'],
    };
    const out = join(folder, 'results.csv');
    const summary = await exportRun(counted, runId, { format: 'csv', out, pageSize: 25 });
    expect(summary).toEqual({ runId, rows: 120, path: out });
    // 120 results in pages of 25: five pages, never all at once.
    expect(limits.filter((limit) => limit === 25)).toHaveLength(5);
    expect(limits.every((limit) => limit !== undefined && limit <= 100)).toBe(true);
    const [header, ...rows] = parseCsv(await readFile(out, 'utf8'));
    expect(header).toEqual([...RESULT_COLUMNS, 'eval.equals.score', 'eval.equals.passed']);
    expect(rows).toHaveLength(120);
    const at = (name: string) => header!.indexOf(name);
    for (const [index, result] of stored.entries()) {
      const row = rows[index]!;
      expect(row[at('case_id')]).toBe(result.caseId);
      expect(row[at('outcome')]).toBe(result.errorKind ? 'errored' : result.passed ? 'passed' : 'failed');
      expect(row[at('output')]).toBe(result.output ?? '');
      expect(row[at('eval.equals.passed')]).toBe(result.errorKind ? '' : String(result.passed));
      expect(JSON.parse(row[at('scores')]!)).toEqual(result.scores);
    }
    // The answer holding markup and quotes survives the quoting.
    expect(rows.some((row) => row[at('output')]!.includes('</script><script>'))).toBe(true);
    expect((await readdir(folder)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('writes JSON lines to a stream: every stored field of every result', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportRun(fixture.storage, runId.slice(-6), { format: exportFormatNamed('jsonl'), stream });
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(120);
    expect(lines.map((line) => [line.caseId, line.providerId, line.output, line.vars])).toEqual(stored.map((r) => [r.caseId, r.providerId, r.output, r.vars]));
    expect(lines[0]).not.toHaveProperty('id');
  });

  it('writes Parquet that hyparquet reads back row for row, typed', async () => {
    const out = join(folder, 'results.parquet');
    expect((await exportRun(fixture.storage, runId, { format: 'parquet', out })).rows).toBe(120);
    const file = await asyncBufferFromFile(out);
    const metadata = await parquetMetadataAsync(file);
    expect(Number(metadata.num_rows)).toBe(120);
    const rows = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
    expect(rows.map((row) => row.case_id)).toEqual(stored.map((r) => r.caseId));
    expect(rows.map((row) => row.latency_ms)).toEqual(stored.map((r) => r.latencyMs));
    expect(rows.map((row) => row.cost_usd)).toEqual(stored.map((r) => r.costUsd));
    expect(rows.map((row) => row['eval.equals.passed'])).toEqual(stored.map((r) => (r.errorKind ? null : r.passed)));
    expect(rows.map((row) => row.repeat)).toEqual(stored.map(() => 0));
    expect(rows.map((row) => row.vars)).toEqual(stored.map((r) => r.vars));
    expect(rows.map((row) => row.scores)).toEqual(stored.map((r) => r.scores));
  });

  it('refuses what it cannot do, saying what to give instead', async () => {
    expect(() => exportFormatNamed('xlsx')).toThrow("--format 'xlsx' is not an export format: use csv, jsonl or parquet.");
    await expect(exportRun(fixture.storage, runId, { format: 'parquet', stream: new PassThrough() })).rejects.toThrow('give --out <file.parquet>');
    await expect(exportRun(fixture.storage, 'no-such-run', { format: 'csv', out: join(folder, 'x.csv') })).rejects.toMatchObject({ code: 'run_not_found' });
    await expect(exportRun(fixture.storage, runId, { format: 'csv', out: join(folder, 'missing-folder', 'x.csv') })).rejects.toThrow(/Cannot write '.*missing-folder\/x\.csv'/);
  });
});
