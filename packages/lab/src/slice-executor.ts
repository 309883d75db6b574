import { LLMLabError, type LoadedConfig } from '@llm-lab/core';
import { CallSlots, executePlan, parsePlan, type ExecutionOutcome, type RunPlan } from '@llm-lab/evaluation';
import { embeddingFactory, judgeFactory, pick, prepare, type RunHost, type SliceOptions } from './run-orchestrator.js';
import { piiBeforeStore } from './pii-store.js';

// Executing slices of a planned run, in this process, as many as asked: the run is prepared once
// (its stored config checked against this one, its providers made and managed, its plan read),
// and every slice executed through the same providers and one pool of call slots. A distributed
// worker keeps one per run while it takes the run's shards, so a shard costs no set-up, and may
// execute the next shard while the last calls of the current one finish, within one concurrency.

/** A prepared run whose slices are executed in this process (see {@link openSliceExecutor}). */
export interface SliceExecutor {
  readonly runId: string;
  readonly plan: RunPlan;
  /** Calls in flight at most, across every slice executing at once. */
  readonly concurrency: number;
  /** Calls in flight now, across its slices. */
  readonly inFlight: number;
  /**
   * Executes one slice; results already stored are skipped, so a slice whose process died is run
   * again safely. Slices executing at once share the executor's concurrency.
   */
  execute(options: Omit<SliceOptions, 'concurrency' | 'timeoutMs' | 'onWarning'>): Promise<ExecutionOutcome>;
  /** Closes the run's providers. Slices still executing should be awaited first. */
  close(): Promise<void>;
}

/**
 * Prepares a stored run to execute slices of it: refuses a config that differs from the run's in
 * anything that decides results (as a resume does), and a run without a stored plan.
 */
export async function openSliceExecutor(
  host: RunHost,
  loaded: LoadedConfig,
  runId: string,
  options: Pick<SliceOptions, 'concurrency' | 'timeoutMs' | 'onWarning'> = {},
): Promise<SliceExecutor> {
  const prepared = await prepare(host, loaded, pick(options, ['concurrency', 'timeoutMs']), runId);
  const { storage, group, providers } = prepared;
  const plan = parsePlan((prepared.previous?.resolvedConfig as { plan?: unknown } | null | undefined)?.plan);
  if (!plan) {
    await group.close();
    throw new LLMLabError('run_has_no_plan', `Run ${runId} has no stored plan (it was stored by an older version); run it with --resume instead.`);
  }
  const resolved = prepared.options;
  const warn = options.onWarning ?? ((message: string) => host.logger?.warn(message));
  const stopWarning = host.manager.on('cache-unavailable', (event) => warn(event.message));
  const slots = new CallSlots(resolved.concurrency);
  const createProvider = judgeFactory(host, loaded.config, providers, loaded.baseDir);
  const createEmbeddingProvider = embeddingFactory(host);
  let closed = false;
  return {
    runId,
    plan,
    concurrency: resolved.concurrency,
    get inFlight() {
      return slots.taken;
    },
    async execute(sliceOptions) {
      if (closed) throw new LLMLabError('run_not_open', `the executor of run ${runId} is closed`);
      // Shared with the other processes executing slices of this run, so it shows as running while
      // any of them works, and it cannot be resumed or recorded meanwhile.
      const hold = await storage.holdRun(runId, { shared: true });
      try {
        const execution = await executePlan({
          plan,
          config: loaded.config,
          baseDir: loaded.baseDir,
          providers,
          store: storage,
          concurrency: resolved.concurrency,
          slots,
          timeoutMs: resolved.timeoutMs,
          resume: true,
          createProvider,
          createEmbeddingProvider,
          ...pick(sliceOptions, ['slice', 'signal', 'onProgress', 'onInvalidRow', 'prepareCase', 'onDrain']),
          ...(resolved.batch ? { batch: { size: resolved.batchSize, store: storage } } : {}),
          // A provider's `pii: { before: [store] }` policy masks what its results store.
          ...((beforeStore) => (beforeStore ? { beforeStore } : {}))(piiBeforeStore(providers)),
        });
        for (const warning of execution.warnings) warn(warning);
        return execution;
      } finally {
        await hold.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      stopWarning();
      await group.close();
    },
  };
}

/**
 * Executes one slice of a stored run's plan in this process (an executor opened and closed
 * around it). Several processes may execute disjoint slices of one run at once (on PostgreSQL,
 * or the embedded database shared between processes).
 */
export async function executeSlice(host: RunHost, loaded: LoadedConfig, runId: string, sliceOptions: SliceOptions): Promise<ExecutionOutcome> {
  const executor = await openSliceExecutor(host, loaded, runId, pick(sliceOptions, ['concurrency', 'timeoutMs', 'onWarning']));
  try {
    return await executor.execute(sliceOptions);
  } finally {
    await executor.close();
  }
}
