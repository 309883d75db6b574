import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type LabConfigInput } from '@llm-lab/core';
import type { HubOptions } from '../datasets/hf-hub.js';
import { DEFAULT_CHOICE_SEED } from '../evaluators/choice-order.js';
import type { ProviderReference } from '../evaluators/schemas.js';
import {
  combineMmluFiles,
  findMmluSplitFolder,
  loadMmluShots,
  mmluFiles,
  mmluSubjectOfFile,
  normalizeMmluSubjects,
} from './mmlu-data.js';
import { getSuite, listSuites } from './registry.js';
import type { BenchmarkSuite, SuiteRow } from './types.js';

type ProviderInput = LabConfigInput['providers'][number];
type DatasetInput = LabConfigInput['dataset'];

/** Options of {@link buildSuiteConfig}. */
export interface BuildSuiteConfigOptions {
  /** A suite name (`mmlu`, `gsm8k`, …) or a suite definition. */
  suite: string | BenchmarkSuite;
  /** Models to evaluate: ids (`openai:gpt-4o-mini`) or full config entries (keys, base URL, label, settings). */
  providers: readonly ProviderInput[];
  /** The judge of model-graded suites (mt-bench): an id, or `{ id, config, settings }`. */
  judge?: string | ProviderReference;
  /** A local file, or a folder holding the suite's files (e.g. a datasets folder), instead of the Hugging Face dataset. */
  data?: string;
  /** Folder a relative `data` is resolved against. Default: the working directory. */
  baseDir?: string;
  /** MMLU only: subjects to keep (`anatomy`, `college physics`). */
  subjects?: readonly string[];
  /** MMLU only: few-shot examples per question from the subject's dev split (0–5 in the original evaluation). */
  shots?: number;
  /** Only the first N cases (after `sample`). */
  limit?: number;
  /** A seeded uniform random sample of `size` cases. */
  sample?: { size: number; seed?: number };
  concurrency?: number;
  repeat?: number;
  /** Overrides the suite's maxTokens. */
  maxTokens?: number;
  /** Provider plugins to load (from a user's config). */
  plugins?: readonly string[];
  /** Hub endpoint, token and cache folder for MMLU's few-shot examples and combined files. Default: the environment. */
  hub?: HubOptions;
  /** Suites that shuffle their choices (truthfulqa-mc1): the seed of the order. Default `DEFAULT_CHOICE_SEED` (1234); recorded in the config. */
  choiceSeed?: number;
}

/** A suite made runnable: the config for `lab.run`, and the row preparation to pass along with it. */
export interface SuiteRunConfig {
  suite: BenchmarkSuite;
  config: LabConfigInput;
  /** Pass as `prepareCase` to `lab.run` / `runEvaluation`: turns each raw row into the suite's fields. */
  prepareCase: (vars: SuiteRow) => SuiteRow;
  /** Where the rows come from: an absolute path, or `hf:<name> (config …, split …)`. */
  source: string;
}

async function pathKind(path: string): Promise<'file' | 'folder' | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  return info.isDirectory() ? 'folder' : 'file';
}

/** The suite's file inside a folder, trying `suite.localFiles` in order. */
async function findSuiteFile(suite: BenchmarkSuite, folder: string): Promise<string> {
  for (const relative of suite.localFiles) {
    const candidate = join(folder, relative);
    if ((await pathKind(candidate)) === 'file') return candidate;
  }
  throw new ConfigError({
    path: 'data',
    message: `no ${suite.name} data in ${folder}: looked for ${suite.localFiles.map((relative) => join(folder, relative)).join(', ')}. Pass the file itself with --data, or leave --data out to fetch ${suite.hf.name} from Hugging Face.`,
  });
}

interface ResolvedData {
  dataset: DatasetInput;
  source: string;
  /** Fields added to every row before `prepare` (e.g. MMLU's subject from the file name). */
  rowDefaults: SuiteRow;
  /** MMLU: where the dev split is, for few-shot examples. */
  devFiles?: string[];
}

