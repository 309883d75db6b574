import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isLLMLabError } from '@llm-lab/core';
import { DatasetError } from '../src/errors.js';
import { hashRow, openDataset, type InvalidRow } from '../src/datasets/index.js';
import { collect, tempDir, writeTempFile } from './support/temp-files.js';

describe('JSONL datasets', () => {
  const jsonl = ['{"id":"a","q":"one"}', '', '{"id":"b","q":"two"', '[1,2]', '   ', '{"id":"c","q":"three"}'].join('\n');

  it('skips invalid lines, reporting file, line and the JSON error, and keeps reading', async () => {
    const { dir, file } = await writeTempFile('cases.jsonl', jsonl);
    const reported: InvalidRow[] = [];
    const dataset = openDataset({ path: 'cases.jsonl', onInvalidRow: 'skip' }, { baseDir: dir, onInvalidRow: (row) => reported.push(row) });
    const cases = await collect(dataset.cases);
    expect(cases.map((c) => c.vars.q)).toEqual(['one', 'three']);
    expect(cases.map((c) => [c.index, c.line])).toEqual([
      [0, 1],
      [1, 6],
    ]);
    expect(dataset.invalidRows).toEqual(reported);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatchObject({ file, line: 3 });
    expect(reported[0]?.reason).toMatch(/^invalid JSON: /);
    expect(reported[1]).toEqual({ file, line: 4, reason: 'expected a JSON object per line, got an array' });
  });

  it("with onInvalidRow 'fail' throws a DatasetError naming file and line and what to do", async () => {
    const { dir, file } = await writeTempFile('cases.jsonl', jsonl);
    const dataset = openDataset({ path: 'cases.jsonl', onInvalidRow: 'fail' }, { baseDir: dir });
    const error = await collect(dataset.cases).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect(isLLMLabError(error)).toBe(true);
    expect((error as DatasetError).line).toBe(3);
    expect((error as Error).message).toContain(`${file}:3: invalid JSON`);
    expect((error as Error).message).toContain('onInvalidRow: skip');
  });

  it('handles CRLF line ends and a BOM, and .ndjson', async () => {
    const { dir } = await writeTempFile('cases.ndjson', '\uFEFF{"q":"one"}\r\n{"q":"two"}\r\n');
    const dataset = openDataset({ path: 'cases.ndjson', onInvalidRow: 'skip' }, { baseDir: dir });
    expect((await collect(dataset.cases)).map((c) => c.vars)).toEqual([{ q: 'one' }, { q: 'two' }]);
    expect(dataset.invalidRows).toEqual([]);
  });

  it('counts non-blank lines cheaply, capped by limit, and stops reading at limit', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i }));
    const { dir } = await writeTempFile('many.jsonl', `${lines.join('\n')}\n\n`);
    expect(await openDataset({ path: 'many.jsonl', onInvalidRow: 'skip' }, { baseDir: dir }).countRows()).toBe(50);
    const limited = openDataset({ path: 'many.jsonl', onInvalidRow: 'skip' }, { baseDir: dir, limit: 7 });
    expect(await limited.countRows()).toBe(7);
    expect((await collect(limited.cases)).map((c) => c.vars.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('CSV datasets', () => {
  it('reads a header, a BOM, CRLF and quoted multi-line fields', async () => {
    const csv = '\uFEFFid,question,answer\r\n1,"What is\r\nthe capital, of France?",Paris\r\n2,"Say ""hi""",hi\r\n';
    const { dir } = await writeTempFile('cases.csv', csv);
    const dataset = openDataset({ path: 'cases.csv', idField: 'id', onInvalidRow: 'skip' }, { baseDir: dir });
    const cases = await collect(dataset.cases);
    expect(cases.map((c) => c.vars)).toEqual([
      { id: '1', question: 'What is\r\nthe capital, of France?', answer: 'Paris' },
      { id: '2', question: 'Say "hi"', answer: 'hi' },
    ]);
    expect(cases.map((c) => c.id)).toEqual(['1', '2']);
    expect(await dataset.countRows()).toBe(2);
  });

  it('reports rows with the wrong column count as invalid rows with their line, in order', async () => {
    const csv = 'id,answer\n1,a\n2,b,extra\n3\n4,d\n';
    const { dir, file } = await writeTempFile('cases.csv', csv);
    const seen: string[] = [];
    const dataset = openDataset(
      { path: 'cases.csv', idField: 'id', onInvalidRow: 'skip' },
      { baseDir: dir, onInvalidRow: (row) => seen.push(`invalid@${row.line}`) },
    );
    for await (const datasetCase of dataset.cases) seen.push(`case ${datasetCase.id}@${datasetCase.line}`);
    expect(seen).toEqual(['case 1@2', 'invalid@3', 'invalid@4', 'case 4@5']);
    expect(dataset.invalidRows[0]).toMatchObject({ file, line: 3 });
    expect(dataset.invalidRows[0]?.reason).toMatch(/wrong number of columns/);
  });

  it("with onInvalidRow 'fail' stops at the bad row", async () => {
    const { dir, file } = await writeTempFile('cases.csv', 'a,b\n1,2\n3,"4"x\n');
    const dataset = openDataset({ path: 'cases.csv', onInvalidRow: 'fail' }, { baseDir: dir });
    await expect(collect(dataset.cases)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: .*quote`));
  });

  it('honours an explicit format over the extension', async () => {
    const { dir } = await writeTempFile('cases.txt', 'q\nhello\n');
    const dataset = openDataset({ path: 'cases.txt', format: 'csv', onInvalidRow: 'skip' }, { baseDir: dir });
    expect((await collect(dataset.cases)).map((c) => c.vars)).toEqual([{ q: 'hello' }]);
  });
});

describe('dataset ids and errors', () => {
  it('uses a 16-hex hash of the row (key order does not matter) when there is no idField', async () => {
    const dataset = openDataset({ rows: [{ a: 1, b: 2 }, { b: 2, a: 1 }, { a: 2 }], onInvalidRow: 'skip' }, { baseDir: '.' });
    const ids = (await collect(dataset.cases)).map((c) => c.id);
    expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(ids[0]).toBe(hashRow({ b: 2, a: 1 }));
    // The second row is the same row: it gets a suffix instead of colliding.
    expect(ids[1]).toBe(`${ids[0]}#2`);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('suffixes duplicate idField values with #2, #3 and skips a taken suffix', async () => {
    const rows = [{ id: 'x' }, { id: 'x' }, { id: 'x#3' }, { id: 'x' }, { id: 7 }];
    const dataset = openDataset({ rows, idField: 'id', onInvalidRow: 'skip' }, { baseDir: '.' });
    expect((await collect(dataset.cases)).map((c) => c.id)).toEqual(['x', 'x#2', 'x#3', 'x#4', '7']);
  });

  it('treats a row missing the idField as an invalid row', async () => {
    const { dir, file } = await writeTempFile('cases.jsonl', '{"id":"a"}\n{"other":1}\n{"id":""}\n');
    const dataset = openDataset({ path: 'cases.jsonl', idField: 'id', onInvalidRow: 'skip' }, { baseDir: dir });
    expect((await collect(dataset.cases)).map((c) => c.id)).toEqual(['a']);
    expect(dataset.invalidRows.map((row) => [row.file, row.line])).toEqual([
      [file, 2],
      [file, 3],
    ]);
    expect(dataset.invalidRows[0]?.reason).toContain("no value in the id field 'id'");
  });

  it('names the resolved path and dataset.path when the file is missing', async () => {
    const dir = await tempDir();
    const dataset = openDataset({ path: 'nope/cases.jsonl', onInvalidRow: 'skip' }, { baseDir: dir });
    await expect(dataset.countRows()).rejects.toThrow(DatasetError);
    await expect(collect(dataset.cases)).rejects.toThrow(`dataset file not found: ${join(dir, 'nope/cases.jsonl')} (dataset.path 'nope/cases.jsonl'`);
  });

  it('rejects an unknown extension with a clear error', () => {
    expect(() => openDataset({ path: 'cases.xlsx', onInvalidRow: 'skip' }, { baseDir: '/tmp' })).toThrow(
      /extension '\.xlsx'.*set dataset\.format to jsonl, csv, json or parquet/,
    );
  });
});
