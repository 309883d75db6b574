import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError, formatConfigPath, unknownKeyErrors, type z } from '@llm-lab/core';
import YAML from 'yaml';
import { loadEvaluators } from '../evaluators/load-evaluators.js';
import { createDefaultEvaluatorRegistry, createEvaluators } from '../evaluators/registry.js';
import { answerEvaluator, camelCaseKey } from './task-answer.js';
import { taskSchema, type TaskDefinition } from './task-schema.js';

/** A validated task and where it came from. */
export interface LoadedTask {
  task: TaskDefinition;
  /** Absolute path of the file; undefined for a built-in task's text. */
  file: string | undefined;
  /** Folder the task's relative paths (dataset, few-shot file) are resolved against. */
  baseDir: string;
}

/** Aliases (`&a`, `*a`) a task may expand before it is refused, as for config files. */
const MAX_YAML_ALIASES = 100;

/**
 * A union reports "Invalid input" at its own path; the branch that got furthest says what was
 * wrong, so that one is reported (as core's config loader does).
 */
function specificIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const depth = (branch: z.core.$ZodIssue[]) => Math.max(...branch.map((inner) => inner.path.length));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
    if (best.length === 0 || depth(best) === 0) return [issue];
    return specificIssues(best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
  });
}

function taskError(file: string | undefined, issues: readonly z.core.$ZodIssue[]): ConfigError {
  const specific = specificIssues(issues);
  const [first] = specific;
  if (specific.length === 1 && first) {
    return new ConfigError({ file, path: formatConfigPath(first.path) || undefined, message: first.message });
  }
  const lines = specific.slice(0, 5).map((issue) => `${formatConfigPath(issue.path) || '(top level)'}: ${issue.message}`);
  const more = specific.length > 5 ? `\n  … and ${specific.length - 5} more` : '';
  return new ConfigError({ file, message: `${specific.length} problems in the task file:\n  ${lines.join('\n  ')}${more}` });
}

/** The `answer:` block's problem from building its evaluator, at `answer.<option>` in the task's own words. */
function answerError(task: TaskDefinition, file: string | undefined, error: unknown): ConfigError | undefined {
  if (!(error instanceof ConfigError) || !error.path?.startsWith('evaluators[0]')) return undefined;
  const inner = error.path.slice('evaluators[0]'.length).replace(/^\./, '');
  const written = Object.keys(task.answer ?? {}).find((key) => camelCaseKey(key) === inner.split(/[.[]/)[0]);
  const path = inner === 'type' ? 'answer.method' : `answer${inner ? `.${written ?? inner}` : ''}`;
  return new ConfigError({ file, path, message: error.detail.replace(/\bevaluators\[0\]\./g, 'answer.') });
}

const noProvider = (): never => {
  throw new Error('no provider when a task file is read');
};

/**
 * Checks the `answer:` block against its evaluator's options before any call, so a mistyped
 * option is reported at `answer.<option>`. Here only built-in types: an evaluator package or
 * custom module is checked by {@link loadTaskFile} (which can import it), and a type whose judge
 * comes from `--judge` when the run is built.
 */
function checkAnswer(task: TaskDefinition, file: string | undefined): void {
  const entry = answerEvaluator(task);
  if (task.judge === 'required' || !createDefaultEvaluatorRegistry().get(entry.type) || entry.type === 'custom') return;
  try {
    createEvaluators([entry], { createProvider: noProvider });
  } catch (error) {
    const problem = answerError(task, file, error);
    if (problem) throw problem;
  }
}

/**
 * Validates a parsed task (from a file, or a built-in task's text). Errors are ConfigErrors that
 * name the file and the key (`fewshot.count: expected a whole number…`), with the nearest known
 * key for an unknown one (`unknown key "templte" (did you mean "template"?)`).
 */
export function parseTask(
  input: unknown,
  options: { file?: string; baseDir?: string } = {},
): LoadedTask {
  const { file } = options;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError({ file, message: 'a task file must be a mapping of keys (task, dataset, template, …) at the top level. See docs/benchmarks.md, "Task files".' });
  }
  const result = taskSchema.safeParse(input, { error: unknownKeyErrors });
  if (!result.success) throw taskError(file, result.error.issues);
  checkAnswer(result.data, file);
  return { task: result.data, file, baseDir: options.baseDir ?? (file ? dirname(file) : process.cwd()) };
}

/** Parses YAML (or JSON, a subset) task text. */
export function parseTaskText(text: string, options: { file?: string; baseDir?: string } = {}): LoadedTask {
  const document = YAML.parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const [first] = document.errors;
    const position = first?.linePos?.[0];
    const where = position ? ` at line ${position.line}, column ${position.col}` : '';
    throw new ConfigError({ ...(options.file ? { file: options.file } : {}), message: `invalid YAML${where}: ${first?.message.split('\n')[0] ?? 'parse error'}` });
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    throw new ConfigError({ ...(options.file ? { file: options.file } : {}), message: `invalid YAML: ${(error as Error).message}`, cause: error });
  }
  return parseTask(parsed, options);
}

/** True when a `bench` argument names a task file rather than a built-in suite. */
export function isTaskFilePath(nameOrPath: string): boolean {
  return ['.yaml', '.yml', '.json'].includes(extname(nameOrPath).toLowerCase());
}

/** Reads and validates a task file (YAML or JSON). */
export async function loadTaskFile(
  path: string,
  options: { cwd?: string } = {},
): Promise<LoadedTask> {
  const file = resolve(options.cwd ?? process.cwd(), path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError({
      file,
      message: code === 'ENOENT' ? 'task file not found. Check the path, or start from examples/task-file/capitals.yaml.' : `cannot read the task file (${code ?? String(error)}).`,
      cause: error,
    });
  }
  const loaded = parseTaskText(text, { file });
  const entry = answerEvaluator(loaded.task);
  // A type that is not built in: an installed evaluator package (or a typo, said here by name).
  if (loaded.task.judge !== 'required' && !createDefaultEvaluatorRegistry().get(entry.type)) {
    try {
      await loadEvaluators([entry], { baseDir: loaded.baseDir, file, createProvider: noProvider });
    } catch (error) {
      const problem = answerError(loaded.task, file, error);
      if (problem) throw problem;
    }
  }
  return loaded;
}