async function resolveMmluData(data: string, kind: 'file' | 'folder', subjects: string[], hub: HubOptions | undefined): Promise<ResolvedData> {
  if (kind === 'file') {
    const subject = mmluSubjectOfFile(data);
    if (subjects.length > 0 && subject !== undefined && !subjects.includes(subject)) {
      throw new ConfigError({ path: 'subject', message: `--data ${data} holds the subject '${subject}', not ${subjects.join(', ')}.` });
    }
    const devFolder = join(dirname(dirname(data)), 'dev');
    const devFile = subject ? [join(devFolder, `${subject}_dev.csv`), join(dirname(data), `${subject}_dev.csv`)] : [];
    const devFiles: string[] = [];
    for (const candidate of devFile) if ((await pathKind(candidate)) === 'file' && devFiles.length === 0) devFiles.push(candidate);
    return { dataset: { path: data }, source: data, rowDefaults: subject ? { subject } : {}, devFiles };
  }
  const testFolder = await findMmluSplitFolder(data, 'test');
  if (!testFolder) {
    throw new ConfigError({ path: 'data', message: `no MMLU test files in ${data}: expected mmlu/test/*_test.csv, test/*_test.csv or *_test.csv.` });
  }
  const files = await mmluFiles(testFolder, 'test', subjects);
  const devFolder = (await findMmluSplitFolder(dirname(testFolder), 'dev')) ?? (await findMmluSplitFolder(data, 'dev'));
  const devFiles = devFolder ? await mmluFiles(devFolder, 'dev', undefined) : [];
  if (files.length === 1) {
    const file = files[0] as string;
    return { dataset: { path: file }, source: file, rowDefaults: { subject: mmluSubjectOfFile(file) ?? '' }, devFiles };
  }
  const combined = await combineMmluFiles(files, hub);
  return { dataset: { path: combined }, source: `${testFolder} (${files.length} subjects)`, rowDefaults: {}, devFiles };
}

async function resolveData(suite: BenchmarkSuite, options: BuildSuiteConfigOptions, subjects: string[]): Promise<ResolvedData> {
  if (options.data === undefined) {
    const dataset: DatasetInput = { hf: { ...suite.hf } };
    if (suite.name === 'mmlu' && subjects.length > 0) dataset.filter = { subject: subjects };
    return { dataset, source: `hf:${suite.hf.name} (config ${suite.hf.config}, split ${suite.hf.split})`, rowDefaults: {} };
  }
  const data = resolve(options.baseDir ?? process.cwd(), options.data);
  const kind = await pathKind(data);
  if (!kind) {
    throw new ConfigError({ path: 'data', message: `--data ${data} does not exist. Give a ${suite.name} file or a folder holding it, or leave --data out to fetch ${suite.hf.name} from Hugging Face.` });
  }
  if (suite.name === 'mmlu') return resolveMmluData(data, kind, subjects, options.hub);
  const file = kind === 'file' ? data : await findSuiteFile(suite, data);
  return { dataset: { path: file }, source: file, rowDefaults: {} };
}

function asReference(judge: string | ProviderReference): ProviderReference {
  return typeof judge === 'string' ? { id: judge, config: {}, settings: {} } : judge;
}

/**
 * Builds the config of a benchmark run: the suite's prompts, evaluators and sampling defaults
 * over its dataset (the Hugging Face one by default, or `data`), for `providers`. Checks what
 * can be checked before any call: the suite name, a judge for judged suites, `--subject` and
 * `--shots` (MMLU only), that local data exists. For MMLU with `shots`, the dev examples are read
 * here (local dev CSVs next to the test ones, or the Hub's dev split). Pass the result's `config`
 * and `prepareCase` to `lab.run(config, { prepareCase })`; the run is stored like any other.
 */
