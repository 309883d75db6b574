import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, type LabConfigInput } from '@llm-lab/core';
import type { HubOptions } from '../datasets/hf-hub.js';
import { DEFAULT_CHOICE_SEED } from '../evaluators/choice-order.js';
import type { ProviderReference } from '../evaluators/schemas.js';
import {
  combineMmluFiles,
  findMmluSplitFolder,
  loadMmluShots,
  mmluFiles,
  readRows,
  mmluSubjectOfFile,
  normalizeMmluSubjects,
} from './mmlu-data.js';
import { isTaskFilePath, loadTaskFile } from '../tasks/load-task.js';
import { taskToSuite } from '../tasks/task-suite.js';
import { getSuite, listSuites } from './registry.js';
import type { BenchmarkSuite, SuiteRow, SuiteScoring } from './types.js';

type ProviderInput = LabConfigInput['providers'][number];
type DatasetInput = LabConfigInput['dataset'];

/** Options of {@link buildSuiteConfig}. */
export interface BuildSuiteConfigOptions {
  /**
   * A suite name (`mmlu`, `gsm8k`, …), the path of a task file (`./my-task.yaml`, relative to
   * `baseDir`), or a suite definition. A task file's dataset, shots and scoring apply unless
   * given here.
   */
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
  /**
   * Solved examples before each question: MMLU from the subject's dev split (0–5), ARC and
   * HellaSwag a seeded sample of the train split (or `shotsData`), GSM8K the first N of Wei et
   * al.'s 8 chain-of-thought exemplars. Never drawn from the evaluated data.
   */
  shots?: number;
  /** ARC and HellaSwag: the file exemplars are drawn from (default: the train split beside `data`, or the Hub's). */
  shotsData?: string;
  /** Multiple-choice suites: score the letter the model writes (`generate`, default) or each choice's log-likelihood. */
  scoring?: SuiteScoring;
  /** With `scoring: loglikelihood`: the metric a result passes by (default: the suite's, acc for MMLU, acc_norm for ARC and HellaSwag). */
  metric?: 'acc' | 'acc_norm';
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

/** `, or leave --data out to fetch <the Hub dataset> from Hugging Face` when the suite has one. */
function hubHint(suite: BenchmarkSuite, words = 'leave --data out to fetch'): string {
  return suite.hf ? `, or ${words} ${suite.hf.name} from Hugging Face` : '';
}

/** The suite's file inside a folder, trying `suite.localFiles` in order. */
async function findSuiteFile(suite: BenchmarkSuite, folder: string): Promise<string> {
  for (const relative of suite.localFiles) {
    const candidate = join(folder, relative);
    if ((await pathKind(candidate)) === 'file') return candidate;
  }
  throw new ConfigError({
    path: 'data',
    message: `no ${suite.name} data in ${folder}: looked for ${suite.localFiles.map((relative) => join(folder, relative)).join(', ')}. Pass the file itself with --data${hubHint(suite)}.`,
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
    if (!suite.hf) throw new ConfigError({ path: 'data', message: `${suite.name} has no dataset: give one with --data <file>.` });
    const dataset: DatasetInput = { hf: { ...suite.hf } };
    if (suite.name === 'mmlu' && subjects.length > 0) dataset.filter = { subject: subjects };
    return { dataset, source: `hf:${suite.hf.name} (config ${suite.hf.config}, split ${suite.hf.split})`, rowDefaults: {} };
  }
  const data = resolve(options.baseDir ?? process.cwd(), options.data);
  const kind = await pathKind(data);
  if (!kind) {
    throw new ConfigError({ path: 'data', message: `--data ${data} does not exist. Give a ${suite.name} file or a folder holding it${hubHint(suite)}.` });
  }
  if (suite.name === 'mmlu') return resolveMmluData(data, kind, subjects, options.hub);
  const file = kind === 'file' ? data : await findSuiteFile(suite, data);
  return { dataset: { path: file }, source: file, rowDefaults: {} };
}

/** Refuses scoring, metric, shots and subject options that do not apply to the suite. */
function checkScoringAndShots(suite: BenchmarkSuite, options: BuildSuiteConfigOptions, scoring: SuiteScoring): void {
  if (scoring !== 'generate' && scoring !== 'loglikelihood') {
    throw new ConfigError({ path: 'scoring', message: `expected --scoring generate or loglikelihood, got '${String(scoring)}'.` });
  }
  if (scoring === 'loglikelihood' && !suite.loglikelihood) {
    throw new ConfigError({ path: 'scoring', message: `--scoring loglikelihood applies to the multiple-choice suites mmlu, arc and hellaswag (and task files with choices), not ${suite.name}.` });
  }
  if (options.metric !== undefined && scoring !== 'loglikelihood') {
    throw new ConfigError({ path: 'metric', message: '--metric (acc or acc_norm) applies with --scoring loglikelihood only.' });
  }
  if (options.metric !== undefined && options.metric !== 'acc' && options.metric !== 'acc_norm') {
    throw new ConfigError({ path: 'metric', message: `expected --metric acc or acc_norm, got '${String(options.metric)}'.` });
  }
  if (suite.name !== 'mmlu' && options.subjects?.length) {
    throw new ConfigError({ path: 'subject', message: `--subject applies to mmlu only, not ${suite.name}.` });
  }
  const shots = options.shots;
  if (shots === undefined || shots === 0) {
    if (options.shotsData !== undefined) throw new ConfigError({ path: 'shotsData', message: '--shots-data needs --shots N.' });
    return;
  }
  if (suite.name !== 'mmlu' && !suite.fewShot) {
    throw new ConfigError({ path: 'shots', message: `--shots applies to mmlu, arc, hellaswag, gsm8k and task files with a fewshot block, not ${suite.name}.` });
  }
  const most = suite.name === 'mmlu' ? 5 : (suite.fewShot?.fixed?.length ?? 100);
  if (!Number.isInteger(shots) || shots < 0 || shots > most) {
    const why = suite.name === 'mmlu' ? " (MMLU's dev split has 5 per subject)" : suite.fewShot?.fixed ? ` (${suite.name} has ${most} standard exemplars)` : '';
    throw new ConfigError({ path: 'shots', message: `expected 0 to ${most} few-shot examples${why}, got ${shots}.` });
  }
  if (options.shotsData !== undefined && (suite.name === 'mmlu' || suite.fewShot?.fixed)) {
    throw new ConfigError({ path: 'shotsData', message: `--shots-data applies to arc and hellaswag; ${suite.name} takes its exemplars from ${suite.name === 'mmlu' ? 'the dev split' : 'the standard chain-of-thought set'}.` });
  }
}

/** Seed of the exemplar sample, as lm-evaluation-harness seeds its few-shot sampler. */
const FEW_SHOT_SEED = 1234;

/** Train files that may sit beside an evaluated file: its name with test/validation/small replaced by train. */
function trainFileCandidates(file: string): string[] {
  const name = basename(file);
  const candidates = ['test', 'validation', 'val', 'small', 'dev']
    .filter((word) => name.includes(word))
    .map((word) => join(dirname(file), name.replace(new RegExp(`${word}(?!.*${word})`), 'train')));
  return [...new Set(candidates)].filter((candidate) => candidate !== file);
}

/**
 * The few-shot prefix of a suite with `fewShot`: its first `shots` fixed exemplars, or a seeded
 * sample of `shots` rows of the exemplar split (`shotsData`, else the train file beside the
 * evaluated one, else the Hub's train split), each written by `fewShot.format`. Refuses to draw
 * from the evaluated file.
 */
async function loadSplitShots(suite: BenchmarkSuite, shots: number, scoring: SuiteScoring, options: BuildSuiteConfigOptions, evaluated: string | undefined): Promise<string> {
  const fewShot = suite.fewShot;
  if (!fewShot) throw new Error(`${suite.name} has no few-shot source.`);
  if (fewShot.fixed) return fewShot.fixed.slice(0, shots).join('');
  const format = fewShot.format;
  if (!format) throw new Error(`${suite.name} has no few-shot format.`);
  let config: { path: string; hf?: undefined } | { hf: NonNullable<BenchmarkSuite['hf']>; path?: undefined };
  let where: string;
  if (options.shotsData !== undefined) {
    const file = resolve(options.baseDir ?? process.cwd(), options.shotsData);
    if ((await pathKind(file)) !== 'file') throw new ConfigError({ path: 'shotsData', message: `--shots-data ${file} is not a file. Give the ${suite.name} train split as a file.` });
    config = { path: file };
    where = file;
  } else if (evaluated !== undefined) {
    const candidates = trainFileCandidates(evaluated);
    let found: string | undefined;
    for (const candidate of candidates) if (found === undefined && (await pathKind(candidate)) === 'file') found = candidate;
    if (found === undefined) {
      throw new ConfigError({
        path: 'shots',
        message: `--shots for ${suite.name} draws exemplars from the train split, never the evaluated data, and none was found next to ${evaluated}${candidates.length > 0 ? ` (looked for ${candidates.join(', ')})` : ''}. Give one with --shots-data <file>${suite.hf && fewShot.hfSplit ? `, or leave --data out to use ${suite.hf.name}'s ${fewShot.hfSplit} split` : ''}.`,
      });
    }
    config = { path: found };
    where = found;
  } else {
    if (!suite.hf || !fewShot.hfSplit) throw new ConfigError({ path: 'shots', message: `--shots for ${suite.name} needs exemplars: give a file of them with --shots-data <file>.` });
    config = { hf: { ...suite.hf, split: fewShot.hfSplit } };
    where = `hf:${suite.hf.name} (config ${suite.hf.config}, split ${fewShot.hfSplit})`;
  }
  if (config.path !== undefined && evaluated !== undefined && resolve(config.path) === resolve(evaluated)) {
    throw new ConfigError({ path: 'shotsData', message: `--shots-data ${config.path} is the evaluated file; exemplars must come from another split (the train split).` });
  }
  if (config.hf !== undefined && options.data === undefined && fewShot.hfSplit === suite.hf?.split) {
    throw new Error(`${suite.name}'s exemplar split is its evaluated split.`);
  }
  const rows = await readRows({ ...config, sample: { size: shots, seed: FEW_SHOT_SEED }, onInvalidRow: 'skip' }, options.hub);
  if (rows.length < shots) throw new ConfigError({ path: 'shots', message: `${where} has ${rows.length} usable rows, fewer than --shots ${shots}.` });
  return rows.map((row, index) => {
    try {
      return format(suite.prepare(row), scoring);
    } catch (error) {
      throw new ConfigError({ path: 'shots', message: `exemplar ${index + 1} of ${where} cannot be read as ${suite.name}: ${(error as Error).message}` });
    }
  }).join('');
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
export async function buildSuiteConfig(given: BuildSuiteConfigOptions): Promise<SuiteRunConfig> {
  let suite: BenchmarkSuite;
  let options = given;
  if (typeof given.suite === 'string' && isTaskFilePath(given.suite)) {
    // A task file: its dataset, shots and scoring, under whatever the caller gives.
    const task = taskToSuite(await loadTaskFile(given.suite, { cwd: given.baseDir ?? process.cwd() }));
    suite = task.suite;
    if (listSuites().some((builtIn) => builtIn.name === suite.name)) {
      throw new ConfigError({ file: resolve(given.baseDir ?? process.cwd(), given.suite), path: 'task', message: `'${suite.name}' is the name of a built-in suite; give the task its own name (e.g. ${suite.name}-custom).` });
    }
    const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as BuildSuiteConfigOptions;
    options = { ...task.defaults, ...defined, ...(given.data !== undefined ? {} : task.defaults.data ? { data: task.defaults.data } : {}) };
    // Exemplars of the task's own file go with its data; other data looks beside itself (or --shots-data).
    if ((given.data !== undefined || given.shots === 0) && given.shotsData === undefined) delete options.shotsData;
    // `--scoring generate` on a log-likelihood task leaves the task's metric behind with its scoring.
    if (options.scoring !== 'loglikelihood' && given.metric === undefined) delete options.metric;
  } else {
    suite = typeof given.suite === 'string' ? getSuite(given.suite) : given.suite;
  }
  if (options.providers.length === 0) throw new ConfigError({ path: 'providers', message: 'give at least one provider to benchmark (--provider <id>).' });
  if (suite.needsJudge && options.judge === undefined) {
    throw new ConfigError({ path: 'judge', message: `${suite.name} is scored by a judge model: give one with --judge <provider id> (e.g. --judge openai:gpt-4o).` });
  }
  const scoring = options.scoring ?? 'generate';
  checkScoringAndShots(suite, options, scoring);
  if (options.choiceSeed !== undefined && !suite.shufflesChoices) {
    const shuffling = listSuites().filter((candidate) => candidate.shufflesChoices).map((candidate) => candidate.name);
    throw new ConfigError({ path: 'choiceSeed', message: `--choice-seed applies to suites that shuffle their choices (${shuffling.join(', ')}), not ${suite.name}.` });
  }
  if (options.choiceSeed !== undefined && !(Number.isInteger(options.choiceSeed) && options.choiceSeed >= 0 && options.choiceSeed <= 2 ** 32 - 1)) {
    throw new ConfigError({ path: 'choiceSeed', message: `expected a seed from 0 to 4294967295, got ${options.choiceSeed}.` });
  }
  const choiceSeed = suite.shufflesChoices ? (options.choiceSeed ?? DEFAULT_CHOICE_SEED) : undefined;
  const subjects = suite.name === 'mmlu' ? normalizeMmluSubjects(options.subjects ?? []) : [];
  const { dataset, source, rowDefaults, devFiles } = await resolveData(suite, options, subjects);
  if (suite.idField) dataset.idField = suite.idField;
  if (suite.filter) dataset.filter = { ...suite.filter, ...dataset.filter };
  if (options.sample) dataset.sample = { size: options.sample.size, seed: options.sample.seed ?? 0 };
  if (options.limit !== undefined) dataset.limit = options.limit;

  let shotsBySubject: Map<string, string> | undefined;
  let fewShot: string | undefined;
  const shots = options.shots ?? 0;
  if (shots > 0 && suite.name === 'mmlu') {
    if (options.data !== undefined && (!devFiles || devFiles.length === 0)) {
      throw new ConfigError({ path: 'shots', message: `--shots needs MMLU's dev split, and none was found next to ${source} (expected a dev/ folder of <subject>_dev.csv beside test/).` });
    }
    shotsBySubject = await loadMmluShots(shots, options.data !== undefined ? { files: devFiles ?? [] } : { hf: true }, options.hub);
  } else if (shots > 0) {
    fewShot = await loadSplitShots(suite, shots, scoring, options, typeof dataset.path === 'string' ? dataset.path : undefined);
  }
  const loglikelihood = scoring === 'loglikelihood' ? suite.loglikelihood : undefined;
  const metric = options.metric ?? loglikelihood?.metric;

  const prepareCase = (vars: SuiteRow): SuiteRow => {
    const prepared = suite.prepare({ ...rowDefaults, ...vars }, choiceSeed !== undefined ? { choiceSeed } : {});
    if (shotsBySubject) {
      const examples = shotsBySubject.get(String(prepared.subject ?? ''));
      if (examples === undefined) throw new Error(`no dev examples for MMLU subject '${String(prepared.subject)}' to build the ${shots}-shot prompt.`);
      prepared.few_shot = examples;
    }
    if (fewShot !== undefined) prepared.few_shot = fewShot;
    if (loglikelihood) prepared.continuations = loglikelihood.continuations(prepared);
    return prepared;
  };

  const withShots = shots > 0 && suite.fewShot !== undefined && suite.name !== 'mmlu';
  const prompts = loglikelihood
    ? [{ id: `${suite.name}-loglikelihood`, template: loglikelihood.template }]
    : withShots && suite.fewShot?.prompt
      ? [suite.fewShot.prompt]
      : [...suite.prompts];
  const described = [
    suite.title,
    shots > 0 ? `, ${shots}-shot${suite.fewShot?.fixed ? ' chain of thought' : ''}` : '',
    loglikelihood ? `, log-likelihood ${metric}` : '',
    subjects.length > 0 ? ` (${subjects.join(', ')})` : '',
    choiceSeed !== undefined ? `, choices shuffled with seed ${choiceSeed}` : '',
  ].join('');
  const judge = options.judge === undefined ? undefined : asReference(options.judge);
  const config: LabConfigInput = {
    description: `${described} · ${source}`,
    ...(options.plugins && options.plugins.length > 0 ? { plugins: [...options.plugins] } : {}),
    providers: [...options.providers],
    prompts,
    dataset,
    ...(suite.groups ? { groups: { ...suite.groups, ...(suite.groups.categories ? { categories: { ...suite.groups.categories } } : {}) } as LabConfigInput['groups'] } : {}),
    evaluators: loglikelihood
      ? [{ type: 'loglikelihood', name: metric, metric }]
      : withShots && suite.fewShot?.evaluators
        ? suite.fewShot.evaluators()
        : suite.evaluators({ ...(judge ? { judge } : {}), ...(choiceSeed !== undefined ? { choiceSeed } : {}) }),
    defaults: {
      ...suite.defaults,
      ...(withShots && !loglikelihood ? suite.fewShot?.defaults : {}),
      // The engine still asks for an output; under log-likelihood scoring it is not used, so one token.
      ...(loglikelihood ? { maxTokens: 1 } : {}),
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    },
    run: {
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
    },
  };
  return { suite, config, prepareCase, source };
}
