import { getMaxListeners, setMaxListeners } from 'node:events';
import { ConfigError, containsKeyShapedText, type BatchStatus, type LabConfig } from '@llm-lab/core';
import { openDataset } from '../datasets/open-dataset.js';
import type { InvalidRow } from '../datasets/types.js';
import { loadEvaluators } from '../evaluators/load-evaluators.js';
import type { EvaluatorRegistry } from '../evaluators/registry.js';
import { rowChecksOf } from '../evaluators/row-checks.js';
import type { EmbeddingFactory, ProviderFactory } from '../evaluators/types.js';
import { compilePrompts } from '../prompts/compile-prompts.js';
import { preloadToolModules } from './tool-loop.js';
import { resultKey, type NewResult, type ResultStore, type RunBatchStore } from '../storage-contract.js';
import { BatchCollector } from './batch-collector.js';
import type { CallSlots } from './call-slots.js';
import { executeWorkItem, type WorkItem } from './execute-work-item.js';
import { assertSlice, WHOLE_PLAN, type PlanSlice, type RunPlan } from './plan.js';
import { BatchedResultWriter } from './result-writer.js';
import type { EngineProvider, EvaluationProgress } from './types.js';

/** Cases whose stored keys a resume reads at once: the keys in memory are those of one window, not of the run. */
export const COMPLETED_KEYS_WINDOW = 5_000;

/** Options of {@link executePlan}. */
export interface ExecutePlanOptions {
  plan: RunPlan;
  /** The cases to run. Default the whole plan. */
  slice?: PlanSlice;
  /** The run's config (defaults applied): its prompts, dataset, evaluators and sampling defaults. */
  config: LabConfig;
  /** Folder a relative `dataset.path` is resolved against (the config file's folder). */
  baseDir: string;
  /** One per label of `plan.providers` (others are ignored). */
  providers: readonly EngineProvider[];
  /** The recorder's target: where results are written. */
  store: ResultStore;
  /** Calls in flight at once in this process, across all providers. */
  concurrency: number;
  /**
   * Slots shared with other slices executed at once in this process: each work item takes one
   * for its call, so all of them together keep to the slots' size (see {@link CallSlots}).
   */
  slots?: CallSlots;
  /** Called once when the slice has no work item left to start (its last calls are in flight, or it is done). */
  onDrain?: () => void;
  /** Longest time one call may take, ms (sent with every call; a provider's own `timeoutMs` wins when managed). */
  timeoutMs?: number | undefined;
  /**
   * Skip work items whose result is already stored: a resume, or a slice run again after its
   * process died. Stored keys are read window by window ({@link COMPLETED_KEYS_WINDOW} cases).
   */
  resume?: boolean;
  /** No call is made (and no progress reported) before this settles; a rejection stops the run. */
  startAfter?: Promise<unknown>;
  /** Stops the run: no new calls, calls in flight are aborted and dropped, finished results are written. */
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
  onInvalidRow?: (row: InvalidRow) => void;
  /** Each result as it is computed, before it is written (e.g. for statistics kept in memory). */
  onResult?: (result: NewResult) => void;
  /** The plan's `preparation` step; required when the plan names one. */
  prepareCase?: (vars: Record<string, unknown>) => Record<string, unknown>;
  createProvider?: ProviderFactory;
  /** Makes embedding models for `similar` checks. */
  createEmbeddingProvider?: EmbeddingFactory;
  evaluatorRegistry?: EvaluatorRegistry;
  /** Results per storage write. Default 200. */
  writeBatchSize?: number;
  /** Longest time a finished result waits in the buffer before being written, ms. Default 250. */
  writeIntervalMs?: number;
  /**
   * Replaces what must not be stored in each result before it is written (the lab masks the PII
   * a provider's `pii:` policy names). Default: results are stored as computed (secrets redacted).
   */
  beforeStore?: (result: NewResult) => NewResult | Promise<NewResult>;
  /**
   * Send the calls through the vendors' batch APIs (`run.batch`; see {@link BatchCollector}):
   * up to `size` work items are held and sent as one batch per provider. Streaming plans are refused.
   */
  batch?: BatchRunOptions;
}

/** How a batch run holds and sends its calls. */
export interface BatchRunOptions {
  /** Work items held per round (one vendor batch per provider per round). */
  size: number;
  /** Where the run's vendor batches are recorded (the run's storage). */
  store: RunBatchStore;
  /** Each status poll of a vendor batch. */
  onBatchStatus?: (providerId: string, status: BatchStatus) => void;
}

/** What executing a slice did. */
export interface ExecutionOutcome {
  status: 'completed' | 'cancelled';
  /** Cases of the slice that were read. */
  cases: number;
  /** Rows skipped as invalid while reading up to the slice's end (rows before the slice included). */
  invalidRows: InvalidRow[];
  warnings: string[];
  /** Work items whose result was already stored. */
  skipped: number;
  /** Results computed by this call. */
  executed: number;
  /** Results the store reported as inserted. */
  written: number;
  durationMs: number;
}

