import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, type DatasetConfig } from '@llm-lab/core';
import { datasetCacheDir, type HubOptions } from '../datasets/hf-hub.js';
import { openDataset } from '../datasets/open-dataset.js';
import { formatMmluExample, mmluSuite } from './multiple-choice-suites.js';
import type { SuiteRow } from './types.js';

/** The 57 MMLU subjects (file-name form). */
export const MMLU_SUBJECTS: readonly string[] = [
  'abstract_algebra', 'anatomy', 'astronomy', 'business_ethics', 'clinical_knowledge', 'college_biology', 'college_chemistry',
  'college_computer_science', 'college_mathematics', 'college_medicine', 'college_physics', 'computer_security', 'conceptual_physics',
  'econometrics', 'electrical_engineering', 'elementary_mathematics', 'formal_logic', 'global_facts', 'high_school_biology',
  'high_school_chemistry', 'high_school_computer_science', 'high_school_european_history', 'high_school_geography',
  'high_school_government_and_politics', 'high_school_macroeconomics', 'high_school_mathematics', 'high_school_microeconomics',
  'high_school_physics', 'high_school_psychology', 'high_school_statistics', 'high_school_us_history', 'high_school_world_history',
  'human_aging', 'human_sexuality', 'international_law', 'jurisprudence', 'logical_fallacies', 'machine_learning', 'management',
  'marketing', 'medical_genetics', 'miscellaneous', 'moral_disputes', 'moral_scenarios', 'nutrition', 'philosophy', 'prehistory',
  'professional_accounting', 'professional_law', 'professional_medicine', 'professional_psychology', 'public_relations',
  'security_studies', 'sociology', 'us_foreign_policy', 'virology', 'world_religions',
];

/** Checks `--subject` values against the 57 subjects; spaces and dashes are read as underscores. */
export function normalizeMmluSubjects(subjects: readonly string[]): string[] {
  return subjects.map((subject) => {
    const normalized = subject.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (!MMLU_SUBJECTS.includes(normalized)) {
      throw new ConfigError({
        path: 'subject',
        message: `'${subject}' is not an MMLU subject. Subjects: ${MMLU_SUBJECTS.join(', ')}.`,
      });
    }
    return normalized;
  });
}

/** The subject in an MMLU file name (`anatomy_test.csv` → `anatomy`), or undefined. */
export function mmluSubjectOfFile(file: string): string | undefined {
  return /^(.+)_(?:test|dev|val)\.csv$/.exec(basename(file))?.[1];
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}

/** The MMLU split folder under `folder`: `mmlu/<split>`, `<split>`, or the folder itself when it holds `*_<split>.csv`. */
export async function findMmluSplitFolder(folder: string, split: 'test' | 'dev'): Promise<string | undefined> {
  for (const candidate of [join(folder, 'mmlu', split), join(folder, split)]) {
    if (await isDirectory(candidate)) return candidate;
  }
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.some((name) => name.endsWith(`_${split}.csv`)) ? folder : undefined;
}

/** `<subject>_<split>.csv` files of a split folder, sorted, restricted to `subjects` when given. */
export async function mmluFiles(folder: string, split: 'test' | 'dev', subjects: readonly string[] | undefined): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => name.endsWith(`_${split}.csv`)).sort();
  const files = names.map((name) => join(folder, name));
  if (!subjects || subjects.length === 0) return files;
  const missing = subjects.filter((subject) => !names.includes(`${subject}_${split}.csv`));
  if (missing.length > 0) {
    throw new ConfigError({ path: 'data', message: `no MMLU ${split} file for ${missing.join(', ')} in ${folder} (expected ${missing[0]}_${split}.csv).` });
  }
  return subjects.map((subject) => join(folder, `${subject}_${split}.csv`));
}

/** Every row of a dataset config (file or Hub split), as read. */
export async function readRows(config: DatasetConfig, hub: HubOptions | undefined): Promise<SuiteRow[]> {
  const rows: SuiteRow[] = [];
  for await (const datasetCase of openDataset(config, { baseDir: '.', ...(hub ? { hub } : {}) }).cases) rows.push(datasetCase.vars);
  return rows;
}

/**
 * Joins several MMLU CSVs into one JSONL file with a `subject` field (from each file name), in
 * the cache folder, so one run can read every subject. The file is named by a hash of the
 * sources' paths, sizes and modification times, and reused while they are unchanged.
 */
export async function combineMmluFiles(files: readonly string[], hub: HubOptions | undefined): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    const info = await stat(file);
    hash.update(`${file}\0${info.size}\0${info.mtimeMs}\n`);
  }
  const target = join(datasetCacheDir(hub), 'suites', `mmlu-${hash.digest('hex').slice(0, 16)}.jsonl`);
  if (await stat(target).then(() => true, () => false)) return target;
  const lines: string[] = [];
  for (const file of files) {
    const subject = mmluSubjectOfFile(file) ?? '';
    for (const row of await readRows({ path: file, onInvalidRow: 'skip' }, hub)) lines.push(JSON.stringify({ subject, ...row }));
  }
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  await writeFile(partial, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await rename(partial, target);
  return target;
}

/**
 * MMLU few-shot prefixes by subject: the first `shots` dev questions of each subject with their
 * answers, formatted as the original evaluation's `gen_prompt` does. `source` is a local dev
 * folder or file list, or the Hub's `cais/mmlu` `dev` split.
 */
export async function loadMmluShots(
  shots: number,
  source: { files: readonly string[] } | { hf: true },
  hub: HubOptions | undefined,
): Promise<Map<string, string>> {
  const bySubject = new Map<string, string[]>();
  const add = (subject: string, row: SuiteRow) => {
    const examples = bySubject.get(subject) ?? [];
    if (examples.length < shots) examples.push(formatMmluExample(mmluSuite.prepare({ ...row, subject }), true));
    bySubject.set(subject, examples);
  };
  if ('files' in source) {
    for (const file of source.files) {
      const subject = mmluSubjectOfFile(file) ?? '';
      for (const row of await readRows({ path: file, onInvalidRow: 'skip' }, hub)) add(subject, row);
    }
  } else {
    const rows = await readRows({ hf: { name: 'cais/mmlu', config: 'all', split: 'dev' }, onInvalidRow: 'skip' }, hub);
    for (const row of rows) add(String(row.subject ?? ''), row);
  }
  return new Map([...bySubject].map(([subject, examples]) => [subject, examples.join('')]));
}
