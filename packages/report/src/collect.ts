import { LLMLabError } from '@llm-lab/core';
import { RunStatsCollector, seededRandom, type GroupSummary, type ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, resultOutcome, type ResultRecord, type RunRecord, type RunTotals, type Storage } from '@llm-lab/storage';
import { caseText, fieldValue, promptText } from './case-text.js';
import type { CategoryRow, ComparedRun, EmbeddedCase, ReportComparison, ReportData, SeriesFigures } from './types.js';

/** What a report reads: runs and their results, never a provider. */
export type ReportSource = Pick<Storage, 'getRun' | 'listResults'>;

export interface CollectOptions {
  /** Another run to set beside this one: its figures, and the cases that flipped between them. */
  compare?: string;
  /** The statistics of the comparison, computed by the caller (see {@link ReportComparison}). */
  comparison?: ReportComparison;
  /** Most cases embedded in the page (default 1,000): flipped first, then failed and errored, then a sample of the passed. */
  maxCases?: number;
  /** Most characters of each prompt, output and reason embedded (default 2,000). */
  maxTextChars?: number;
  /** The row field the heat map groups cases by (default: the run's `groups.by`, else `category`, `subject` or `topic` when cases carry one). */
  categoryField?: string;
  /** Seed of the sample of passed cases (default 1). */
  seed?: number;
}

export const DEFAULT_MAX_CASES = 1_000;
export const DEFAULT_MAX_TEXT = 2_000;
/** Most categories the heat map shows (the largest); the rest are counted in a note. */
export const MAX_CATEGORIES = 60;
const PAGE_SIZE = 5_000;
const LATENCY_BINS = 24;
const CATEGORY_GUESSES = ['category', 'subject', 'topic', 'group'];

interface StoredSummary {
  providers?: ProviderSummary[];
  groups?: GroupSummary[];
}

const seriesKey = (providerId: string, promptId: string) => `${providerId}\u0000${promptId}`;
const seriesName = (providerId: string, promptId: string) => (promptId === 'default' ? providerId : `${providerId} (${promptId})`);

async function requireRun(storage: ReportSource, idOrPrefix: string, role: string): Promise<RunRecord> {
  const run = await storage.getRun(idOrPrefix);
  if (!run) throw new LLMLabError('run_not_found', `${role} '${idOrPrefix}' is not a stored run. List runs with: llm-lab runs list`);
  return run;
}

function storedSummary(run: RunRecord): StoredSummary {
  return run.summary !== null && typeof run.summary === 'object' ? (run.summary as StoredSummary) : {};
}

function groupFieldOf(run: RunRecord): string | undefined {
  const config = run.resolvedConfig as { groups?: { by?: unknown } } | null;
  const by = config?.groups?.by;
  return typeof by === 'string' ? by : storedSummary(run).groups?.[0]?.by;
}

/** Latency bin edges: equal widths up to the largest p95 of any series (slower calls fall in the last bin). */
function latencyEdges(summaries: readonly ProviderSummary[]): number[] {
  const top = Math.max(1, ...summaries.map((summary) => summary.latencyMs?.p95 ?? 0));
  const step = top / (LATENCY_BINS - 1);
  return Array.from({ length: LATENCY_BINS }, (_, index) => (index === LATENCY_BINS - 1 ? Number.POSITIVE_INFINITY : step * (index + 1)));
}

/** Counts each latency in its bin (`edges` are upper bounds, the last infinite). */
function histogram(latencies: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length).fill(0);
  const step = edges[0]!;
  for (const latency of latencies) counts[Math.min(edges.length - 1, Math.max(0, Math.ceil(latency / step) - 1))]!++;
  return counts;
}

/** Keeps a uniform sample of `size` items seen one at a time (reservoir sampling, seeded). */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}
  /** Offers an item; `make` is called only when it is kept (so unkept rows cost nothing). */
  offer(make: () => T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(make());
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.size) this.items[slot] = make();
    }
  }
}

/** Outcomes of the compared run, keyed so they pair with this run's results. */
async function comparedOutcomes(storage: ReportSource, run: RunRecord, pairKey: (result: ResultRecord) => string): Promise<Map<string, boolean>> {
  const outcomes = new Map<string, boolean>();
  for await (const result of eachResult(storage, { runId: run.id }, PAGE_SIZE)) {
    if (resultOutcome(result) !== 'errored') outcomes.set(pairKey(result), result.passed === true);
  }
  return outcomes;
}

function providerLabels(run: RunRecord): string[] {
  return [...new Set((storedSummary(run).providers ?? []).map((summary) => summary.providerId))];
}

/**
 * Reads a stored run and gathers what its report shows, in one pass over its results page by
 * page: figures per provider and prompt (the stored summary, or one computed from the results
 * when the run has none), latency histograms, cost, the per-category heat map, and the cases to
 * embed (capped: flipped, then not passed, then a seeded sample of the passed).
 */