/**
 * The one warning of a run whose dataset holds strings shaped like API keys (or URL passwords):
 * they are sent to the providers as written, and replaced in what is stored.
 */
function keyShapedWarning(count: number, firstIds: string[]): string {
  const rows = count === 1 ? '1 dataset row contains' : `${count.toLocaleString('en-US')} dataset rows contain`;
  const shown = firstIds.join(', ') + (count > firstIds.length ? ', …' : '');
  return (
    `${rows} strings shaped like API keys or passwords (${count === 1 ? 'case' : 'cases'} ${shown}); ` +
    'they were sent to the providers as written and are stored redacted, as every key-shaped string is.'
  );
}

function providersOfPlan(plan: RunPlan, given: readonly EngineProvider[]): EngineProvider[] {
  const byLabel = new Map(given.map((provider) => [provider.label, provider]));
  return plan.providers.map((label) => {
    const provider = byLabel.get(label);
    if (!provider) {
      throw new ConfigError({
        path: 'providers',
        message: `the plan of run ${plan.runId} needs provider '${label}', which this process was not given (it has: ${[...byLabel.keys()].join(', ') || 'none'}). Execute the run with the config it was planned from.`,
      });
    }
    return provider;
  });
}

/**
 * The executor: runs one slice of a plan (its cases × prompts × providers × repeats) through the
 * given providers, and hands each result to the recorder ({@link BatchedResultWriter}), which
 * writes them in batches. Cases are streamed from the dataset and taken by a fixed pool of
 * `concurrency` workers, so memory stays flat however large the dataset or the slice. A failed
 * call, template or evaluator becomes an error result and the slice goes on; a DatasetError (with
 * `onInvalidRow: fail`) or a storage failure stops it after writing what was computed, then
 * rejects. Several processes may execute disjoint slices of one plan at once: each writes only
 * its own cases' results, and the run is summarised from storage (`summariseStoredRun`).
 */
