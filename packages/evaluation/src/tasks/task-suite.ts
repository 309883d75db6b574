import { resolve } from 'node:path';
import { compileTemplate } from '../prompts/template.js';
import { answerIndex, LETTERS, letteredChoices, stringListField } from '../suites/row-fields.js';
import type { BenchmarkSuite, SuiteRow, SuiteScoring } from '../suites/types.js';
import type { LoadedTask } from './load-task.js';
import { answerEvaluator } from './task-answer.js';
import type { TaskDefinition } from './task-schema.js';

/** What a task file sets that `bench` flags may override. */
export interface TaskRunDefaults {
  /** The local dataset file (absolute). */
  data?: string;
  shots?: number;
  /** The local exemplar file (absolute). */
  shotsData?: string;
  scoring: SuiteScoring;
  metric?: 'acc' | 'acc_norm';
}

/** A task file made a suite, and the options it sets. */
export interface TaskSuite {
  suite: BenchmarkSuite;
  defaults: TaskRunDefaults;
}

type FieldSource = NonNullable<TaskDefinition['fields']>[string];

function sourceOf(source: FieldSource): { from: string[]; fallback?: { value: unknown } } {
  if (typeof source === 'string') return { from: [source] };
  if (Array.isArray(source)) return { from: source };
  return { from: typeof source.from === 'string' ? [source.from] : source.from, ...('default' in source ? { fallback: { value: source.default } } : {}) };
}

/** The value at a source field (a dotted path reaches into nested objects: `choices.text`), or undefined. */
function sourceValue(row: SuiteRow, source: string): unknown {
  let current: unknown = row;
  for (const key of source in row ? [source] : source.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as SuiteRow)[key];
  }
  return current ?? undefined;
}

/** The row's fields as `fields:` names them (first source present, else the default), or the row as it is. */
function pickFields(task: TaskDefinition, row: SuiteRow): SuiteRow {
  if (!task.fields) return { ...row };
  const picked: SuiteRow = {};
  for (const [name, written] of Object.entries(task.fields)) {
    const { from, fallback } = sourceOf(written);
    const value = from.map((source) => sourceValue(row, source)).find((found) => found !== undefined);
    if (value !== undefined) picked[name] = value;
    else if (fallback) picked[name] = fallback.value;
    else throw new Error(`expected a field ${from.map((field) => `'${field}'`).join(' or ')} (for '${name}'); the row has ${Object.keys(row).join(', ') || 'no fields'}.`);
  }
  return picked;
}

/** The correct choice's index from the rendered target: a number field is an index; text is a choice's text, else an index or letter. */
function choiceIndex(task: TaskDefinition, fields: SuiteRow, choices: readonly string[], target: ReturnType<typeof compileTemplate>): number {
  const single = /^\{\{\s*([\w$.-]+)\s*\}\}$/.exec(task.target ?? '')?.[1];
  const raw = single !== undefined && !single.includes('.') ? fields[single] : undefined;
  if (typeof raw === 'number') return answerIndex(raw, choices.length, `target (${single})`);
  const written = target.render(fields).trim();
  const exact = choices.indexOf(written);
  if (exact >= 0) return exact;
  try {
    return answerIndex(written, choices.length, 'target');
  } catch {
    throw new Error(`target ${JSON.stringify(written)} is neither one of the choices nor an index 0–${choices.length - 1} or a letter A–${LETTERS[choices.length - 1]}.`);
  }
}

/**
 * A validated task as a benchmark suite, so `bench` runs it as it runs the built-in ones: the
 * same data resolution, few-shot exemplars (never from the evaluated file), scoring options,
 * stored results and per-group figures.
 */
