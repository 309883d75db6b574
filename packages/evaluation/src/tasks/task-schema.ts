import { z } from '@llm-lab/core';

// The task file: a benchmark written as data, after lm-evaluation-harness's task YAML (a dataset
// and split, a prompt template, few-shot exemplars from another split, how an answer is scored,
// how results are grouped). Keys are snake_case as there. Documented in docs/benchmarks.md.

const text = (what: string) => z.string({ error: `expected ${what}` });

const fieldSource = z.union([
  text('a source field name').min(1),
  z.array(text('a source field name').min(1)).min(1, 'list at least one source field'),
  z
    .object({
      from: z.union([text('a source field name').min(1), z.array(text('a source field name').min(1)).min(1)]),
      default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    })
    .strict(),
]);

const filterValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const taskDatasetSchema = z
  .object({
    /** A local JSONL, CSV, JSON or Parquet file (optionally gzipped), relative to the task file. */
    path: text('a file path relative to the task file').min(1).optional(),
    /** A Hugging Face Hub dataset id, e.g. `allenai/ai2_arc`. */
    hf: text('a Hub dataset id such as openai/gsm8k').regex(/^[\w.-]+(\/[\w.-]+)?$/, 'expected a Hub dataset id such as openai/gsm8k').optional(),
    /** The Hub dataset's configuration (subset). Default `default`. */
    config: text('a Hub dataset configuration').min(1).optional(),
    /** The Hub split evaluated. Default `test`. */
    split: text('a split name such as test').min(1).optional(),
    /** Where `--data <folder>` looks for the file, relative to that folder, in order. */
    local_files: z.array(text('a path inside a datasets folder').min(1)).optional(),
    /** The row field holding a stable case id. */
    id_field: text('a row field name').min(1).optional(),
    /** Keeps only rows whose field equals the value (or one of the values). */
    filter: z.record(z.string(), z.union([filterValue, z.array(filterValue).min(1)])).optional(),
  })
  .strict()
  .refine((dataset) => (dataset.path === undefined) !== (dataset.hf === undefined), {
    message: 'give exactly one of dataset.path (a local file) or dataset.hf (a Hugging Face dataset id)',
  })
  .refine((dataset) => dataset.hf !== undefined || (dataset.config === undefined && dataset.split === undefined), {
    message: 'dataset.config and dataset.split apply to a Hugging Face dataset (dataset.hf); a local file is its own split',
  });

export const taskFewshotSchema = z
  .object({
    /** Exemplars used by default (`--shots` overrides). Default 0. */
    count: z.number({ error: 'expected a whole number of exemplars' }).int().min(0).max(100).default(0),
    /** A local file of exemplars, relative to the task file. */
    path: text('a file path relative to the task file').min(1).optional(),
    /** A split of the Hub dataset (dataset.hf) to draw exemplars from, e.g. `train`. */
    split: text('a split name such as train').min(1).optional(),
    /** How an exemplar's answer is written (a template). Default: the target (the answer letter or choice under multiple choice). */
    target: text('a template such as {{answer}}').optional(),
    /** Between exemplars. Default two newlines. */
    delimiter: z.string().default('\n\n'),
  })
  .strict()
  .refine((fewshot) => !(fewshot.path !== undefined && fewshot.split !== undefined), { message: 'give fewshot.path (a file) or fewshot.split (a Hub split), not both' });

const answerSchema = z.looseObject({
  /** exact | contains | numeric | choice | regex, or any evaluator type (over-refusal, rouge-l, …). */
  method: text('an answer method: exact, contains, numeric, choice, regex or an evaluator type').min(1),
});

