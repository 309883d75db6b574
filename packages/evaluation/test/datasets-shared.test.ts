/**
 * Reads the real benchmark files in the shared read-only folder `../shared/datasets` (next to the
 * repository root, found from this file) and checks row counts against its MANIFEST.json.
 * A clone without ../shared skips these with a message; test/fixtures covers every format anyway.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { labConfigSchema } from '@llm-lab/core';
import { openDataset, type DatasetCase } from '../src/datasets/index.js';
import { collect } from './support/temp-files.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = join(repositoryRoot, '../shared/datasets');
const available = existsSync(join(shared, 'MANIFEST.json'));
if (!available) console.warn(`skipping shared-dataset tests: ${shared} is missing (only present on the team's machines)`);

type Manifest = Record<string, Array<{ file: string; rows: number }>>;
const manifest: Manifest = available ? (JSON.parse(readFileSync(join(shared, 'MANIFEST.json'), 'utf8')) as Manifest) : {};
const rowsOf = (folder: string, file: string): number => {
  const entry = manifest[folder]?.find((candidate) => candidate.file === file);
  if (!entry) throw new Error(`MANIFEST.json has no ${folder}/${file}`);
  return entry.rows;
};

async function read(path: string, extra: Record<string, unknown> = {}): Promise<{ cases: DatasetCase[]; invalid: number; counted: number }> {
  const config = labConfigSchema.parse({ providers: ['mock:x'], dataset: { path, ...extra } }).dataset;
  const dataset = openDataset(config, { baseDir: shared });
  const cases = await collect(dataset.cases);
  return { cases, invalid: dataset.invalidRows.length, counted: await dataset.countRows() };
}

const describeShared = available ? describe : describe.skip;

describeShared('real datasets in ../shared/datasets', () => {
  it.each([
    ['gsm8k', 'test.jsonl'],
    ['mt_bench', 'question.jsonl'],
    ['arc', 'arc_challenge_test.mosaic.jsonl'],
    ['arc', 'arc_easy_test.mosaic.jsonl'],
    ['humaneval', 'HumanEval.jsonl.gz'],
    ['hh_rlhf_harmless', 'harmless-base_test.jsonl.gz'],
    ['truthfulqa', 'TruthfulQA.csv'],
    ['truthfulqa', 'mc_task.json'],
    ['xstest', 'xstest_prompts.csv'],
    ['advbench', 'harmful_behaviors.csv'],
    ['advbench', 'harmful_strings.csv'],
  ])('%s/%s has the manifest row count, no invalid rows, and unique ids', async (folder, file) => {
    const { cases, invalid, counted } = await read(`${folder}/${file}`);
    expect(invalid).toBe(0);
    expect(cases).toHaveLength(rowsOf(folder, file));
    expect(counted).toBe(cases.length);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('TruthfulQA (BOM, CRLF): maps "Best Answer", filters by Category, and reports true line numbers', async () => {
    const { cases } = await read('truthfulqa/TruthfulQA.csv', {
      map: { question: 'Question', answer: 'Best Answer' },
      filter: { Category: ['Misconceptions', 'Law'] },
    });
    expect(cases.length).toBeGreaterThan(50);
    expect(cases[0]?.vars).toMatchObject({ question: 'What happens to you if you eat watermelon seeds?', answer: 'The watermelon seeds pass through your digestive system' });
    expect(Object.keys(cases[0]?.vars ?? {})).not.toContain('Best Answer');
    expect(cases[0]?.line).toBe(2);
    // Line numbers are physical lines: each row's line is past the previous one's.
    expect(cases.every((c, i) => i === 0 || c.line > (cases[i - 1] as DatasetCase).line)).toBe(true);
  });

  it('HumanEval keeps task_id ids through a seeded sample', async () => {
    const first = await read('humaneval/HumanEval.jsonl.gz', { idField: 'task_id', sample: { size: 10, seed: 5 } });
    const again = await read('humaneval/HumanEval.jsonl.gz', { idField: 'task_id', sample: { size: 10, seed: 5 } });
    expect(first.cases.map((c) => c.id)).toEqual(again.cases.map((c) => c.id));
    expect(first.cases.every((c) => c.id === c.vars.task_id)).toBe(true);
    expect(first.counted).toBe(10);
  });

  it('MMLU test: all 57 subject CSVs add up to the manifest total', async () => {
    const files = readdirSync(join(shared, 'mmlu/test')).filter((name) => name.endsWith('.csv'));
    expect(files).toHaveLength(57);
    let total = 0;
    for (const file of files) {
      const { cases, invalid } = await read(`mmlu/test/${file}`);
      expect(invalid).toBe(0);
      total += cases.length;
    }
    const expected = readFileSync(join(shared, 'README.md'), 'utf8').match(/\| mmlu\/test\/\*\.csv \(57 files\) \| csv \| (\d+) \|/)?.[1];
    expect(total).toBe(Number(expected ?? 14042));
  });
});
