import { RunStatsCollector } from '../metrics/provider-stats.js';
import { GroupStatsCollector, type GroupSpec, type GroupSummary } from '../metrics/group-stats.js';
import { eachResult, type Storage } from '@llm-lab/storage';
import type { EvaluationOutcome } from './types.js';

/** The part of `Storage` a summary reads. */
export type ResultReader = Pick<Storage, 'listResults'>;

/** Results read per page while summarising. */
const PAGE_SIZE = 5_000;

/** What a stored summary is made for: the run's provider × prompt pairs, in order, and its repeats. */
export interface StoredRunShape {
  /** Provider labels, in order. */
  providers: readonly string[];
  /** Prompt ids, in order. */
  prompts: readonly string[];
  repeat: number;
  /** Per provider label, who answers as that provider itself (see `EngineProvider.answerers`). */
  answerers?: ReadonlyMap<string, readonly string[]>;
  /** Invalid rows of the dataset, when known (they are not stored as results). */
  invalidRows?: number;
  /** Cases the run is known to have (a floor: a case with no stored result still counts). */
  cases?: number;
}

/**
 * Totals and per-provider summaries computed from every stored result of a run, page by page (the
 * results are never all in memory). This is how a run is summarised when its results were not all
 * computed by one process: a resume, or a plan executed in slices by several processes. Over the
 * same results it gives exactly what the in-memory statistics of `runEvaluation` give.
 */
export async function summariseStoredRun(
  storage: ResultReader,
  runId: string,
  shape: StoredRunShape,
): Promise<Pick<EvaluationOutcome, 'totals' | 'providers'>> {
  const stats = new RunStatsCollector(
    shape.prompts.flatMap((promptId) =>
      shape.providers.map((providerId) => {
        const own = shape.answerers?.get(providerId);
        return { providerId, promptId, ...(own ? { answerers: own } : {}) };
      }),
    ),
    { repeats: shape.repeat },
  );
  const cases = new Set<string>();
  // Keyset pages: each costs the same however far into the run (an offset re-reads every row before it).
  for await (const result of eachResult(storage, { runId }, PAGE_SIZE)) {
    stats.add(result);
    cases.add(result.caseId);
  }
  return {
    totals: stats.runTotals({ cases: Math.max(cases.size, shape.cases ?? 0), invalidRows: shape.invalidRows ?? 0 }),
    providers: stats.summaries(),
  };
}

/**
 * Per-group results of a run (a config's `groups:` block), always from every stored result, page
 * by page: a resumed run, or one run in several sittings, gets the same figures as one run
 * straight through.
 */
export async function summariseStoredGroups(storage: ResultReader, runId: string, spec: GroupSpec): Promise<GroupSummary[]> {
  const collector = new GroupStatsCollector(spec);
  for await (const result of eachResult(storage, { runId }, PAGE_SIZE)) collector.add(result);
  return collector.summaries();
}