export async function buildSuiteConfig(options: BuildSuiteConfigOptions): Promise<SuiteRunConfig> {
  const suite = typeof options.suite === 'string' ? getSuite(options.suite) : options.suite;
  if (options.providers.length === 0) throw new ConfigError({ path: 'providers', message: 'give at least one provider to benchmark (--provider <id>).' });
  if (suite.needsJudge && options.judge === undefined) {
    throw new ConfigError({ path: 'judge', message: `${suite.name} is scored by a judge model: give one with --judge <provider id> (e.g. --judge openai:gpt-4o).` });
  }
  if (suite.name !== 'mmlu' && (options.subjects?.length || options.shots)) {
    throw new ConfigError({ path: options.shots ? 'shots' : 'subject', message: `--subject and --shots apply to mmlu only, not ${suite.name}.` });
  }
  if (options.choiceSeed !== undefined && !suite.shufflesChoices) {
    const shuffling = listSuites().filter((candidate) => candidate.shufflesChoices).map((candidate) => candidate.name);
    throw new ConfigError({ path: 'choiceSeed', message: `--choice-seed applies to suites that shuffle their choices (${shuffling.join(', ')}), not ${suite.name}.` });
  }
  if (options.choiceSeed !== undefined && !(Number.isInteger(options.choiceSeed) && options.choiceSeed >= 0 && options.choiceSeed <= 2 ** 32 - 1)) {
    throw new ConfigError({ path: 'choiceSeed', message: `expected a seed from 0 to 4294967295, got ${options.choiceSeed}.` });
  }
  const choiceSeed = suite.shufflesChoices ? (options.choiceSeed ?? DEFAULT_CHOICE_SEED) : undefined;
  if (options.shots !== undefined && (!Number.isInteger(options.shots) || options.shots < 0 || options.shots > 5)) {
    throw new ConfigError({ path: 'shots', message: `expected 0 to 5 few-shot examples (MMLU's dev split has 5 per subject), got ${options.shots}.` });
  }
  const subjects = suite.name === 'mmlu' ? normalizeMmluSubjects(options.subjects ?? []) : [];
  const { dataset, source, rowDefaults, devFiles } = await resolveData(suite, options, subjects);
  if (suite.idField) dataset.idField = suite.idField;
  if (suite.filter) dataset.filter = { ...suite.filter, ...dataset.filter };
  if (options.sample) dataset.sample = { size: options.sample.size, seed: options.sample.seed ?? 0 };
  if (options.limit !== undefined) dataset.limit = options.limit;

  let shotsBySubject: Map<string, string> | undefined;
  const shots = options.shots ?? 0;
  if (shots > 0) {
    if (options.data !== undefined && (!devFiles || devFiles.length === 0)) {
      throw new ConfigError({ path: 'shots', message: `--shots needs MMLU's dev split, and none was found next to ${source} (expected a dev/ folder of <subject>_dev.csv beside test/).` });
    }
    shotsBySubject = await loadMmluShots(shots, options.data !== undefined ? { files: devFiles ?? [] } : { hf: true }, options.hub);
  }

  const prepareCase = (vars: SuiteRow): SuiteRow => {
    const prepared = suite.prepare({ ...rowDefaults, ...vars }, choiceSeed !== undefined ? { choiceSeed } : {});
    if (!shotsBySubject) return prepared;
    const examples = shotsBySubject.get(String(prepared.subject ?? ''));
    if (examples === undefined) throw new Error(`no dev examples for MMLU subject '${String(prepared.subject)}' to build the ${shots}-shot prompt.`);
    return { ...prepared, few_shot: examples };
  };

  const judge = options.judge === undefined ? undefined : asReference(options.judge);
  const config: LabConfigInput = {
    description: `${suite.title}${shots > 0 ? `, ${shots}-shot` : ''}${subjects.length > 0 ? ` (${subjects.join(', ')})` : ''}${choiceSeed !== undefined ? `, choices shuffled with seed ${choiceSeed}` : ''} · ${source}`,
    ...(options.plugins && options.plugins.length > 0 ? { plugins: [...options.plugins] } : {}),
    providers: [...options.providers],
    prompts: [...suite.prompts],
    dataset,
    evaluators: suite.evaluators({ ...(judge ? { judge } : {}), ...(choiceSeed !== undefined ? { choiceSeed } : {}) }),
    defaults: { ...suite.defaults, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}) },
    run: {
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
    },
  };
  return { suite, config, prepareCase, source };
}
