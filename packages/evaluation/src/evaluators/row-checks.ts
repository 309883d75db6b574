import { ConfigError, type EvaluatorEntry } from '@llm-lab/core';
import type { DatasetCase } from '../datasets/types.js';
import type { ScoreRecord } from '../storage-contract.js';
import { assertionFromExpected, mapPromptfooAssertion } from './promptfoo-assertions.js';
import { createEvaluators, type CreateEvaluatorsOptions } from './registry.js';
import type { EvaluatorRegistry } from './registry.js';
import type { EmbeddingFactory, Evaluator, ProviderFactory } from './types.js';

/** What a dataset says about its rows' own checks (`dataset.rowChecks`). */
export interface RowChecksSettings {
  /** The row field holding a list of evaluator entries (or that list as JSON text). Default `assert`; false: none. */
  field?: string | false;
  /** The judge of `grade:`/`llm-rubric:` forms in `__expected` columns. */
  judge?: unknown;
  /** The embedding model of `similar:` forms in `__expected` columns (default openai:text-embedding-3-large). */
  embedding?: unknown;
}

/** A case's own checks: its evaluators and, when it sets one, its pass threshold. */
export interface CaseChecks {
  evaluators: Evaluator[];
  /** `__threshold`: the case passes when the weighted mean score reaches it, whatever single checks say. */
  threshold?: number;
}

const NONE: CaseChecks = { evaluators: [] };

/** Entries with a `name` another entry already has lose it (promptfoo's `metric` groups scores; ours must be unique). */
function uniqueNames(entries: EvaluatorEntry[], taken: ReadonlySet<string>): EvaluatorEntry[] {
  const seen = new Set(taken);
  return entries.map((entry) => {
    if (entry.name === undefined) return entry;
    if (!seen.has(entry.name)) {
      seen.add(entry.name);
      return entry;
    }
    const { name: _name, ...rest } = entry;
    return rest as EvaluatorEntry;
  });
}

/**
 * Reads each row's own checks, merged by the engine with the config's evaluators: the row's
 * `assert` field (LLM Lab evaluator entries, as a list or its JSON text), promptfoo's
 * `__expected`, `__expected1`… columns (see {@link assertionFromExpected}), and `__threshold`.
 * Rows with the same checks share one set of built evaluators. A check that cannot be built is a
 * ConfigError naming the case and the field; the engine makes that case an error result.
 */
export class RowChecks {
  private readonly field: string | false;
  private readonly built = new Map<string, Evaluator[]>();

  constructor(
    private readonly settings: RowChecksSettings,
    private readonly options: CreateEvaluatorsOptions,
    private readonly configNames: ReadonlySet<string>,
  ) {
    this.field = settings.field ?? 'assert';
  }

  /** The checks of one case; empty when the row carries none. Throws ConfigError for a bad check. */
  forCase(datasetCase: DatasetCase): CaseChecks {
    const vars = datasetCase.vars;
    const entries: EvaluatorEntry[] = [];
    const where = `case ${datasetCase.id}`;
    if (this.field !== false && vars[this.field] !== undefined && vars[this.field] !== null && vars[this.field] !== '') {
      entries.push(...this.entriesOf(vars[this.field], `${where}: ${this.field}`));
    }
    for (const [key, value] of Object.entries(vars)) {
      if (!key.startsWith('__expected') || typeof value !== 'string' || value.trim() === '') continue;
      const mapped = mapPromptfooAssertion(assertionFromExpected(value), { judge: this.settings.judge, embedding: this.settings.embedding });
      if ('problem' in mapped) throw new ConfigError({ path: `${where}: ${key}`, message: `${mapped.problem}. The column holds ${JSON.stringify(value.slice(0, 80))}.` });
      entries.push(mapped.entry);
    }
    const threshold = this.thresholdOf(vars['__threshold'], where);
    if (entries.length === 0) return threshold === undefined ? NONE : { evaluators: [], threshold };
    const named = uniqueNames(entries, this.configNames);
    const key = JSON.stringify(named);
    let evaluators = this.built.get(key);
    if (!evaluators) {
      evaluators = createEvaluators(named, { ...this.options, pathPrefix: `${where}: checks`, reservedNames: this.configNames });
      this.built.set(key, evaluators);
    }
    return { evaluators, ...(threshold !== undefined ? { threshold } : {}) };
  }

  private entriesOf(value: unknown, path: string): EvaluatorEntry[] {
    let list = value;
    if (typeof value === 'string') {
      try {
        list = JSON.parse(value);
      } catch (error) {
        throw new ConfigError({ path, message: `expected a list of evaluator entries (JSON text in a CSV cell), but it does not parse: ${(error as Error).message}.`, cause: error });
      }
    }
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'object' && item !== null && typeof (item as { type?: unknown }).type === 'string')) {
      throw new ConfigError({ path, message: 'expected a list of evaluator entries such as [{ "type": "contains", "value": "Paris" }]; set dataset.rowChecks.field to another field (or false) if this field is data.' });
    }
    return list as EvaluatorEntry[];
  }

  private thresholdOf(value: unknown, where: string): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'number' ? value : Number.parseFloat(String(value));
    if (!Number.isFinite(number)) throw new ConfigError({ path: `${where}: __threshold`, message: `expected a number (the weighted score the case needs), got ${JSON.stringify(value)}.` });
    return number;
  }
}

/**
 * Whether a case passed, by promptfoo's rule: every check passed (a check of weight 0 is recorded
 * but never fails the case); or, when the case sets a threshold, the weighted mean of the scores
 * (each evaluator's `weight`, default 1) reaches it. A case with no checks passes.
 */
export function casePassed(scores: readonly ScoreRecord[], evaluators: readonly Evaluator[], threshold: number | undefined): boolean {
  if (threshold === undefined) return scores.every((score, index) => score.passed || evaluators[index]?.weight === 0);
  let total = 0;
  let weights = 0;
  scores.forEach((score, index) => {
    const weight = evaluators[index]?.weight ?? 1;
    total += score.score * weight;
    weights += weight;
  });
  return (weights > 0 ? total / weights : 0) >= threshold;
}

/** The run's {@link RowChecks}: from `dataset.rowChecks`, building with the run's registry and factories. */
export function rowChecksOf(
  dataset: { rowChecks?: RowChecksSettings | undefined },
  configEvaluators: readonly Evaluator[],
  options: { baseDir: string; createProvider?: ProviderFactory; createEmbeddingProvider?: EmbeddingFactory; evaluatorRegistry?: EvaluatorRegistry },
): RowChecks {
  return new RowChecks(
    dataset.rowChecks ?? {},
    {
      baseDir: options.baseDir,
      ...(options.createProvider ? { createProvider: options.createProvider } : {}),
      ...(options.createEmbeddingProvider ? { createEmbeddingProvider: options.createEmbeddingProvider } : {}),
      ...(options.evaluatorRegistry ? { registry: options.evaluatorRegistry } : {}),
    },
    new Set(configEvaluators.map((evaluator) => evaluator.name)),
  );
}