export function taskToSuite(loaded: LoadedTask): TaskSuite {
  const { task, file, baseDir } = loaded;
  // Exemplars go where `{{few_shot}}` is, else before the prompt (lm-evaluation-harness's order).
  const template = task.fewshot === undefined || task.template.includes('{{few_shot}}') ? task.template : `{{few_shot}}${task.template}`;
  const prompt = compileTemplate(template);
  const target = task.target !== undefined ? compileTemplate(task.target) : undefined;
  const exemplarTarget = task.fewshot?.target !== undefined ? compileTemplate(task.fewshot.target) : undefined;
  const delimiter = task.target_delimiter;
  const where = file ?? `the ${task.task} task`;

  const prepare = (row: SuiteRow): SuiteRow => {
    const fields = pickFields(task, row);
    if (task.fewshot !== undefined) fields.few_shot = '';
    if (task.choices !== undefined) {
      const choices = stringListField(fields, [task.choices]);
      if (choices.length < 2 || choices.length > LETTERS.length) throw new Error(`expected 2 to ${LETTERS.length} choices in '${task.choices}', got ${choices.length}.`);
      const index = choiceIndex(task, fields, choices, target as ReturnType<typeof compileTemplate>);
      Object.assign(fields, { choices, choices_text: letteredChoices(choices), answer_index: index, answer_letter: LETTERS[index], target: choices[index] });
    } else if (target) {
      fields.target = target.render(fields);
    }
    return fields;
  };

  const continuations = (fields: SuiteRow): string[] =>
    (fields.choices as string[]).map((choice, index) => `${delimiter}${task.continuation === 'letter' ? LETTERS[index] : choice}`);

  const exemplarAnswer = (fields: SuiteRow, scoring: SuiteScoring): string => {
    if (exemplarTarget) return exemplarTarget.render(fields);
    if (task.choices === undefined) return String(fields.target ?? '');
    if (scoring === 'loglikelihood' && task.continuation === 'choice') return String(fields.target);
    return String(fields.answer_letter);
  };

  const hf = task.dataset.hf !== undefined ? { name: task.dataset.hf, config: task.dataset.config ?? 'default', split: task.dataset.split ?? 'test' } : undefined;
  const groups = task.group_by !== undefined ? { by: task.group_by, ...(task.categories ? { categories: task.categories } : {}) } : undefined;
  const suite: BenchmarkSuite = {
    name: task.task,
    title: task.title ?? task.task,
    description: task.description ?? `Task file ${where}.`,
    data: { citation: task.source?.citation ?? `Task file ${where}`, url: task.source?.url ?? '', license: task.source?.license ?? 'see the dataset' },
    protocol: { citation: task.protocol?.citation ?? `Task file ${where}`, url: task.protocol?.url ?? '' },
    ...(hf ? { hf } : {}),
    localFiles: task.dataset.local_files ?? [],
    ...(task.dataset.id_field ? { idField: task.dataset.id_field } : {}),
    ...(task.dataset.filter ? { filter: task.dataset.filter as Record<string, string | string[]> } : {}),
    prompts: [{ id: task.task, template, ...(task.system !== undefined ? { system: task.system } : {}) }],
    evaluators: ({ judge }) => [answerEvaluator(task, judge)],
    defaults: {
      temperature: task.generation?.temperature ?? 0,
      maxTokens: task.generation?.max_tokens ?? (task.choices !== undefined ? 32 : 256),
      ...(task.generation?.stop ? { stop: task.generation.stop } : {}),
    },
    ...(task.judge === 'required' ? { needsJudge: true } : {}),
    ...(task.choices !== undefined
      ? {
          loglikelihood: {
            template,
            continuations,
            metric: task.metric ?? 'acc',
            protocol: { citation: `Task file ${where}, ranked by log-likelihood as lm-evaluation-harness's multiple_choice output type`, url: task.protocol?.url ?? '' },
          },
        }
      : {}),
    ...(task.fewshot !== undefined
      ? {
          fewShot: {
            standard: task.fewshot.count,
            ...(hf ? { hfSplit: task.fewshot.split ?? 'train' } : {}),
            format: (fields: SuiteRow, scoring: SuiteScoring) => `${prompt.render({ ...fields, few_shot: '' })}${delimiter}${exemplarAnswer(fields, scoring)}${task.fewshot?.delimiter ?? '\n\n'}`,
          },
        }
      : {}),
    ...(groups ? { groups } : {}),
    prepare,
  };
  const defaults: TaskRunDefaults = {
    scoring: task.scoring,
    ...(task.metric ? { metric: task.metric } : {}),
    ...(task.dataset.path !== undefined ? { data: resolve(baseDir, task.dataset.path) } : {}),
    ...(task.fewshot && task.fewshot.count > 0 ? { shots: task.fewshot.count } : {}),
    ...(task.fewshot?.path !== undefined ? { shotsData: resolve(baseDir, task.fewshot.path) } : {}),
  };
  return { suite, defaults };
}
