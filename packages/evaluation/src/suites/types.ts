import type { EvaluatorEntry, HfDatasetConfig, PromptEntry, SamplingConfig } from '@llm-lab/core';
import type { ProviderReference } from '../evaluators/schemas.js';
import type { GroupSpec } from '../metrics/group-stats.js';

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

/** How multiple choice is scored: the letter the model writes, or the log-likelihood of each choice. */
export type SuiteScoring = 'generate' | 'loglikelihood';

/**
 * A suite as lm-evaluation-harness runs it with `output_type: multiple_choice`
 * (`--scoring loglikelihood`): the prompt is the context, each choice a continuation.
 */
export interface LoglikelihoodProtocol {
  /** The context template; `{{few_shot}}` is where solved exemplars go. */
  template: string;
  /** The continuations scored for a prepared row, in choice order, with their leading space (`' A'`, `' Paris'`). */
  continuations(fields: SuiteRow): string[];
  /** The metric a result passes by unless `--metric` says otherwise (both are recorded in the reason). */
  metric: 'acc' | 'acc_norm';
  /** Where the format and metrics come from. */
  protocol: SuiteSource;
}

/**
 * Few-shot exemplars for `--shots N`, from a split other than the evaluated one (or fixed
 * published exemplars). MMLU's per-subject dev examples are handled apart (see mmlu-data.ts).
 */
export interface FewShotSource {
  /** The count the field reports (ARC 25, HellaSwag 10, GSM8K 8); also the most `--shots` accepts for fixed exemplars. */
  standard: number;
  /** The Hugging Face split exemplars are drawn from (never the evaluated one). Absent for fixed exemplars. */
  hfSplit?: string;
  /** Fixed solved exemplars, written in full (GSM8K's chain-of-thought ones); the first N are used. */
  fixed?: readonly string[];
  /** One solved exemplar from a prepared row of the exemplar split, ending with the separator. */
  format?(fields: SuiteRow, scoring: SuiteScoring): string;
  /** With shots, the prompt to use instead of `prompts` (GSM8K's `Q: … A:` chain-of-thought format). */
  prompt?: PromptEntry;
  /** With shots, the evaluators to use instead of `evaluators`. */
  evaluators?(): EvaluatorEntry[];
  /** With shots, sampling defaults over `defaults` (e.g. stop sequences). */
  defaults?: SamplingConfig;
}

/**
 * A built-in benchmark: where its data lives, how each row becomes a prompt, and how the answer
 * is scored. `prepare` accepts a row in either layout the suite supports (the Hugging Face one
 * and the upstream/local file one) and returns the fields its prompts and evaluators use.
 */
export interface BenchmarkSuite {
  /** A built-in suite's {@link SuiteName}, or a task file's `task`. */
  name: string;
  title: string;
  /** One line for `llm-lab bench list`. */
  description: string;
  /** The data's origin (paper and repository). */
  data: SuiteSource & { license: string };
  /** Where the prompt format and scoring come from. */
  protocol: SuiteSource;
  /** The Hugging Face dataset used when no local data is given (absent for a task file over a local file). */
  hf?: Required<Pick<HfDatasetConfig, 'name' | 'config' | 'split'>>;
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
  /** Present when the suite can be scored by log-likelihood (`--scoring loglikelihood`). */
  loglikelihood?: LoglikelihoodProtocol;
  /** Present when `--shots N` applies (besides MMLU's dev-split shots). */
  fewShot?: FewShotSource;
  /** Per-group results (MMLU's subjects and categories, a task file's `group_by`), recorded in the run's config. */
  groups?: GroupSpec;
  /** Turns a row of either layout into the fields the prompts and evaluators use. Throws when the row fits neither. */
  prepare(row: SuiteRow, options?: SuitePrepareOptions): SuiteRow;
}
