import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { DatasetError } from '../src/errors.js';
import { JsonArrayScanner, JsonArrayStructureError, openDataset, type DatasetCase } from '../src/datasets/index.js';
import { writeParquet } from './support/parquet-writer.js';
import { collect, writeTempFile } from './support/temp-files.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The five questions every fixture holds, in order. */
const FIXTURE_QUESTIONS = ['What is 2 + 2?', 'Name the capital of France.', 'Say "hi", politely.', 'Line one\nline two?', 'Is water wet?'];

async function casesOf(path: string, baseDir: string, extra: Record<string, unknown> = {}): Promise<DatasetCase[]> {
  return collect(openDataset({ path, onInvalidRow: 'skip', ...extra }, { baseDir }).cases);
}

describe('committed fixtures in every format', () => {
  it.each([
    ['questions.jsonl', 'jsonl'],
    ['questions.jsonl.gz', 'jsonl'],
    ['questions.csv', 'csv'],
    ['questions.csv.gz', 'csv'],
    ['questions.json', 'json'],
    ['questions.json.gz', 'json'],
    ['questions.parquet', 'parquet'],
  ])('%s reads the same five rows with the same ids', async (name, format) => {
    const dataset = openDataset({ path: name, idField: 'id', onInvalidRow: 'skip' }, { baseDir: fixtures });
    expect(dataset.format).toBe(format);
    const cases = await collect(dataset.cases);
    expect(dataset.invalidRows).toEqual([]);
    expect(cases.map((c) => c.vars.question)).toEqual(FIXTURE_QUESTIONS);
    expect(cases.map((c) => String(c.id))).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(cases.map((c) => String(c.vars.subject))).toEqual(['math', 'geography', 'manners', 'format', 'physics']);
    expect(await dataset.countRows()).toBe(5);
  });
});