export const taskSchema = z
  .object({
    /** The task's name, used in results. */
    task: text('a task name such as capitals').regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected a task name of letters, digits, dots, dashes and underscores, such as capitals'),
    title: text('a title').min(1).optional(),
    description: text('a one-line description').optional(),
    /** Where the data comes from. */
    source: z.object({ citation: z.string().optional(), url: z.string().optional(), license: z.string().optional() }).strict().optional(),
    /** Where the prompt format and scoring come from. */
    protocol: z.object({ citation: z.string().optional(), url: z.string().optional() }).strict().optional(),
    dataset: taskDatasetSchema,
    /** Renames and picks row fields: name → source field (or alternatives, first present wins, or { from, default }). */
    fields: z.record(z.string().min(1), fieldSource).optional(),
    /** The prompt, a template over the row's fields; `{{few_shot}}` places the exemplars (default: before it). */
    template: text('a prompt template such as "Question: {{question}}\\nAnswer:"').min(1),
    /** A system message template. */
    system: text('a system message template').optional(),
    /** The reference answer, a template. Under multiple choice: the correct choice as an index, letter or choice text. */
    target: text('a template such as {{answer}}').optional(),
    /** Multiple choice: the row field holding the list of choices. */
    choices: text('the name of a row field holding the list of choices').min(1).optional(),
    /** generate (score the model's text) or loglikelihood (rank the choices by log-probability). Default generate. */
    scoring: z.enum(['generate', 'loglikelihood'], { error: "expected 'generate' or 'loglikelihood'" }).default('generate'),
    /** loglikelihood: acc (summed log-probability) or acc_norm (per byte). Default acc. */
    metric: z.enum(['acc', 'acc_norm'], { error: "expected 'acc' or 'acc_norm'" }).optional(),
    /** loglikelihood: score each choice's text (default) or its letter after the delimiter. */
    continuation: z.enum(['choice', 'letter'], { error: "expected 'choice' or 'letter'" }).default('choice'),
    /** Between the prompt and an answer (an exemplar's, a scored continuation). Default one space. */
    target_delimiter: z.string().default(' '),
    fewshot: taskFewshotSchema.optional(),
    /** How a generated answer is scored. Default: choice under multiple choice, else exact. */
    answer: answerSchema.optional(),
    /** none (default), optional (`--judge` switches the evaluator to its judge method) or required (`--judge` must be given). */
    judge: z.enum(['none', 'optional', 'required'], { error: "expected 'none', 'optional' or 'required'" }).default('none'),
    /** Sampling: max_tokens, temperature (default 0), stop. */
    generation: z
      .object({
        max_tokens: z.number({ error: 'expected a whole number of tokens' }).int().positive().optional(),
        temperature: z.number({ error: 'expected a temperature from 0 to 2' }).min(0).max(2).optional(),
        stop: z.array(z.string()).max(4).optional(),
      })
      .strict()
      .optional(),
    /** The row field results are grouped by (per-group accuracy, micro and macro averages). */
    group_by: text('the name of a row field, e.g. subject').min(1).optional(),
    /** With group_by: category name → the groups in it. */
    categories: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
  })
  .strict()
  .refine((task) => task.scoring !== 'loglikelihood' || task.choices !== undefined, {
    message: 'scoring: loglikelihood ranks choices: give choices (the row field holding the list of choices)',
    path: ['scoring'],
  })
  .refine((task) => task.choices === undefined || task.target !== undefined, {
    message: 'multiple choice needs target: the correct choice as a template giving its index, letter or text, e.g. "{{answer}}"',
    path: ['target'],
  })
  .refine((task) => task.fields === undefined || task.group_by === undefined || task.group_by.split('.')[0] as string in task.fields, {
    message: 'group_by names a field that fields: leaves out; add it to fields',
    path: ['group_by'],
  })
  .refine((task) => task.metric === undefined || task.scoring === 'loglikelihood', { message: 'metric (acc or acc_norm) applies with scoring: loglikelihood', path: ['metric'] })
  .refine((task) => task.categories === undefined || task.group_by !== undefined, { message: 'categories gather groups: give group_by too', path: ['categories'] })
  .refine((task) => task.answer === undefined || task.scoring === 'generate', { message: 'answer applies with scoring: generate (log-likelihood scoring ranks the choices)', path: ['answer'] })
  .refine((task) => task.answer?.method !== 'choice' || task.choices !== undefined, { message: 'answer method choice needs choices (the row field holding the list of choices)', path: ['answer', 'method'] })
  .refine((task) => task.scoring !== 'generate' || task.choices !== undefined || task.target !== undefined || !['exact', 'contains', 'numeric'].includes(task.answer?.method ?? 'exact'), {
    message: 'the answer is compared with target: give target, a template such as "{{answer}}"',
    path: ['target'],
  })
  .refine((task) => task.fewshot?.split === undefined || task.dataset.hf !== undefined, {
    message: 'fewshot.split names a split of the Hugging Face dataset (dataset.hf); for a local dataset give fewshot.path',
    path: ['fewshot', 'split'],
  })
  .refine((task) => task.fewshot?.split === undefined || task.fewshot.split !== (task.dataset.split ?? 'test'), {
    message: 'fewshot.split is the evaluated split: exemplars must come from another split (e.g. train)',
    path: ['fewshot', 'split'],
  });

/** A task file as written. */
export type TaskInput = z.input<typeof taskSchema>;
/** A validated task file, defaults applied. */
export type TaskDefinition = z.output<typeof taskSchema>;