export async function executePlan(options: ExecutePlanOptions): Promise<ExecutionOutcome> {
  const startedAt = performance.now();
  const { config, plan, signal } = options;
  const runId = plan.runId;
  const slice = options.slice ?? WHOLE_PLAN;
  assertSlice(slice);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new ConfigError({ path: 'run.concurrency', message: `expected a positive integer, got ${options.concurrency}.` });
  }
  if (plan.preparation !== null && !options.prepareCase) {
    throw new ConfigError({
      path: 'prepareCase',
      message: `run ${runId} prepares its cases with '${plan.preparation}'; give the same preparation (the suite's prepareCase) to execute it.`,
    });
  }
  if (options.batch && plan.stream) {
    throw new ConfigError({ path: 'run.batch', message: `run ${runId} streams its calls, and a batch run cannot: run it without --stream, or without --batch.` });
  }
  if (options.batch && (!Number.isInteger(options.batch.size) || options.batch.size < 1)) {
    throw new ConfigError({ path: 'run.batchSize', message: `expected a positive integer, got ${options.batch.size}.` });
  }
  const collector = options.batch
    ? new BatchCollector({
        runId,
        store: options.batch.store,
        signal,
        timeoutMs: options.timeoutMs,
        concurrency: options.concurrency,
        onBatchStatus: options.batch.onBatchStatus,
      })
    : undefined;
  const planProviders = providersOfPlan(plan, options.providers);
  const providers = collector ? planProviders.map((provider) => collector.wrap(provider)) : planProviders;
  // A batch run holds one work item per worker: the workers are the items of a round.
  const concurrency = options.batch ? options.batch.size : options.concurrency;
  // Every call in flight listens to the run's signal (and a judge or fallback call may add one
  // more each): lift Node's leak warning, set at 10 listeners, to what the run legitimately uses.
  if (signal && getMaxListeners(signal) < concurrency * 4) setMaxListeners(concurrency * 4, signal);

  const promptsById = new Map(compilePrompts(config.prompts, { baseDir: options.baseDir }).map((prompt) => [prompt.id, prompt]));
  const prompts = plan.prompts.map((id) => {
    const prompt = promptsById.get(id);
    if (!prompt) throw new ConfigError({ path: 'prompts', message: `the plan of run ${runId} has prompt '${id}', which the config does not. Execute the run with the config it was planned from.` });
    return prompt;
  });
  // A prompt's tool module is imported once, before any call (a missing one stops the run here).
  await preloadToolModules(prompts);
  const evaluators = await loadEvaluators(config.evaluators, {
    baseDir: options.baseDir,
    ...(options.createProvider ? { createProvider: options.createProvider } : {}),
    ...(options.createEmbeddingProvider ? { createEmbeddingProvider: options.createEmbeddingProvider } : {}),
    ...(options.evaluatorRegistry ? { registry: options.evaluatorRegistry } : {}),
  });
  // Read no further than the slice's end: the cases after it are another slice's.
  const end = slice.toCase === null ? plan.limit : plan.limit === null ? slice.toCase : Math.min(plan.limit, slice.toCase);
  const dataset = openDataset(config.dataset, {
    baseDir: options.baseDir,
    ...(end !== null ? { limit: end } : {}),
    ...(options.onInvalidRow ? { onInvalidRow: options.onInvalidRow } : {}),
  });

  const perCase = prompts.length * providers.length * plan.repeat;
  const sliceCases = Math.max(0, (slice.toCase === null ? plan.cases : Math.min(slice.toCase, plan.cases)) - slice.fromCase);
  const progress: EvaluationProgress = { done: 0, total: sliceCases * perCase, passed: 0, failed: 0, errors: 0, skipped: 0 };
  const report = () => options.onProgress?.({ ...progress });
  let cases = 0;
  let executed = 0;
  // Rows holding key-shaped strings: how many, and the first few ids to name.
  const keyShaped = { count: 0, firstIds: [] as string[] };

  const sliceEnd = slice.toCase;
  // Stored keys of the window of cases being read, on resume.
  let completed = new Set<string>();
  let windowEnd = slice.fromCase;
  const completedFor = async (caseIndex: number): Promise<Set<string>> => {
    if (caseIndex >= windowEnd) {
      const fromCase = caseIndex;
      // Never past the slice's end: the cases after it are another slice's.
      windowEnd = sliceEnd === null ? fromCase + COMPLETED_KEYS_WINDOW : Math.min(sliceEnd, fromCase + COMPLETED_KEYS_WINDOW);
      completed = await options.store.completedKeys(runId, { fromCase, toCase: windowEnd });
    }
    return completed;
  };

  async function* workItems(): AsyncGenerator<WorkItem> {
    for await (const datasetCase of dataset.cases) {
      if (datasetCase.index < slice.fromCase) continue;
      cases++;
      if (containsKeyShapedText(datasetCase.vars) && ++keyShaped.count <= 3) keyShaped.firstIds.push(datasetCase.id);
      // No await per case unless resuming: a million cases would each pay a turn of the event loop.
      const stored = options.resume ? await completedFor(datasetCase.index) : completed;
      for (const prompt of prompts) {
        for (const provider of providers) {
          for (let repeatIndex = 0; repeatIndex < plan.repeat; repeatIndex++) {
            if (signal?.aborted) return;
            if (stored.size > 0 && stored.has(resultKey({ caseId: datasetCase.id, providerId: provider.label, promptId: prompt.id, repeat: repeatIndex }))) {
              progress.skipped++;
              progress.done++;
              report();
              continue;
            }
            yield { datasetCase, prompt, provider, repeat: repeatIndex };
          }
        }
      }
    }
  }

  const writer = new BatchedResultWriter(options.store, options.writeBatchSize, options.writeIntervalMs, options.beforeStore);
  const context = {
    runId,
    defaults: config.defaults,
    evaluators,
    stream: plan.stream,
    timeoutMs: options.timeoutMs,
    signal,
    prepareCase: options.prepareCase,
    rowChecks: rowChecksOf(config.dataset, evaluators, options),
  };
  const items = workItems();
  let readFailure: { error: unknown } | undefined;
  const shouldStop = () => signal?.aborted === true || readFailure !== undefined || writer.failure !== undefined;

  const worker = async (): Promise<void> => {
    collector?.workerStarted();
    try {
      await work();
    } finally {
      collector?.workerEnded();
    }
  };
  let drained = false;
  const drain = () => {
    if (drained) return;
    drained = true;
    options.onDrain?.();
  };
  const slots = options.slots;
  const work = async (): Promise<void> => {
    while (!shouldStop()) {
      if (slots) await slots.acquire();
      let result: Awaited<ReturnType<typeof executeWorkItem>>;
      try {
        let next: IteratorResult<WorkItem>;
        try {
          next = await items.next();
        } catch (error) {
          readFailure ??= { error };
          return;
        }
        if (next.done) drain();
        if (next.done || signal?.aborted) return;
        result = await executeWorkItem(next.value, context);
      } finally {
        slots?.release();
      }
      if (result === undefined) continue;
      executed++;
      options.onResult?.(result);
      progress.done++;
      if (result.errorKind !== null || result.passed === null) progress.errors++;
      else if (result.passed) progress.passed++;
      else progress.failed++;
      report();
      await writer.add(result);
    }
  };

  writer.start();
  try {
    if (options.startAfter) await options.startAfter;
    // Once before any call (and once the run is stored): a display can show 0/total at once.
    report();
    await Promise.all(Array.from({ length: concurrency }, worker));
    await collector?.drain();
  } finally {
    drain();
    // Closes the dataset file when the slice stopped early; a no-op when it was read to the end.
    await items.return(undefined).catch(() => undefined);
    await writer.close();
  }
  if (readFailure) throw readFailure.error;

  return {
    status: signal?.aborted ? 'cancelled' : 'completed',
    cases,
    invalidRows: dataset.invalidRows,
    warnings: keyShaped.count > 0 ? [keyShapedWarning(keyShaped.count, keyShaped.firstIds)] : [],
    skipped: progress.skipped,
    executed,
    written: writer.written,
    durationMs: performance.now() - startedAt,
  };
}
