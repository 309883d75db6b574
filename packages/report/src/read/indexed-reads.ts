import { seededRandom, type GroupSummary, type ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, resultOutcome, type ResultOutcome, type ResultRecord, type RunRecord } from '@llm-lab/storage';
import { fieldValue } from '../case-text.js';
import { LATENCY_QUANTILES, type EmbeddedCase } from '../types.js';
import { embed, quantileIndex, seriesKey, type ReportSource } from './shared.js';

/**
 * The reads of a finished run's report that do not read the whole run: each served by one of
 * storage's indexes (latency order, the partial index of unpassed results, case order), so a
 * report of a large run costs what its embedded cases cost.
 */

/** Most blocks the sample of passed results is read in (each one query at an offset). */
const SAMPLE_BLOCKS = 10;

/**
 * Latency quantiles of a series' successful calls: one query per quantile at its rank in latency
 * order (`latencyMeanMs.n` calls have a latency), all sent at once. Each query skips its offset
 * in the latency index, so the upper half is read from the slow end (descending): the rows
 * skipped in all are about a run's size instead of three and a half times it.
 */
export async function latencyQuantilesOf(storage: ReportSource, runId: string, summary: ProviderSummary): Promise<number[] | null> {
  const n = summary.latencyMeanMs?.n ?? 0;
  if (n === 0) return null;
  const filter = { providerId: summary.providerId, promptId: summary.promptId, outcome: ['passed', 'failed'] as ResultOutcome[] };
  const pages = await Promise.all(
    LATENCY_QUANTILES.map((q) => {
      const rank = quantileIndex(q, n);
      const fromTop = rank > (n - 1) / 2;
      return storage.listResults({ runId, filter, sort: { by: 'latency', order: fromTop ? 'desc' : 'asc' }, offset: fromTop ? n - 1 - rank : rank, limit: 1 });
    }),
  );
  const values = pages.map((page) => page.results[0]?.latencyMs ?? null);
  if (values.some((value) => value === null)) return null;
  return values as number[];
}

/** The stored groups as heat-map cells: group → per series key, passed and scored. */
export function categoriesOfGroups(groups: readonly GroupSummary[]): Map<string, Map<string, { passed: number; scored: number }>> {
  const categories = new Map<string, Map<string, { passed: number; scored: number }>>();
  for (const summary of groups) {
    for (const group of summary.groups) {
      let cells = categories.get(group.name);
      if (!cells) categories.set(group.name, (cells = new Map()));
      cells.set(seriesKey(summary.providerId, summary.promptId), { passed: group.passed, scored: group.scored });
    }
  }
  return categories;
}

export interface IndexedCases {
  notPassed: EmbeddedCase[];
  passedSample: EmbeddedCase[];
}

/**
 * The cases to embed: results that did not pass, in case order, from the partial index of
 * unpassed results (up to `maxCases`); then, in the room left, passed results read in up to ten
 * blocks at seeded random offsets spread over the run (all of them when they fit).
 */
export async function casesToEmbed(
  storage: ReportSource,
  run: RunRecord,
  summaries: readonly ProviderSummary[],
  seriesIndex: (result: ResultRecord) => number,
  options: { maxCases: number; maxText: number; seed: number; categoryField: string | null },
): Promise<IndexedCases> {
  const path = options.categoryField?.split('.');
  const make = (result: ResultRecord) => embed(result, seriesIndex(result), resultOutcome(result), path ? (fieldValue(result.vars, path) ?? '(none)') : null, null, options.maxText);
  const notPassed: EmbeddedCase[] = [];
  if (options.maxCases > 0) {
    for await (const result of eachResult(storage, { runId: run.id, filter: { outcome: ['failed', 'errored'] } }, Math.min(1_000, options.maxCases))) {
      notPassed.push(make(result));
      if (notPassed.length >= options.maxCases) break;
    }
  }
  const room = options.maxCases - notPassed.length;
  const passedTotal = summaries.reduce((sum, summary) => sum + summary.passed, 0);
  if (room <= 0 || passedTotal === 0) return { notPassed, passedSample: [] };
  if (passedTotal <= room) {
    const all: EmbeddedCase[] = [];
    for await (const result of eachResult(storage, { runId: run.id, filter: { outcome: 'passed' } }, 1_000)) all.push(make(result));
    return { notPassed, passedSample: all };
  }
  const blocks = Math.min(SAMPLE_BLOCKS, room);
  const size = Math.ceil(room / blocks);
  const stride = passedTotal / blocks;
  const random = seededRandom(options.seed);
  const offsets = Array.from({ length: blocks }, (_, block) => Math.min(passedTotal - size, Math.floor(block * stride + random() * Math.max(0, stride - size))));
  const pages = await Promise.all(offsets.map((offset) => storage.listResults({ runId: run.id, filter: { outcome: 'passed' }, offset: Math.max(0, offset), limit: size })));
  const seen = new Set<number>();
  const sample: EmbeddedCase[] = [];
  for (const result of pages.flatMap((page) => page.results)) {
    if (seen.has(result.id) || sample.length >= room) continue;
    seen.add(result.id);
    sample.push(make(result));
  }
  return { notPassed, passedSample: sample };
}
