import { ConfigError, type LabConfig } from '@llm-lab/core';
import { openDataset } from '../datasets/open-dataset.js';
import { compilePrompts } from '../prompts/compile-prompts.js';

/**
 * What a run sets out to do, as plain JSON: every case × prompt × provider × repeat. It names the
 * work without holding it: a work item is addressed by its case's index (the case's place among
 * the dataset's valid, selected cases, the `caseIndex` of its result), so a plan of a million
 * cases is a few hundred bytes. It is stored with the run, and any process holding the run's
 * config can execute any {@link PlanSlice} of it (see `executePlan`).
 */
export interface RunPlan {
  /** Shape of this object; a process refuses a plan of another version. */
  version: 1;
  runId: string;
  /** Provider labels, in config order (a result's `providerId`). */
  providers: string[];
  /** Prompt ids, in config order. */
  prompts: string[];
  /** Times each case is sent to each provider with each prompt. */
  repeat: number;
  /** Only the first N cases; null: every case. */
  limit: number | null;
  /**
   * Cases the dataset was counted to hold when the run was planned (rows of the files, up to
   * `limit`). An estimate when the dataset has invalid rows: they are counted here and skipped
   * when read. Work items: `cases × prompts × providers × repeat`.
   */
  cases: number;
  /** Streamed calls (time to first token recorded). */
  stream: boolean;
  /**
   * The name of the step that turns each raw row into the fields prompts and evaluators use (a
   * benchmark suite's `prepare`, e.g. `suite:mmlu`), or null. The step is code, so it is not
   * stored; a process executing a slice must be given the same step, and is refused without one.
   */
  preparation: string | null;
}

/** A part of a plan: the cases whose index is in `[fromCase, toCase)`; `toCase` null runs to the end. */
export interface PlanSlice {
  fromCase: number;
  toCase: number | null;
}

/** The whole plan as one slice. */
export const WHOLE_PLAN: PlanSlice = Object.freeze({ fromCase: 0, toCase: null });

export interface PlanRunOptions {
  runId: string;
  /** A validated config (defaults applied). */
  config: LabConfig;
  /** Folder a relative `dataset.path` is resolved against. */
  baseDir: string;
  /** Provider labels, in order. */
  providers: readonly string[];
  repeat: number;
  limit?: number | null | undefined;
  stream?: boolean | undefined;
  preparation?: string | null | undefined;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError({ path: name, message: `expected a positive integer, got ${value}.` });
  }
  return value;
}

/** Provider labels must be present and distinct: they are the results' `providerId`. */
export function assertDistinctLabels(labels: readonly string[]): void {
  if (labels.length === 0) {
    throw new ConfigError({ path: 'providers', message: 'the run has no providers. List at least one provider.' });
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) {
      throw new ConfigError({
        path: 'providers',
        message: `two providers are labelled '${label}'. Give entries with the same id distinct labels (label: ...).`,
      });
    }
    seen.add(label);
  }
}

/**
 * Plans a run: checks its shape and counts the dataset's cases (a count, not a read: the cases
 * themselves are streamed again by whoever executes a slice). Reads no rows into memory.
 */
export async function planRun(options: PlanRunOptions): Promise<RunPlan> {
  assertDistinctLabels(options.providers);
  const repeat = positiveInteger(options.repeat, 'run.repeat');
  const limit = options.limit ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 0)) {
    throw new ConfigError({ path: 'run.limit', message: `expected a whole number of cases, got ${limit}.` });
  }
  const prompts = compilePrompts(options.config.prompts);
  const dataset = openDataset(options.config.dataset, { baseDir: options.baseDir, ...(limit !== null ? { limit } : {}) });
  const cases = await dataset.countRows();
  return {
    version: 1,
    runId: options.runId,
    providers: [...options.providers],
    prompts: prompts.map((prompt) => prompt.id),
    repeat,
    limit,
    cases,
    stream: options.stream ?? false,
    preparation: options.preparation ?? null,
  };
}

/** Work items of a plan: cases × prompts × providers × repeat. */
export function workItemCount(plan: RunPlan): number {
  return plan.cases * plan.prompts.length * plan.providers.length * plan.repeat;
}

/**
 * Splits a plan into `parts` slices of consecutive cases, as even as the planned count allows;
 * the last slice runs to the end of the dataset (so cases beyond the planned count are not lost).
 */
export function slicePlan(plan: RunPlan, parts: number): PlanSlice[] {
  positiveInteger(parts, 'parts');
  const size = Math.ceil(plan.cases / parts);
  return Array.from({ length: parts }, (_, index) => ({
    fromCase: Math.min(index * size, plan.cases),
    toCase: index === parts - 1 ? null : Math.min((index + 1) * size, plan.cases),
  }));
}

/** A plan read back from storage, checked: undefined when `value` is not one (a run stored before plans were). */
export function parsePlan(value: unknown): RunPlan | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const plan = value as Partial<RunPlan>;
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (plan.version !== 1 || typeof plan.runId !== 'string' || !strings(plan.providers) || !strings(plan.prompts)) return undefined;
  if (!Number.isInteger(plan.repeat) || !Number.isInteger(plan.cases) || typeof plan.stream !== 'boolean') return undefined;
  if (!(plan.limit === null || Number.isInteger(plan.limit))) return undefined;
  if (!(plan.preparation === null || typeof plan.preparation === 'string')) return undefined;
  return plan as RunPlan;
}

/** Checks a slice: whole case indices, `fromCase` ≤ `toCase`. */
export function assertSlice(slice: PlanSlice): void {
  const { fromCase, toCase } = slice;
  if (!Number.isInteger(fromCase) || fromCase < 0 || (toCase !== null && (!Number.isInteger(toCase) || toCase < fromCase))) {
    throw new ConfigError({
      path: 'slice',
      message: `a slice is cases [fromCase, toCase) with 0 ≤ fromCase ≤ toCase (toCase null: to the end); got [${fromCase}, ${toCase}).`,
    });
  }
}
