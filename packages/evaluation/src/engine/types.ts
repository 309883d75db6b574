import type { LabConfig, LanguageModelProvider, SamplingConfig } from '@llm-lab/core';
import type { InvalidRow } from '../datasets/types.js';
import type { EvaluatorRegistry } from '../evaluators/registry.js';
import type { EmbeddingFactory, ProviderFactory } from '../evaluators/types.js';
import type { ProviderSummary } from '../metrics/provider-stats.js';
import type { PlanSlice, RunPlan } from './plan.js';
import type { BatchRunOptions } from './execute-plan.js';
import type { NewResult, ResultStore, RunTotals } from '../storage-contract.js';

/** A provider as the engine uses it: a created provider, its label and its sampling overrides. */
export interface EngineProvider {
  /** Unique within the run; stored as the result's `providerId`. */
  label: string;
  provider: LanguageModelProvider;
  /** Sampling overrides for this provider; they win over the config's `defaults`. */
  settings: SamplingConfig;
  /**
   * The names this provider's own answers carry in `answeredBy` (a managed provider's members).
   * An answer under another name came from a fallback, and summaries say so. Default: the label
   * and the provider's id.
   */
  answerers?: readonly string[];
}

/** Progress once the work is counted (done 0), then after each result (and each work item skipped on resume). */
export interface EvaluationProgress {
  /** Work items finished, including those skipped on resume. */
  done: number;
  /** Work items expected (rows × prompts × providers × repeats); undefined until counted. */
  total: number | undefined;
  passed: number;
  failed: number;
  errors: number;
  /** Work items skipped because a result was already stored (resume). */
  skipped: number;
}

/** Options of {@link runEvaluation}. `concurrency`, `limit` and `repeat` override `config.run`. */
export interface RunEvaluationOptions {
  runId: string;
  /** A validated config (defaults applied). */
  config: LabConfig;
  /** Folder a relative `dataset.path` is resolved against (the config file's folder). */
  baseDir: string;
  providers: EngineProvider[];
  /** Where results go. Any `Storage` from @llm-lab/storage fits. */
  store: ResultStore;
  /** Calls in flight at once, across all providers. Default `config.run.concurrency`. */
  concurrency?: number;
  /** Only the first N valid cases. Default `config.run.limit`. */
  limit?: number;
  /** Times each case is sent to each provider with each prompt. Default `config.run.repeat`. */
  repeat?: number;
  /** Longest time one call may take, ms. Default `config.run.timeoutMs`. */
  timeoutMs?: number;
  /** The run's plan, when it was made (and stored) beforehand; else it is made from these options. */
  plan?: RunPlan;
  /** Only these cases of the plan. Default all of them. */
  slice?: PlanSlice;
  /** Skip (case, provider, prompt, repeat) keys already stored for `runId`. */
  resume?: boolean;
  /**
   * No call is made (and no progress reported) before this settles; the engine prepares its
   * evaluators and dataset meanwhile. The lab passes the insert of the run's row, so that every
   * call belongs to a recorded run. A rejection stops the run with that error.
   */
  startAfter?: Promise<unknown>;
  /**
   * Stops the run: no new calls start, calls in flight are aborted (their results are dropped,
   * so a resume redoes them), everything finished is written, and the status is `cancelled`.
   */
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
  /** Called for each dataset row skipped as invalid (with `onInvalidRow: skip`). */
  onInvalidRow?: (row: InvalidRow) => void;
  /**
   * Called with each of the run's warnings (also in the outcome's `warnings`) when the run ends:
   * e.g. how many dataset rows hold strings shaped like API keys, which are stored redacted.
   */
  onWarning?: (message: string) => void;
  /** Send the calls through the vendors' batch APIs (see `ExecutePlanOptions.batch`). */
  batch?: BatchRunOptions;
  /** Use `streamGenerate` and record time to first token. Default false. */
  stream?: boolean;
  /**
   * Turns each case's row into the fields its prompts and evaluators use (e.g. a benchmark
   * suite's `prepare`). Applied after case ids are assigned (ids stay those of the raw row) and
   * before prompts render; the prepared fields are what results store as `vars`. A throw makes
   * that case a `template` error result; the run goes on.
   */
  prepareCase?: (vars: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Makes the judge (and baseline) providers of model-graded evaluators from `<provider>:<model>`
   * and a config block: pass core's `ProviderRegistry.create` bound to the registry. Without it,
   * a config using llm-rubric, g-eval, pairwise or a `judge` option fails with a ConfigError.
   */
  createProvider?: ProviderFactory;
  /** Makes the embedding models of `similar` checks (core's `ProviderRegistry.createEmbedding`, bound). */
  createEmbeddingProvider?: EmbeddingFactory;
  /** Evaluator types to use. Default: the built-ins (plus custom modules and packages named in the config). */
  evaluatorRegistry?: EvaluatorRegistry;
  /** Results per storage write. Default 200. */
  writeBatchSize?: number;
  /** Longest time a finished result waits in the buffer before being written, ms. Default 250. */
  writeIntervalMs?: number;
  /** Replaces what must not be stored in each result (PII under a provider's policy) before it is written. */
  beforeStore?: (result: NewResult) => NewResult | Promise<NewResult>;
}

/** What a run produced. Totals and summaries cover the results computed by this call (not those skipped on resume). */
export interface EvaluationOutcome {
  status: 'completed' | 'cancelled';
  /** What the run set out to do (stored with the run by the lab). */
  plan: RunPlan;
  totals: RunTotals;
  /** One per (provider label, prompt id), in config order. */
  providers: ProviderSummary[];
  /** Rows skipped as invalid. */
  invalidRows: InvalidRow[];
  /** Things the user should know about the run that did not stop it (each also given to `onWarning`). */
  warnings: string[];
  /** Work items skipped because their result was already stored (resume). */
  skipped: number;
  /** Results the store reported as inserted. */
  written: number;
  durationMs: number;
}