export async function collectReportData(storage: ReportSource, runIdOrPrefix: string, options: CollectOptions = {}): Promise<ReportData> {
  const maxCases = options.maxCases ?? DEFAULT_MAX_CASES;
  const maxText = options.maxTextChars ?? DEFAULT_MAX_TEXT;
  if (!Number.isInteger(maxCases) || maxCases < 0) throw new LLMLabError('config_report', `maxCases must be a whole number ≥ 0, got ${maxCases}.`);
  if (!Number.isInteger(maxText) || maxText < 1) throw new LLMLabError('config_report', `maxTextChars must be a whole number ≥ 1, got ${maxText}.`);
  const run = await requireRun(storage, runIdOrPrefix, 'Run');
  const other = options.compare ? await requireRun(storage, options.compare, '--compare run') : undefined;
  const stored = storedSummary(run);

  // Two runs of one provider each under different labels (model A's run against model B's) pair by case alone.
  const labels = providerLabels(run);
  const otherLabels = other ? providerLabels(other) : [];
  const pairByCaseOnly = labels.length === 1 && otherLabels.length === 1 && labels[0] !== otherLabels[0];
  const pairKey = (result: ResultRecord) =>
    `${result.caseId}\u0000${pairByCaseOnly ? '' : result.providerId}\u0000${result.promptId}\u0000${result.repeat}`;
  const before = other ? await comparedOutcomes(storage, other, pairKey) : undefined;

  const categoryField = options.categoryField ?? groupFieldOf(run);
  let guessedField: string | null | undefined = categoryField ?? undefined;
  const fieldPath = (field: string) => field.split('.');

  // Summaries as stored when the run finished; computed here for a run that has none (interrupted).
  const computed = stored.providers?.length ? undefined : new RunStatsCollector();
  let summaries = stored.providers ?? [];
  const seriesIndex = new Map<string, number>();
  // Latencies are kept (8 bytes a result) and binned at the end, once every series' spread is known.
  const latencies: number[][] = [];
  const costs: Array<{ sum: number; n: number }> = [];
  const indexOf = (result: ResultRecord): number => {
    const key = seriesKey(result.providerId, result.promptId);
    let index = seriesIndex.get(key);
    if (index === undefined) {
      index = seriesIndex.size;
      seriesIndex.set(key, index);
      latencies.push([]);
      costs.push({ sum: 0, n: 0 });
    }
    return index;
  };
  // Stored order first, so series read as in the run's table.
  for (const summary of summaries) indexOf({ providerId: summary.providerId, promptId: summary.promptId } as ResultRecord);

  const categories = new Map<string, Array<{ passed: number; scored: number }>>();
  const flipped: EmbeddedCase[] = [];
  const notPassed: EmbeddedCase[] = [];
  const passedSample = new Reservoir<EmbeddedCase>(maxCases, seededRandom(options.seed ?? 1));
  let results = 0;
  let notPassedCount = 0;
  let flippedCount = 0;
  let paired = 0;
  let passToFail = 0;
  let failToPass = 0;

  for await (const result of eachResult(storage, { runId: run.id }, PAGE_SIZE)) {
    results++;
    computed?.add(result);
    const series = indexOf(result);
    const outcome = resultOutcome(result);
    if (outcome !== 'errored' && result.latencyMs !== null) latencies[series]!.push(result.latencyMs);
    if (result.costUsd !== null) {
      costs[series]!.sum += result.costUsd;
      costs[series]!.n++;
    }
    if (guessedField === undefined) guessedField = CATEGORY_GUESSES.find((name) => fieldValue(result.vars, [name]) !== undefined) ?? null;
    const category = guessedField ? (fieldValue(result.vars, fieldPath(guessedField)) ?? '(none)') : null;
    if (category !== null && outcome !== 'errored') {
      let cells = categories.get(category);
      if (!cells) categories.set(category, (cells = []));
      while (cells.length <= series) cells.push({ passed: 0, scored: 0 });
      cells[series]!.scored++;
      if (outcome === 'passed') cells[series]!.passed++;
    }
    let flip: EmbeddedCase['flip'] = null;
    if (before && outcome !== 'errored') {
      const was = before.get(pairKey(result));
      if (was !== undefined) {
        paired++;
        if (was && outcome === 'failed') flip = 'pass-to-fail';
        else if (!was && outcome === 'passed') flip = 'fail-to-pass';
        if (flip === 'pass-to-fail') passToFail++;
        if (flip === 'fail-to-pass') failToPass++;
      }
    }
    const make = () => embed(result, series, outcome, category, flip, maxText);
    if (flip) {
      flippedCount++;
      if (flipped.length < maxCases) flipped.push(make());
    }
    if (outcome !== 'passed') notPassedCount++;
    if (flip) continue;
    if (outcome !== 'passed') {
      if (notPassed.length < maxCases) notPassed.push(make());
    } else passedSample.offer(make);
  }

  if (computed) summaries = computed.summaries();
  const edges = latencyEdges(summaries);
  const bySeries = new Map(summaries.map((summary) => [seriesKey(summary.providerId, summary.promptId), summary]));
  const series: SeriesFigures[] = [...seriesIndex].flatMap(([key, index]) => {
    const summary = bySeries.get(key);
    if (!summary) return [];
    return [
      {
        name: seriesName(summary.providerId, summary.promptId),
        providerId: summary.providerId,
        promptId: summary.promptId,
        summary,
        latencyCounts: histogram(latencies[index]!, edges),
        costPerResult: costs[index]!.n === 0 ? null : costs[index]!.sum / costs[index]!.n,
      },
    ];
  });
  // Series indexes on cases follow the first-seen order; map them to the kept series' order.
  const remap = new Map([...seriesIndex.values()].map((index) => [index, series.findIndex((figures) => seriesIndex.get(seriesKey(figures.providerId, figures.promptId)) === index)]));

  const chosen = flipped.slice(0, maxCases);
  const notPassedKept = notPassed.slice(0, maxCases - chosen.length);
  chosen.push(...notPassedKept);
  const passedKept = passedSample.items.slice(0, Math.max(0, maxCases - chosen.length)).sort((a, b) => a.caseIndex - b.caseIndex || a.series - b.series);
  chosen.push(...passedKept);
  for (const embedded of chosen) embedded.series = remap.get(embedded.series) ?? embedded.series;

  const categoryRows: CategoryRow[] = [...categories]
    .map(([name, cells]) => ({ name, cells: [...seriesIndex.values()].map((index) => cells[index] ?? { passed: 0, scored: 0 }) }))
    .sort((a, b) => total(b) - total(a) || (a.name < b.name ? -1 : 1));
  const shownCategories = categoryRows.slice(0, MAX_CATEGORIES).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  return {
    run: {
      id: run.id,
      description: run.description,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      durationMs: run.durationMs,
      configFile: run.configFile,
    },
    totals: run.totals ?? totalsOf(summaries, results),
    series,
    latencyBins: edges,
    categoryField: guessedField ?? null,
    categories: shownCategories,
    categoriesOmitted: Math.max(0, categoryRows.length - MAX_CATEGORIES),
    groups: stored.groups ?? [],
    cases: chosen,
    caseCounts: {
      results,
      notPassed: notPassedCount,
      embeddedNotPassed: notPassedKept.length + chosen.filter((embedded) => embedded.flip === 'pass-to-fail').length,
      embeddedPassed: passedKept.length + chosen.filter((embedded) => embedded.flip === 'fail-to-pass').length,
      flipped: flippedCount,
      textLimit: maxText,
    },
    compared: other ? comparedRun(other, paired, passToFail, failToPass) : null,
    comparison: options.comparison ?? null,
    generatedAt: new Date().toISOString(),
  };
}

