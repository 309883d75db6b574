import type { DatasetCase } from '../datasets/types.js';
import type { ScoreRecord } from '../storage-contract.js';

/** What an evaluator sees: the model's output and the case it answered. */
export interface EvaluationInput {
  /** The model's text output. */
  output: string;
  /** The case's row fields (same as `case.vars`). */
  vars: Record<string, unknown>;
  case: DatasetCase;
}

/** Scores one output. Never throws for a wrong answer (that is `passed: false`); throws only when it cannot judge. */
export interface Evaluator {
  /** The evaluator type, e.g. `equals`. */
  readonly type: string;
  /** The name its scores are recorded under (the entry's `name`, else the type, made unique). */
  readonly name: string;
  evaluate(input: EvaluationInput): Promise<ScoreRecord> | ScoreRecord;
}

/** Where an evaluator entry is, and how to report a problem with one of its fields. */
export interface EvaluatorContext {
  /** The name the evaluator's scores go under. */
  name: string;
  /** The entry's place in the config, e.g. `evaluators[1]`. */
  path: string;
  /** Throws a ConfigError about `field` of this entry (path `evaluators[1].<field>`). */
  fail(field: string, message: string, cause?: unknown): never;
}

/**
 * One evaluator type, as the registry sees it. Build definitions with `defineEvaluator`, which
 * validates the entry's fields with the type's zod schema before `create` runs.
 */
export interface EvaluatorDefinition {
  type: string;
  /** One line for `--help` and docs. */
  description: string;
  /** The fields the type accepts besides `type` and `name`. */
  fields: readonly string[];
  /** Validates the entry's fields (all but `type` and `name`) and builds the evaluator. Throws ConfigError. */
  build(fields: Readonly<Record<string, unknown>>, context: EvaluatorContext): Evaluator;
}
