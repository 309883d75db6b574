import { RunStatsCollector, seededRandom, type ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, resultOutcome, type ResultRecord, type RunRecord } from '@llm-lab/storage';
import { fieldValue } from '../case-text.js';
import { LATENCY_QUANTILES, type EmbeddedCase } from '../types.js';
import { embed, PAGE_SIZE, quantileIndex, Reservoir, seriesKey, type ReportSource } from './shared.js';

/** Fields a case's category is guessed from when none is named. */
export const CATEGORY_GUESSES = ['category', 'subject', 'topic', 'group'];

export interface FullPassOptions {
  /** Stored summaries, or none to compute them from the results. */
  summaries: readonly ProviderSummary[] | undefined;
  /** The category field; undefined to guess one from the first result's row, null for none. */
  categoryField: string | null | undefined;
  /** The compared run's outcomes, and how a result is paired with them. */
  before?: { outcomes: Map<string, boolean>; pairKey: (result: ResultRecord) => string };
  maxCases: number;
  maxText: number;
  seed: number;
}

/** What one pass over every result of a run gives. */
export interface FullPass {
  summaries: ProviderSummary[];
  /** Series keys in order (stored order first), indexing `cases[].series` and `categories`' cells. */
  seriesKeys: string[];
  latencyQuantiles: Map<string, number[] | null>;
  categoryField: string | null;
  /** Category → per series key: passed and scored. */
  categories: Map<string, Map<string, { passed: number; scored: number }>>;
  flipped: EmbeddedCase[];
  notPassed: EmbeddedCase[];
  passedSample: EmbeddedCase[];
  counts: { results: number; notPassed: number; flipped: number; paired: number; passToFail: number; failToPass: number };
}

/**
 * Reads every result of a run once, page by page, for what indexed reads cannot give: the cases
 * that flipped against another run, a category the stored summary has no groups for, and the
 * summary of a run that has none (interrupted). Memory: counters, each successful call's latency
 * (8 bytes) and at most `maxCases` cases of each kind.
 */
export async function readWholeRun(storage: ReportSource, run: RunRecord, options: FullPassOptions): Promise<FullPass> {
  const computed = options.summaries?.length ? undefined : new RunStatsCollector();
  const seriesKeys: string[] = [];
  const index = new Map<string, number>();
  const latencies: number[][] = [];
  const indexOf = (providerId: string, promptId: string) => {
    const key = seriesKey(providerId, promptId);
    let at = index.get(key);
    if (at === undefined) {
      at = seriesKeys.push(key) - 1;
      index.set(key, at);
      latencies.push([]);
    }
    return at;
  };
  for (const summary of options.summaries ?? []) indexOf(summary.providerId, summary.promptId);

  let field = options.categoryField;
  const categories = new Map<string, Map<string, { passed: number; scored: number }>>();
  const flipped: EmbeddedCase[] = [];
  const notPassed: EmbeddedCase[] = [];
  const passed = new Reservoir<EmbeddedCase>(options.maxCases, seededRandom(options.seed));
  const counts = { results: 0, notPassed: 0, flipped: 0, paired: 0, passToFail: 0, failToPass: 0 };

  for await (const result of eachResult(storage, { runId: run.id }, PAGE_SIZE)) {
    counts.results++;
    computed?.add(result);
    const series = indexOf(result.providerId, result.promptId);
    const outcome = resultOutcome(result);
    if (outcome !== 'errored' && result.latencyMs !== null) latencies[series]!.push(result.latencyMs);
    if (field === undefined) field = CATEGORY_GUESSES.find((name) => fieldValue(result.vars, [name]) !== undefined) ?? null;
    const category = field ? (fieldValue(result.vars, field.split('.')) ?? '(none)') : null;
    if (category !== null && outcome !== 'errored') {
      let cells = categories.get(category);
      if (!cells) categories.set(category, (cells = new Map()));
      const key = seriesKeys[series]!;
      const cell = cells.get(key) ?? { passed: 0, scored: 0 };
      cell.scored++;
      if (outcome === 'passed') cell.passed++;
      cells.set(key, cell);
    }
    let flip: EmbeddedCase['flip'] = null;
    if (options.before && outcome !== 'errored') {
      const was = options.before.outcomes.get(options.before.pairKey(result));
      if (was !== undefined) {
        counts.paired++;
        if (was && outcome === 'failed') flip = 'pass-to-fail';
        else if (!was && outcome === 'passed') flip = 'fail-to-pass';
        if (flip === 'pass-to-fail') counts.passToFail++;
        if (flip === 'fail-to-pass') counts.failToPass++;
      }
    }
    const make = () => embed(result, series, outcome, category, flip, options.maxText);
    if (outcome !== 'passed') counts.notPassed++;
    if (flip) {
      counts.flipped++;
      if (flipped.length < options.maxCases) flipped.push(make());
    } else if (outcome !== 'passed') {
      if (notPassed.length < options.maxCases) notPassed.push(make());
    } else passed.offer(make);
  }

  const latencyQuantiles = new Map<string, number[] | null>();
  seriesKeys.forEach((key, at) => {
    const sorted = Float64Array.from(latencies[at]!).sort();
    latencyQuantiles.set(key, sorted.length === 0 ? null : LATENCY_QUANTILES.map((q) => sorted[quantileIndex(q, sorted.length)]!));
  });
  return {
    summaries: computed ? computed.summaries() : [...options.summaries!],
    seriesKeys,
    latencyQuantiles,
    categoryField: field ?? null,
    categories,
    flipped,
    notPassed,
    passedSample: passed.items,
    counts,
  };
}