const total = (row: CategoryRow) => row.cells.reduce((sum, cell) => sum + cell.scored, 0);

function totalsOf(summaries: readonly ProviderSummary[], results: number): RunTotals {
  const sum = (pick: (summary: ProviderSummary) => number) => summaries.reduce((acc, summary) => acc + pick(summary), 0);
  return {
    cases: 0,
    results,
    passed: sum((s) => s.passed),
    failed: sum((s) => s.failed),
    errors: sum((s) => s.errors),
    inputTokens: sum((s) => s.inputTokens),
    outputTokens: sum((s) => s.outputTokens),
    costUsd: sum((s) => s.costUsd ?? 0),
    invalidRows: 0,
  };
}

function comparedRun(run: RunRecord, paired: number, passToFail: number, failToPass: number): ComparedRun {
  return {
    runId: run.id,
    description: run.description,
    series: (storedSummary(run).providers ?? []).map((summary) => ({ name: seriesName(summary.providerId, summary.promptId), summary })),
    paired,
    passToFail,
    failToPass,
  };
}

function embed(result: ResultRecord, series: number, outcome: EmbeddedCase['outcome'], category: string | null, flip: EmbeddedCase['flip'], maxText: number): EmbeddedCase {
  return {
    caseId: caseText(result.caseId, 200),
    caseIndex: result.caseIndex,
    series,
    repeat: result.repeat,
    outcome,
    category,
    flip,
    prompt: caseText(promptText(result.prompt), maxText),
    output: caseText(result.output ?? '', maxText),
    scores: result.scores.map((score) => ({ name: score.name, passed: score.passed, score: score.score, reason: caseText(score.reason ?? '', maxText) })),
    error: result.errorKind ? caseText(`${result.errorKind}: ${result.errorMessage ?? ''}`, maxText) : null,
    latencyMs: result.latencyMs,
    costUsd: result.costUsd,
  };
}
