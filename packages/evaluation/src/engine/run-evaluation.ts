import { RunStatsCollector } from '../metrics/provider-stats.js';
import { executePlan } from './execute-plan.js';
import { planRun } from './plan.js';
import type { EngineProvider, EvaluationOutcome, RunEvaluationOptions } from './types.js';

/** The names a provider's own answers carry: its members when given, else its id (the label always counts). */
export function answerersOf(provider: EngineProvider): readonly string[] {
  return provider.answerers ?? [provider.provider.id];
}

/**
 * Runs a whole evaluation in this process: plans it ({@link planRun}), executes the whole plan
 * ({@link executePlan}: every case × prompt × provider × repeat is rendered, sent, scored and
 * recorded) and summarises the results it computed as they arrive. Memory stays flat however
 * large the dataset: the plan is a count, cases are streamed, results are written in batches
 * (every `writeBatchSize` results or `writeIntervalMs`, and at the end) and the statistics are
 * running sums. The promise resolves only after every computed result is written. A failed call,
 * template or evaluator becomes an error result and the run goes on. A DatasetError (with
 * `onInvalidRow: fail`) or a storage failure stops the run: results computed so far are written,
 * then it rejects. For a run executed in slices, by several processes, or resumed, summarise
 * from storage instead (`summariseStoredRun`): it gives the same summary from the stored results.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationOutcome> {
  const { config } = options;
  const concurrency = options.concurrency ?? config.run.concurrency;
  const plan =
    options.plan ??
    (await planRun({
      runId: options.runId,
      config,
      baseDir: options.baseDir,
      providers: options.providers.map((provider) => provider.label),
      repeat: options.repeat ?? config.run.repeat,
      limit: options.limit ?? config.run.limit ?? null,
      stream: options.stream ?? false,
      preparation: options.prepareCase ? 'prepareCase' : null,
    }));
  const stats = new RunStatsCollector(
    plan.prompts.flatMap((promptId) =>
      options.providers.map((provider) => ({ providerId: provider.label, promptId, answerers: answerersOf(provider) })),
    ),
    { repeats: plan.repeat },
  );
  const execution = await executePlan({
    plan,
    config,
    baseDir: options.baseDir,
    providers: options.providers,
    store: options.store,
    concurrency,
    timeoutMs: options.timeoutMs ?? config.run.timeoutMs,
    resume: options.resume ?? false,
    onResult: (result) => stats.add(result),
    ...(options.slice ? { slice: options.slice } : {}),
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onInvalidRow ? { onInvalidRow: options.onInvalidRow } : {}),
    ...(options.prepareCase ? { prepareCase: options.prepareCase } : {}),
    ...(options.createProvider ? { createProvider: options.createProvider } : {}),
    ...(options.createEmbeddingProvider ? { createEmbeddingProvider: options.createEmbeddingProvider } : {}),
    ...(options.evaluatorRegistry ? { evaluatorRegistry: options.evaluatorRegistry } : {}),
    ...(options.writeBatchSize !== undefined ? { writeBatchSize: options.writeBatchSize } : {}),
    ...(options.writeIntervalMs !== undefined ? { writeIntervalMs: options.writeIntervalMs } : {}),
    ...(options.batch ? { batch: options.batch } : {}),
    ...(options.beforeStore ? { beforeStore: options.beforeStore } : {}),
  });
  for (const warning of execution.warnings) options.onWarning?.(warning);
  return {
    status: execution.status,
    plan,
    totals: stats.runTotals({ cases: execution.cases, invalidRows: execution.invalidRows.length }),
    providers: stats.summaries(),
    invalidRows: execution.invalidRows,
    warnings: execution.warnings,
    skipped: execution.skipped,
    written: execution.written,
    durationMs: execution.durationMs,
  };
}
