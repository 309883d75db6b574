import { seededRandom, type GroupSummary, type ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, resultOutcome, type CaseRange, type ResultOutcome, type ResultRecord, type RunRecord } from '@llm-lab/storage';
import { fieldValue } from '../case-text.js';
import { LATENCY_QUANTILES, type EmbeddedCase } from '../types.js';
import { embed, quantileIndex, seriesKey, type ReportSource } from './shared.js';

/**
 * The reads of a finished run's report that do not read the whole run, each served by one of
 * storage's indexes: latency order, the partial index of unpassed results, and windows of cases
 * in case order (`caseRange`), so a report of a large run costs about what a small one does.
 */

/** Windows a sample is read in (each one query over a range of case indexes). */
const SAMPLE_WINDOWS = 10;
/**
 * Up to this many successful calls in all, latency quantiles are exact (one query per quantile
 * at its rank in latency order; each sorts a provider's results). Above, they are estimated from
 * the calls of {@link LATENCY_SAMPLE_CASES} cases read in windows spread over the run.
 */
export const EXACT_LATENCY_LIMIT = 20_000;
export const LATENCY_SAMPLE_CASES = 2_000;

/** Cases of the run: one past the largest case index (read from the end of the case-order index). */
export async function caseCountOf(storage: ReportSource, runId: string): Promise<number> {
  const last = await storage.listResults({ runId, sort: { by: 'case', order: 'desc' }, limit: 1 });
  return (last.results[0]?.caseIndex ?? -1) + 1;
}

/** `count` windows of `width` cases at seeded random places, one in each of `count` equal strata of `[0, cases)`. */
export function caseWindows(cases: number, count: number, width: number, random: () => number): CaseRange[] {
  const stratum = cases / count;
  const span = Math.max(1, Math.min(width, Math.floor(stratum)));
  return Array.from({ length: count }, (_, index) => {
    const start = Math.floor(index * stratum + random() * Math.max(0, stratum - span));
    return { fromCase: start, toCase: Math.min(cases, start + span) };
  }).filter((window, index, all) => window.toCase > window.fromCase && (index === 0 || window.fromCase >= all[index - 1]!.toCase));
}

/** Exact latency quantiles of a series' successful calls: one query per quantile at its rank, the upper half read from the slow end. */
async function exactQuantiles(storage: ReportSource, runId: string, summary: ProviderSummary, n: number): Promise<number[] | null> {
  const filter = { providerId: summary.providerId, promptId: summary.promptId, outcome: ['passed', 'failed'] as ResultOutcome[] };
  const pages = await Promise.all(
    LATENCY_QUANTILES.map((q) => {
      const rank = quantileIndex(q, n);
      const fromTop = rank > (n - 1) / 2;
      return storage.listResults({ runId, filter, sort: { by: 'latency', order: fromTop ? 'desc' : 'asc' }, offset: fromTop ? n - 1 - rank : rank, limit: 1 });
    }),
  );
  const values = pages.map((page) => page.results[0]?.latencyMs ?? null);
  return values.some((value) => value === null) ? null : (values as number[]);
}

/** Latency quantiles per series key, and for each the number of calls they were estimated from (null: exact). */
export interface LatencyFigures {
  quantiles: Map<string, number[] | null>;
  sampled: Map<string, number | null>;
}

/**
 * Latency quantiles of each series' successful calls: exact while the run has at most
 * {@link EXACT_LATENCY_LIMIT} of them, else estimated from the calls of a sample of cases.
 */
export async function latencyFiguresOf(
  storage: ReportSource,
  runId: string,
  summaries: readonly ProviderSummary[],
  options: { cases: number; seed: number; exactUpTo?: number },
): Promise<LatencyFigures> {
  const { cases, seed } = options;
  const counts = summaries.map((summary) => summary.latencyMeanMs?.n ?? 0);
  const keys = summaries.map((summary) => seriesKey(summary.providerId, summary.promptId));
  if (counts.reduce((sum, n) => sum + n, 0) <= (options.exactUpTo ?? EXACT_LATENCY_LIMIT)) {
    const exact = await Promise.all(summaries.map((summary, index) => (counts[index]! === 0 ? null : exactQuantiles(storage, runId, summary, counts[index]!))));
    return { quantiles: new Map(keys.map((key, index) => [key, exact[index]!])), sampled: new Map(keys.map((key) => [key, null])) };
  }
  const windows = caseWindows(cases, SAMPLE_WINDOWS * 2, Math.ceil(LATENCY_SAMPLE_CASES / (SAMPLE_WINDOWS * 2)), seededRandom(seed + 1));
  const latencies = new Map<string, number[]>(keys.map((key) => [key, []]));
  const pages = await Promise.all(windows.map(async (caseRange) => {
    const rows: Array<[string, number]> = [];
    for await (const result of eachResult(storage, { runId, filter: { caseRange, outcome: ['passed', 'failed'] } }, 2_000)) {
      if (result.latencyMs !== null) rows.push([seriesKey(result.providerId, result.promptId), result.latencyMs]);
    }
    return rows;
  }));
  for (const [key, latency] of pages.flat()) latencies.get(key)?.push(latency);
  const quantiles = new Map<string, number[] | null>();
  const sampled = new Map<string, number | null>();
  for (const key of keys) {
    const sorted = Float64Array.from(latencies.get(key)!).sort();
    quantiles.set(key, sorted.length === 0 ? null : LATENCY_QUANTILES.map((q) => sorted[quantileIndex(q, sorted.length)]!));
    sampled.set(key, sorted.length);
  }
  return { quantiles, sampled };
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
 * unpassed results (up to `maxCases`); then, in the room left, passed results from ten windows of
 * cases at seeded random places spread over the run (all of them when they fit).
 */
export async function casesToEmbed(
  storage: ReportSource,
  run: RunRecord,
  summaries: readonly ProviderSummary[],
  seriesIndex: (result: ResultRecord) => number,
  options: { maxCases: number; maxText: number; seed: number; categoryField: string | null; cases: number },
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
  const windowCount = Math.min(SAMPLE_WINDOWS, room);
  const size = Math.ceil(room / windowCount);
  // Wide enough to hold `size` passed results at the run's rate of passed results per case, twice over.
  const width = Math.ceil((2 * size * options.cases) / passedTotal);
  const windows = caseWindows(options.cases, windowCount, width, seededRandom(options.seed));
  const pages = await Promise.all(windows.map((caseRange) => storage.listResults({ runId: run.id, filter: { outcome: 'passed', caseRange }, limit: size })));
  const sample = pages.flatMap((page) => page.results).slice(0, room).map(make);
  return { notPassed, passedSample: sample };
}
