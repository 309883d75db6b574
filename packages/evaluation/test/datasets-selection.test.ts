import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { labConfigSchema, type DatasetConfig } from '@llm-lab/core';
import { CompactStringSet, openDataset, Reservoir, type DatasetCase } from '../src/datasets/index.js';
import { collect } from './support/temp-files.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const rows = Array.from({ length: 100 }, (_, i) => ({ n: i, subject: ['algebra', 'physics', 'history', 'art'][i % 4] as string }));

/** A dataset config as the config loader would produce it (defaults applied, keys checked). */
function parsed(dataset: Record<string, unknown>): DatasetConfig {
  return labConfigSchema.parse({ providers: ['mock:x'], dataset }).dataset;
}

async function cases(dataset: Record<string, unknown>, limit?: number): Promise<DatasetCase[]> {
  return collect(openDataset(parsed(dataset), { baseDir: fixtures, ...(limit ? { limit } : {}) }).cases);
}

describe('filter and map', () => {
  it('keeps rows whose field equals one of the listed values, matching CSV text to numbers', async () => {
    const picked = await cases({ rows, filter: { subject: ['algebra', 'physics'] } });
    expect(picked).toHaveLength(50);
    expect(new Set(picked.map((c) => c.vars.subject))).toEqual(new Set(['algebra', 'physics']));
    expect(picked.map((c) => c.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const csv = await cases({ path: 'questions.csv', filter: { answer: 4 } });
    expect(csv.map((c) => c.vars.id)).toEqual(['q1']);
    const all = await cases({ path: 'questions.jsonl', filter: { subject: 'physics', answer: ['yes', 'no'] } });
    expect(all.map((c) => c.vars.id)).toEqual(['q5']);
  });

  it('renames fields with map (a source name may contain spaces) and reports rows missing one', async () => {
    const mapped = await cases({
      rows: [{ Question: 'q?', 'Best Answer': 'a', Other: 1 }, { Question: 'only' }],
      map: { question: 'Question', answer: 'Best Answer' },
    });
    expect(mapped.map((c) => c.vars)).toEqual([{ question: 'q?', answer: 'a', Other: 1 }]);
    const dataset = openDataset(parsed({ rows: [{ Question: 'only' }], map: { answer: 'Best Answer' } }), { baseDir: '.' });
    expect(await collect(dataset.cases)).toEqual([]);
    expect(dataset.invalidRows).toEqual([{ file: undefined, line: 1, reason: "the row has no field 'Best Answer' (dataset.map.answer)" }]);
  });

  it('reads dotted paths into nested fields when no key has that exact name', async () => {
    const nested = await cases({ rows: [{ meta: { level: 'easy' }, q: 1 }, { meta: { level: 'hard' }, q: 2 }], filter: { 'meta.level': 'hard' }, map: { level: 'meta.level' } });
    expect(nested.map((c) => c.vars)).toEqual([{ meta: { level: 'hard' }, q: 2, level: 'hard' }]);
  });
});

describe('stable ids through selection', () => {
  it('gives a case the same id whatever filter, sample, map or limit select it', async () => {
    const duplicated = [...rows, ...rows];
    const full = new Map((await cases({ rows: duplicated })).map((c) => [JSON.stringify(c.vars) + c.line, c.id]));
    const selected = [
      ...(await cases({ rows: duplicated, filter: { subject: 'art' } })),
      ...(await cases({ rows: duplicated, sample: { size: 30, seed: 7 } })),
      ...(await cases({ rows: duplicated, limit: 120 })),
      ...(await cases({ rows: duplicated, map: { topic: 'subject' } })).map((c) => ({ ...c, vars: { n: c.vars.n, subject: c.vars.topic } })),
    ];
    for (const datasetCase of selected) expect(datasetCase.id).toBe(full.get(JSON.stringify(datasetCase.vars) + datasetCase.line));
    // The second copy of a row is suffixed #2 even when the filter drops nothing of it.
    const art = await cases({ rows: duplicated, filter: { subject: 'art' } });
    expect(art[25]?.id).toBe(`${art[0]?.id}#2`);
  });

  it('keeps idField ids through filter and sample', async () => {
    const picked = await cases({ path: 'questions.parquet', idField: 'id', filter: { subject: ['math', 'physics'] }, sample: { size: 5, seed: 1 } });
    expect(picked.map((c) => c.id)).toEqual(['q1', 'q5']);
  });
});

describe('seeded sampling', () => {
  it('is reproducible for a seed, differs across seeds, and keeps file order', async () => {
    const first = await cases({ rows, sample: { size: 10, seed: 42 } });
    const again = await cases({ rows, sample: { size: 10, seed: 42 } });
    const other = await cases({ rows, sample: { size: 10, seed: 43 } });
    expect(first.map((c) => c.vars.n)).toEqual(again.map((c) => c.vars.n));
    expect(first.map((c) => c.vars.n)).not.toEqual(other.map((c) => c.vars.n));
    const positions = first.map((c) => c.vars.n as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(first.map((c) => c.index)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(first.every((c) => c.line === (c.vars.n as number) + 1)).toBe(true);
  });

  it('returns every row when the sample is larger, applies filter first and limit last', async () => {
    expect(await cases({ rows, sample: { size: 1000 } })).toHaveLength(100);
    const sampled = await cases({ rows, filter: { subject: 'physics' }, sample: { size: 10, seed: 3 }, limit: 4 });
    expect(sampled).toHaveLength(4);
    expect(sampled.every((c) => c.vars.subject === 'physics')).toBe(true);
    const unlimited = await cases({ rows, filter: { subject: 'physics' }, sample: { size: 10, seed: 3 } });
    expect(sampled.map((c) => c.id)).toEqual(unlimited.slice(0, 4).map((c) => c.id));
    // The engine's run.limit and dataset.limit combine: the smaller wins.
    expect(await cases({ rows, limit: 9 }, 5)).toHaveLength(5);
  });

  it('samples uniformly: over 4000 seeds each of 40 items is picked close to 1000 times', () => {
    const counts = new Array<number>(40).fill(0);
    for (let seed = 0; seed < 4000; seed++) {
      const reservoir = new Reservoir<number>(10, seed);
      for (let item = 0; item < 40; item++) reservoir.offer(item);
      for (const item of reservoir.items()) counts[item] = (counts[item] as number) + 1;
    }
    // Expected 1000 each (binomial, sd ≈ 27); a biased sampler (e.g. favouring early items) falls far outside.
    const chiSquare = counts.reduce((sum, count) => sum + (count - 1000) ** 2 / 1000, 0);
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
    expect(chiSquare).toBeLessThan(80); // 39 degrees of freedom: p ≈ 0.0001
  });

  it('counts what an iteration yields: sample size, limit, filtered rows', async () => {
    const count = (dataset: Record<string, unknown>) => openDataset(parsed(dataset), { baseDir: fixtures }).countRows();
    expect(await count({ rows, sample: { size: 10 } })).toBe(10);
    expect(await count({ rows, filter: { subject: 'art' } })).toBe(25);
    expect(await count({ rows, filter: { subject: 'art' }, limit: 3 })).toBe(3);
    expect(await count({ path: 'questions.json.gz', filter: { subject: ['math', 'nothing'] } })).toBe(1);
  });
});

describe('config schema for datasets', () => {
  it('accepts the new keys with defaults and rejects unknown ones', () => {
    expect(parsed({ hf: { name: 'openai/gsm8k', config: 'main', split: 'test' }, sample: { size: 5 } })).toMatchObject({
      hf: { name: 'openai/gsm8k', config: 'main', split: 'test' },
      sample: { size: 5, seed: 0 },
    });
    expect(() => parsed({ path: 'a.jsonl', hf: { name: 'a/b' } })).toThrow(/exactly one of path or rows/);
    expect(() => parsed({ path: 'a.jsonl', sample: { size: 0 } })).toThrow();
    expect(() => parsed({ path: 'a.jsonl', fields: {} })).toThrow();
  });
});

describe('CompactStringSet', () => {
  it('has every string added and (almost surely) none that was not', () => {
    const set = new CompactStringSet();
    for (let i = 0; i < 50_000; i++) set.add(`id-${i}`);
    set.add('id-7');
    expect(set.size).toBe(50_000);
    let missing = 0;
    let phantom = 0;
    for (let i = 0; i < 50_000; i++) {
      if (!set.has(`id-${i}`)) missing++;
      if (set.has(`other-${i}`)) phantom++;
    }
    expect(missing).toBe(0);
    expect(phantom).toBe(0);
  });
});