describe('CSV line numbers', () => {
  it('counts a CRLF inside a quoted field as one line (csv-parse alone counts it twice)', async () => {
    const csv = '\uFEFFid,q\r\n1,"a\r\nb\r\nc"\r\n2,x\r\n\r\n3,y,extra\r\n4,"d\ne"\r\n5,z';
    const { dir, file } = await writeTempFile('lines.csv', csv);
    const dataset = openDataset({ path: 'lines.csv', idField: 'id', onInvalidRow: 'skip' }, { baseDir: dir });
    const cases = await collect(dataset.cases);
    expect(cases.map((c) => [c.id, c.line])).toEqual([
      ['1', 4],
      ['2', 5],
      ['4', 9],
      ['5', 10],
    ]);
    expect(dataset.invalidRows).toEqual([{ file, line: 7, reason: expect.stringMatching(/^wrong number of columns/) }]);
    expect(dataset.invalidRows[0]?.reason).not.toMatch(/on line \d+$/);
  });

  it('keeps line numbers right across many read chunks', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},"multi\r\nline ${'x'.repeat(i % 50)}"`);
    const { dir } = await writeTempFile('big.csv', `id,text\r\n${rows.join('\r\n')}\r\n`);
    const cases = await casesOf('big.csv', dir, { idField: 'id' });
    expect(cases).toHaveLength(3000);
    expect(cases.every((c, i) => c.line === 3 + 2 * i)).toBe(true);
  });
});

describe('gzip', () => {
  it('reads .jsonl.gz, .csv.gz and .json.gz through zlib', async () => {
    const jsonl = await writeTempFile('a.jsonl.gz', gzipSync('{"q":1}\n{"q":2}\n'));
    expect((await casesOf('a.jsonl.gz', jsonl.dir)).map((c) => c.vars.q)).toEqual([1, 2]);
    const csv = await writeTempFile('a.csv.gz', gzipSync('q\r\n1\r\n"2\r\n"\r\n'));
    expect((await casesOf('a.csv.gz', csv.dir)).map((c) => [c.vars.q, c.line])).toEqual([
      ['1', 2],
      ['2\r\n', 4],
    ]);
    const json = await writeTempFile('a.json.gz', gzipSync('[{"q":1},{"q":2}]'));
    expect((await casesOf('a.json.gz', json.dir)).map((c) => c.vars.q)).toEqual([1, 2]);
  });

  it('detects gzip by its magic bytes even without .gz, and reads a .gz that is not gzip as plain', async () => {
    const hidden = await writeTempFile('a.jsonl', gzipSync('{"q":"zipped"}\n'));
    expect((await casesOf('a.jsonl', hidden.dir)).map((c) => c.vars.q)).toEqual(['zipped']);
    const plain = await writeTempFile('b.jsonl.gz', '{"q":"plain"}\n');
    expect((await casesOf('b.jsonl.gz', plain.dir)).map((c) => c.vars.q)).toEqual(['plain']);
  });

  it('turns corrupt gzip data into a DatasetError naming the file', async () => {
    const good = gzipSync('{"q":1}\n'.repeat(1000));
    const { dir, file } = await writeTempFile('bad.jsonl.gz', good.subarray(0, good.length - 30));
    const error = await casesOf('bad.jsonl.gz', dir).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain(`could not read dataset ${file}`);
  });

  it('refuses a gzipped Parquet file with what to do', () => {
    expect(() => openDataset({ path: 'x.parquet.gz', onInvalidRow: 'skip' }, { baseDir: '/tmp' })).toThrow(/gzipped Parquet.*Gunzip it/);
  });
});

describe('JSON array files', () => {
  it('streams elements, reporting bad and non-object elements by the line they start on', async () => {
    const json = '\uFEFF[\n  {"q": "a [\\"quoted\\"] {brace}"},\n  {"q": \n "b"},\n  42,\n  {"q": bad},\n  [1],\n  "text",\n  {"q": "c"}\n]\n';
    const { dir, file } = await writeTempFile('cases.json', json);
    const dataset = openDataset({ path: 'cases.json', onInvalidRow: 'skip' }, { baseDir: dir });
    const cases = await collect(dataset.cases);
    expect(cases.map((c) => [c.vars.q, c.line])).toEqual([
      ['a ["quoted"] {brace}', 2],
      ['b', 3],
      ['c', 9],
    ]);
    expect(dataset.invalidRows.map((row) => [row.file, row.line])).toEqual([
      [file, 5],
      [file, 6],
      [file, 7],
      [file, 8],
    ]);
    expect(dataset.invalidRows[0]?.reason).toBe('expected each array element to be a JSON object, got a number');
    expect(dataset.invalidRows[1]?.reason).toMatch(/^invalid JSON in array element/);
    expect(await dataset.countRows()).toBe(7);
  });

  it('finds the same elements however the text is split into chunks', () => {
    const text = '[{"a":"x\\\\"}, {"b":[1,{"c":"]"}]} ,{"d":"\\u005d"}, 3.5e2,true,null ]';
    const whole = [...new JsonArrayScanner().push(text)];
    expect(whole.map((element) => element.text)).toEqual(['{"a":"x\\\\"}', '{"b":[1,{"c":"]"}]}', '{"d":"\\u005d"}', '3.5e2', 'true', 'null']);
    const scanner = new JsonArrayScanner();
    const bySingleCharacters = [...text].flatMap((character) => [...scanner.push(character)]);
    scanner.finish();
    expect(bySingleCharacters).toEqual(whole);
  });

  it('reads an empty array, and rejects a file that is not an array or is cut short, naming the line', async () => {
    const empty = await writeTempFile('empty.json', ' [ ] ');
    expect(await casesOf('empty.json', empty.dir)).toEqual([]);
    for (const [content, pattern] of [
      ['{"q": 1}\n{"q": 2}', /line 1: expected a JSON array.*JSONL/],
      ['[{"q": 1},\n{"q": 2}', /line 2: the array element starting here never ends|never closed/],
      ['[{"q": 1},\n]', /line 2: .*trailing comma/],
      ['[{"q": 1}] x', /after the array's closing/],
      ['', /the file is empty/],
    ] as const) {
      const { dir } = await writeTempFile('broken.json', content);
      const error = await casesOf('broken.json', dir).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).cause).toBeInstanceOf(JsonArrayStructureError);
    }
  });

  it('streams a large array element by element', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ n: i, text: `row ${i} ${'y'.repeat(i % 40)}` }));
    const { dir } = await writeTempFile('big.json', `[\n${rows.join(',\n')}\n]`);
    const dataset = openDataset({ path: 'big.json', onInvalidRow: 'skip' }, { baseDir: dir });
    let count = 0;
    let inOrder = true;
    for await (const datasetCase of dataset.cases) {
      inOrder &&= datasetCase.vars.n === count && datasetCase.line === count + 2;
      count++;
    }
    expect(count).toBe(20_000);
    expect(inOrder).toBe(true);
  });
});

describe('Parquet files', () => {
  const columns = [
    { name: 'id', type: 'int64' as const },
    { name: 'question', type: 'string' as const },
    { name: 'score', type: 'double' as const, optional: true },
    { name: 'hard', type: 'boolean' as const },
  ];
  const rows = Array.from({ length: 25 }, (_, i) => ({
    id: BigInt(i + 1),
    question: `question ${i + 1} — ünïcode`,
    score: i % 4 === 0 ? null : i / 2,
    hard: i % 3 === 0,
  }));

  it('reads every row group in order, with numbers for int64, nulls and booleans', async () => {
    for (const codec of ['UNCOMPRESSED', 'GZIP'] as const) {
      const { dir } = await writeTempFile('cases.parquet', writeParquet(columns, rows, { rowGroupSize: 7, codec }));
      const dataset = openDataset({ path: 'cases.parquet', idField: 'id', onInvalidRow: 'skip' }, { baseDir: dir });
      const cases = await collect(dataset.cases);
      expect(cases).toHaveLength(25);
      expect(cases[0]).toEqual({ id: '1', index: 0, line: 1, vars: { id: 1, question: 'question 1 — ünïcode', score: null, hard: true } });
      expect(cases[24]?.vars).toEqual({ id: 25, question: 'question 25 — ünïcode', score: null, hard: true });
      expect(cases.map((c) => c.line)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(cases[5]?.vars.score).toBe(2.5);
      expect(await dataset.countRows()).toBe(25);
    }
  });

  it('rejects a file that is not Parquet with a DatasetError', async () => {
    const { dir, file } = await writeTempFile('fake.parquet', 'id,question\n1,hello\n');
    const error = await casesOf('fake.parquet', dir).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain(`could not read dataset ${file}: not a readable Parquet file`);
    const zipped = await writeTempFile('zipped.parquet', gzipSync(writeParquet(columns, rows)));
    await expect(casesOf('zipped.parquet', zipped.dir)).rejects.toThrow(/gzip data, not Parquet/);
  });
});
