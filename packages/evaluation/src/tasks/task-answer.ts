import type { EvaluatorEntry } from '@llm-lab/core';
import type { ProviderReference } from '../evaluators/schemas.js';
import type { TaskDefinition } from './task-schema.js';

/** `ignore_case` → `ignoreCase`: a task file's snake_case option names as the evaluators spell them. */
export function camelCaseKey(key: string): string {
  return key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** Answer methods that compare the output with the task's `target`. */
export const TARGET_METHODS: readonly string[] = ['exact', 'contains', 'numeric'];

/** The answer method a task uses: its `answer.method`, else `choice` under multiple choice, else `exact`. */
export function answerMethod(task: Pick<TaskDefinition, 'answer' | 'choices'>): string {
  return task.answer?.method ?? (task.choices !== undefined ? 'choice' : 'exact');
}

/**
 * The evaluator entry that scores a task's generated answers (`scoring: generate`, or the
 * `--scoring generate` flag on a multiple-choice task): `exact` is `equals` against `{{target}}`, `contains` and `numeric` likewise, `choice`
 * is `choice` against the prepared answer letter and choices, `regex` is `regex` (the output
 * matches `pattern`), any other method is that evaluator type. The block's other keys are the
 * evaluator's options, snake_case or camelCase. With a judge (`--judge`), a task with
 * `judge: optional` switches the evaluator to `method: judge`; `judge: required` passes it as `judge`.
 */
export function answerEvaluator(task: TaskDefinition, judge?: ProviderReference | string): EvaluatorEntry {
  const method = answerMethod(task);
  const { method: _method, ...rest } = task.answer ?? { method };
  const options = Object.fromEntries(Object.entries(rest).map(([key, value]) => [camelCaseKey(key), value]));
  let entry: EvaluatorEntry;
  if (method === 'exact') entry = { type: 'equals', value: '{{target}}', ...options };
  else if (method === 'contains' || method === 'numeric') entry = { type: method, value: '{{target}}', ...options };
  else if (method === 'choice') entry = { type: 'choice', value: '{{answer_letter}}', choicesField: 'choices', ...options };
  else entry = { type: method, ...options };
  if (judge !== undefined && task.judge === 'optional') entry = { ...entry, method: 'judge', judge };
  else if (judge !== undefined && task.judge === 'required') entry = { ...entry, judge };
  return entry;
}
