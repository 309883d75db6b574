import type { ChatMessage, EmbeddingProvider, LanguageModelProvider, ResponseFormat, TokenLogprob, TokenUsage, ToolCall, z } from '@llm-lab/core';
import type { DatasetCase } from '../datasets/types.js';
import type { ScoreRecord } from '../storage-contract.js';

/** Facts about the provider's response that performance and logprob-based evaluators read. */
export interface ResponseFacts {
  /** Wall time of the call, ms. */
  latencyMs: number;
  /** Time to the first text delta, ms; measured only for streamed calls. */
  timeToFirstTokenMs?: number;
  usage: TokenUsage;
  /** Cost in US dollars; absent when the model has no known price. */
  costUsd?: number;
  /** Token log-probabilities, when the provider returned them. */
  logprobs?: TokenLogprob[];
}

/** What an evaluator sees: the model's output and the case it answered. */
export interface EvaluationInput {
  /** The model's text output. */
  output: string;
  /** The case's row fields (same as `case.vars`). */
  vars: Record<string, unknown>;
  case: DatasetCase;
  /** The rendered conversation the model answered (set by the engine). */
  prompt?: ChatMessage[];
  /** Every tool call the model made, in order (across all turns of a tool loop); empty when none (set by the engine). */
  toolCalls?: ToolCall[];
  /** When the model called tools: the whole conversation, tool results included (set by the engine). */
  transcript?: ChatMessage[];
  /** The prompt's `responseFormat`, when it asked for structured output (set by the engine). */
  responseFormat?: ResponseFormat;
  /** Latency, usage, cost and logprobs of the response (set by the engine). */
  response?: ResponseFacts;
  /** The provider that produced the output (set by the engine), for evaluators that score with it (e.g. MC2 via `scoreCompletions`). */
  provider?: LanguageModelProvider;
  /** Aborts judge calls and child processes when the run is cancelled. */
  signal?: AbortSignal;
}

/** Scores one output. Never throws for a wrong answer (that is `passed: false`); throws only when it cannot judge. */
export interface Evaluator {
  /** The evaluator type, e.g. `equals`. */
  readonly type: string;
  /**
   * How much its score counts in a case's weighted score (the entry's `weight`, default 1). A
   * case passes when every evaluator passes, or, when the case sets a threshold, when the
   * weighted mean of the scores reaches it (promptfoo's rule).
   */
  readonly weight?: number;
  /** The name its scores are recorded under (the entry's `name`, else the type, made unique). */
  readonly name: string;
  evaluate(input: EvaluationInput): Promise<ScoreRecord> | ScoreRecord;
}

/**
 * Makes a provider from `<provider>:<model>` and its `config:` block. The engine passes core's
 * `ProviderRegistry.create` (bound), so a judge can be any configured provider.
 */
export type ProviderFactory = (id: string, config: Record<string, unknown>) => LanguageModelProvider;

/**
 * Makes an embedding model from `<provider>:<model>` and a config block (core's
 * `ProviderRegistry.createEmbedding`, bound), for the `similar` evaluator.
 */
export type EmbeddingFactory = (id: string, config: Record<string, unknown>) => EmbeddingProvider | Promise<EmbeddingProvider>;

/** Where an evaluator entry is, and how to report a problem with one of its fields. */
export interface EvaluatorContext {
  /** The name the evaluator's scores go under. */
  name: string;
  /** The entry's place in the config, e.g. `evaluators[1]`. */
  path: string;
  /** Throws a ConfigError about `field` of this entry (path `evaluators[1].<field>`). */
  fail(field: string, message: string, cause?: unknown): never;
  /** The config file's folder: relative `module:` and schema files are resolved against it. Default: the working directory. */
  baseDir?: string;
  /** Makes judge and baseline providers for model-graded evaluators. */
  createProvider?: ProviderFactory;
  /** Makes embedding models for `similar`. */
  createEmbeddingProvider?: EmbeddingFactory;
  /** Modules preloaded by `loadEvaluators` for `custom` entries, by entry path (e.g. `evaluators[2]`). */
  preloaded?: ReadonlyMap<string, PreloadedModule>;
}

/** A module imported for a `custom` evaluator entry. */
export interface PreloadedModule {
  /** The specifier as written in the config. */
  specifier: string;
  /** The resolved file URL. */
  url: string;
  exports: Record<string, unknown>;
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
  /** The zod schema of those fields, when the type has one (for the config's JSON Schema). */
  options?: z.ZodObject;
  /** Validates the entry's fields (all but `type` and `name`) and builds the evaluator. Throws ConfigError. */
  build(fields: Readonly<Record<string, unknown>>, context: EvaluatorContext): Evaluator;
}
