import type { EvaluatorEntry, HfDatasetConfig, PromptEntry, SamplingConfig } from '@llm-lab/core';
import type { ProviderReference } from '../evaluators/schemas.js';

/** The names of the built-in benchmark suites. */
export type SuiteName = 'mmlu' | 'gsm8k' | 'truthfulqa' | 'truthfulqa-mc1' | 'arc' | 'hellaswag' | 'humaneval' | 'advbench' | 'xstest' | 'mt-bench';

/** Where something comes from: a citation and a link. */
export interface SuiteSource {
  citation: string;
  url: string;
}

/** A row as read from a dataset file or the Hub, before `prepare`. */
export type SuiteRow = Record<string, unknown>;

/** What a suite's evaluators may depend on. */
export interface SuiteEvaluatorOptions {
  /** The judge for model-graded suites (required when `needsJudge`). */
  judge?: ProviderReference | string;
  /** Suites that shuffle their choices (`shufflesChoices`): the seed, recorded in the evaluator entry. */
  choiceSeed?: number;
}

/** What a suite's `prepare` may depend on besides the row. */
export interface SuitePrepareOptions {
  /** Suites that shuffle their choices: the seed of the order they are shown in. Default `DEFAULT_CHOICE_SEED`. */
  choiceSeed?: number;
}

/**
 * A built-in benchmark: where its data lives, how each row becomes a prompt, and how the answer
 * is scored. `prepare` accepts a row in either layout the suite supports (the Hugging Face one
 * and the upstream/local file one) and returns the fields its prompts and evaluators use.
 */
export interface BenchmarkSuite {
  name: SuiteName;
  title: string;
  /** One line for `llm-lab bench list`. */
  description: string;
  /** The data's origin (paper and repository). */
  data: SuiteSource & { license: string };
  /** Where the prompt format and scoring come from. */
  protocol: SuiteSource;
  /** The Hugging Face dataset used when no local data is given. */
  hf: Required<Pick<HfDatasetConfig, 'name' | 'config' | 'split'>>;
  /**
   * Paths of the suite's file, relative to a datasets folder, in the order they are tried when
   * `--data` names a folder (e.g. `gsm8k/test.jsonl`, then `test.jsonl`).
   */
  localFiles: readonly string[];
  /** A row field holding a stable id in both layouts. */
  idField?: string;
  /** Keeps only some rows (source field names, same in both layouts). */
  filter?: Record<string, string | string[]>;
  prompts: readonly PromptEntry[];
  evaluators(options: SuiteEvaluatorOptions): EvaluatorEntry[];
  /** Sampling defaults (temperature 0, a suitable maxTokens). */
  defaults: SamplingConfig;
  /** True when the scoring needs a judge model (`--judge`). */
  needsJudge?: boolean;
  /** True when the choices are shown in a seeded shuffled order (`--choice-seed`), because the source lists the right one first. */
  shufflesChoices?: boolean;
  /** Turns a row of either layout into the fields the prompts and evaluators use. Throws when the row fits neither. */
  prepare(row: SuiteRow, options?: SuitePrepareOptions): SuiteRow;
}
