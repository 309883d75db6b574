import { getMaxListeners, setMaxListeners } from 'node:events';
import { ConfigError, containsKeyShapedText } from '@llm-lab/core';
import { openDataset } from '../datasets/open-dataset.js';
import { loadEvaluators } from '../evaluators/load-evaluators.js';
import { RunStatsCollector } from '../metrics/provider-stats.js';
import { compilePrompts } from '../prompts/compile-prompts.js';
import { resultKey } from '../storage-contract.js';
import { executeWorkItem, type WorkItem } from './execute-work-item.js';
import { BatchedResultWriter } from './result-writer.js';
import { preloadToolModules } from './tool-loop.js';
import type { EngineProvider, EvaluationOutcome, EvaluationProgress, RunEvaluationOptions } from './types.js';

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError({ path: name, message: `expected a positive integer, got ${value}.` });
  }
  return value;
}

function assertDistinctLabels(options: RunEvaluationOptions): void {
  if (options.providers.length === 0) {
    throw new ConfigError({ path: 'providers', message: 'the run has no providers. List at least one provider.' });
  }
  const seen = new Set<string>();
  for (const { label } of options.providers) {
    if (seen.has(label)) {
      throw new ConfigError({
        path: 'providers',
        message: `two providers are labelled '${label}'. Give entries with the same id distinct labels (label: ...).`,
      });
    }
    seen.add(label);
  }
}

/** The names a provider's own answers carry: its members when given, else its id (the label always counts). */
export function answerersOf(provider: EngineProvider): readonly string[] {
  return provider.answerers ?? [provider.provider.id];
}

/**
 * The one warning of a run whose dataset holds strings shaped like API keys (or URL passwords)
 * that are not the run's own secrets: they are the user's data, stored and shown as they are.
 */
function keyShapedWarning(count: number, firstIds: string[]): string {
  const rows = count === 1 ? '1 dataset row contains' : `${count.toLocaleString('en-US')} dataset rows contain`;
  const shown = firstIds.join(', ') + (count > firstIds.length ? ', …' : '');
  return (
    `${rows} strings shaped like API keys or passwords (${count === 1 ? 'case' : 'cases'} ${shown}); ` +
    'they are the dataset\'s own data and were stored as they are. Keys the run itself uses are always redacted.'
  );
}

/**
 * Runs an evaluation: every case × prompt × provider × repeat is rendered, sent, scored and
 * stored. Work items are produced lazily from the dataset stream and taken by a fixed pool of
 * `concurrency` workers, so memory stays flat however large the dataset. Results are written in
 * batches (every `writeBatchSize` results or `writeIntervalMs`, and at the end); the promise
 * resolves only after every computed result is written. A failed call, template or evaluator
 * becomes an error result and the run goes on. A DatasetError (with `onInvalidRow: fail`) or a
 * storage failure stops the run: results computed so far are written, then it rejects.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationOutcome> {
  const startedAt = performance.now();
  const { config, runId, signal } = options;
  assertDistinctLabels(options);
  const concurrency = positiveInteger(options.concurrency ?? config.run.concurrency, 'run.concurrency');
  // Every call in flight listens to the run's signal (and a judge or fallback call may add one
  // more each): lift Node's leak warning, set at 10 listeners, to what the run legitimately uses.
  if (signal && getMaxListeners(signal) < concurrency * 4) setMaxListeners(concurrency * 4, signal);
  const repeat = positiveInteger(options.repeat ?? config.run.repeat, 'run.repeat');
  const limit = options.limit ?? config.run.limit;
  const prompts = compilePrompts(config.prompts, { baseDir: options.baseDir });
  await preloadToolModules(prompts);
  const evaluators = await loadEvaluators(config.evaluators, {
    baseDir: options.baseDir,
    ...(options.createProvider ? { createProvider: options.createProvider } : {}),
    ...(options.evaluatorRegistry ? { registry: options.evaluatorRegistry } : {}),
  });
  const dataset = openDataset(config.dataset, {
    baseDir: options.baseDir,
    ...(limit !== undefined ? { limit } : {}),
    ...(options.onInvalidRow ? { onInvalidRow: options.onInvalidRow } : {}),
  });

  const rowCount = await dataset.countRows();
  const total = rowCount * prompts.length * options.providers.length * repeat;
  const completed = options.resume ? await options.store.completedKeys(runId) : new Set<string>();
  const stats = new RunStatsCollector(
    prompts.flatMap((prompt) =>
      options.providers.map((provider) => ({ providerId: provider.label, promptId: prompt.id, answerers: answerersOf(provider) })),
    ),
    { repeats: repeat },
  );
  const progress: EvaluationProgress = { done: 0, total, passed: 0, failed: 0, errors: 0, skipped: 0 };
  const report = () => options.onProgress?.({ ...progress });
  let cases = 0;
  // Rows holding key-shaped strings: how many, and the first few ids to name.
  const keyShaped = { count: 0, firstIds: [] as string[] };

  async function* workItems(): AsyncGenerator<WorkItem> {
    for await (const datasetCase of dataset.cases) {
      cases++;
      if (containsKeyShapedText(datasetCase.vars) && ++keyShaped.count <= 3) keyShaped.firstIds.push(datasetCase.id);
      for (const prompt of prompts) {
        for (const provider of options.providers) {
          for (let repeatIndex = 0; repeatIndex < repeat; repeatIndex++) {
            if (signal?.aborted) return;
            const key = resultKey({ caseId: datasetCase.id, providerId: provider.label, promptId: prompt.id, repeat: repeatIndex });
            if (completed.has(key)) {
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

  const writer = new BatchedResultWriter(options.store, options.writeBatchSize, options.writeIntervalMs);
  const context = {
    runId,
    defaults: config.defaults,
    evaluators,
    stream: options.stream ?? false,
    timeoutMs: config.run.timeoutMs,
    signal,
    prepareCase: options.prepareCase,
  };
  const items = workItems();
  let readFailure: { error: unknown } | undefined;
  const shouldStop = () => signal?.aborted === true || readFailure !== undefined || writer.failure !== undefined;

  const worker = async (): Promise<void> => {
    while (!shouldStop()) {
      let next: IteratorResult<WorkItem>;
      try {
        next = await items.next();
      } catch (error) {
        readFailure ??= { error };
        return;
      }
      if (next.done || signal?.aborted) return;
      const result = await executeWorkItem(next.value, context);
      if (result === undefined) continue;
      stats.add(result);
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
    // Once before any call (and once the run is stored): a display can show 0/total at once
    // rather than wait for a first answer.
    report();
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    // Closes the dataset file when the run stopped early; a no-op when it was read to the end.
    await items.return(undefined).catch(() => undefined);
    await writer.close();
  }
  if (readFailure) throw readFailure.error;

  const warnings = keyShaped.count > 0 ? [keyShapedWarning(keyShaped.count, keyShaped.firstIds)] : [];
  for (const warning of warnings) options.onWarning?.(warning);
  return {
    status: signal?.aborted ? 'cancelled' : 'completed',
    totals: stats.runTotals({ cases, invalidRows: dataset.invalidRows.length }),
    providers: stats.summaries(),
    invalidRows: dataset.invalidRows,
    warnings,
    skipped: progress.skipped,
    written: writer.written,
    durationMs: performance.now() - startedAt,
  };
}
