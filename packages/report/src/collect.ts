import { LLMLabError } from '@llm-lab/core';
import type { GroupSummary, ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, resultOutcome, type ResultRecord, type RunRecord, type RunTotals } from '@llm-lab/storage';
import { fieldValue } from './case-text.js';
import { CATEGORY_GUESSES, readWholeRun } from './read/full-pass.js';
import { caseCountOf, casesToEmbed, categoriesOfGroups, latencyFiguresOf } from './read/indexed-reads.js';
import { PAGE_SIZE, seriesKey, seriesName, type ReportSource } from './read/shared.js';
import type { CategoryRow, ComparedRun, EmbeddedCase, ReportComparison, ReportData, SeriesFigures } from './types.js';

export type { ReportSource } from './read/shared.js';

export interface CollectOptions {
  /** Another run to set beside this one: its figures, and the cases that flipped between them. */
  compare?: string;
  /** The statistics of the comparison, computed by the caller (see {@link ReportComparison}). */
  comparison?: ReportComparison;
  /** Most cases embedded in the page (default 1,000): flipped first, then failed and errored, then a sample of the passed. */
  maxCases?: number;
  /** Most characters of each prompt, output and reason embedded (default 2,000). */
  maxTextChars?: number;
  /** The row field the heat map groups cases by (default: the run's `groups.by`, else `category`, `subject`, `topic` or `group` when cases carry one). */
  categoryField?: string;
  /** Seed of the samples of passed cases and of latencies (default 1). */
  seed?: number;
  /**
   * Latency quantiles are exact up to this many successful calls in the run (default 20,000);
   * above, they are estimated from the calls of 2,000 cases read in windows spread over the run.
   */
  exactLatencyUpTo?: number;
}

export const DEFAULT_MAX_CASES = 1_000;
export const DEFAULT_MAX_TEXT = 2_000;
/** Most categories the heat map shows (the largest); the rest are counted in a note. */
export const MAX_CATEGORIES = 60;

interface StoredSummary {
  providers?: ProviderSummary[];
  groups?: GroupSummary[];
}

type Cells = Map<string, Map<string, { passed: number; scored: number }>>;

async function requireRun(storage: ReportSource, idOrPrefix: string, role: string): Promise<RunRecord> {
  const run = await storage.getRun(idOrPrefix);
  if (!run) throw new LLMLabError('run_not_found', `${role} '${idOrPrefix}' is not a stored run. List runs with: llm-lab runs list`);
  return run;
}

function storedSummary(run: RunRecord): StoredSummary {
  return run.summary !== null && typeof run.summary === 'object' ? (run.summary as StoredSummary) : {};
}

const providerLabels = (run: RunRecord) => [...new Set((storedSummary(run).providers ?? []).map((summary) => summary.providerId))];

/** Outcomes of the compared run, keyed so they pair with this run's results. */
async function comparedOutcomes(storage: ReportSource, run: RunRecord, pairKey: (result: ResultRecord) => string): Promise<Map<string, boolean>> {
  const outcomes = new Map<string, boolean>();
  for await (const result of eachResult(storage, { runId: run.id }, PAGE_SIZE)) {
    if (resultOutcome(result) !== 'errored') outcomes.set(pairKey(result), result.passed === true);
  }
  return outcomes;
}

/** A category field guessed from the first results' rows, or null when they carry none. */
async function guessCategoryField(storage: ReportSource, runId: string): Promise<string | null> {
  const { results } = await storage.listResults({ runId, limit: 20 });
  return CATEGORY_GUESSES.find((name) => results.some((result) => fieldValue(result.vars, [name]) !== undefined)) ?? null;
}

/**
 * Reads a stored run and gathers what its report shows. A finished run is read through its stored
 * summary and a few indexed queries (latency quantiles, the results that did not pass, blocks of
 * passed ones), so the report of a large run costs what its embedded cases cost. A comparison
 * (the cases that flipped), a category the stored groups do not cover, or a run with no stored
 * summary (interrupted) read every result once instead, page by page.
 */
export async function collectReportData(storage: ReportSource, runIdOrPrefix: string, options: CollectOptions = {}): Promise<ReportData> {
  const maxCases = options.maxCases ?? DEFAULT_MAX_CASES;
  const maxText = options.maxTextChars ?? DEFAULT_MAX_TEXT;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(maxCases) || maxCases < 0) throw new LLMLabError('config_report', `maxCases must be a whole number ≥ 0, got ${maxCases}.`);
  if (!Number.isInteger(maxText) || maxText < 1) throw new LLMLabError('config_report', `maxTextChars must be a whole number ≥ 1, got ${maxText}.`);
  const run = await requireRun(storage, runIdOrPrefix, 'Run');
  const other = options.compare ? await requireRun(storage, options.compare, '--compare run') : undefined;
  const stored = storedSummary(run);
  const storedProviders = stored.providers?.length ? stored.providers : undefined;
  const groupsField = stored.groups?.[0]?.by;
  let field: string | null | undefined = options.categoryField ?? groupsField;
  if (field === undefined && !other && storedProviders) field = await guessCategoryField(storage, run.id);
  const indexed = !other && storedProviders !== undefined && (field === null || (field !== undefined && field === groupsField));

  let summaries: ProviderSummary[];
  let keys: string[];
  let quantiles: Map<string, number[] | null>;
  let sampled = new Map<string, number | null>();
  let categories: Cells;
  let flipped: EmbeddedCase[] = [];
  let notPassed: EmbeddedCase[];
  let passedSample: EmbeddedCase[];
  let counts: { results: number; notPassed: number; flipped: number };
  let compared: ComparedRun | null = null;

  if (indexed) {
    summaries = storedProviders;
    keys = summaries.map((summary) => seriesKey(summary.providerId, summary.promptId));
    const at = new Map(keys.map((key, index) => [key, index]));
    const cases = await caseCountOf(storage, run.id);
    const latency = await latencyFiguresOf(storage, run.id, summaries, { cases, seed, ...(options.exactLatencyUpTo !== undefined ? { exactUpTo: options.exactLatencyUpTo } : {}) });
    quantiles = latency.quantiles;
    sampled = latency.sampled;
    categories = field ? categoriesOfGroups(stored.groups ?? []) : new Map();
    ({ notPassed, passedSample } = await casesToEmbed(storage, run, summaries, (result) => at.get(seriesKey(result.providerId, result.promptId)) ?? 0, { maxCases, maxText, seed, categoryField: field ?? null, cases }));
    counts = {
      results: summaries.reduce((sum, summary) => sum + summary.results, 0),
      notPassed: summaries.reduce((sum, summary) => sum + summary.failed + summary.errors, 0),
      flipped: 0,
    };
  } else {
    // Two runs of one provider each under different labels (model A's run against model B's) pair by case alone.
    const labels = providerLabels(run);
    const otherLabels = other ? providerLabels(other) : [];
    const byCaseOnly = labels.length === 1 && otherLabels.length === 1 && labels[0] !== otherLabels[0];
    const pairKey = (result: ResultRecord) => `${result.caseId}\u0000${byCaseOnly ? '' : result.providerId}\u0000${result.promptId}\u0000${result.repeat}`;
    const whole = await readWholeRun(storage, run, {
      summaries: storedProviders,
      categoryField: field,
      ...(other ? { before: { outcomes: await comparedOutcomes(storage, other, pairKey), pairKey } } : {}),
      maxCases,
      maxText,
      seed,
    });
    ({ summaries, categories, flipped, notPassed, passedSample, counts } = whole);
    keys = whole.seriesKeys;
    quantiles = whole.latencyQuantiles;
    field = whole.categoryField;
    if (other) compared = comparedRun(other, whole.counts);
  }

  const byKey = new Map(summaries.map((summary) => [seriesKey(summary.providerId, summary.promptId), summary]));
  const kept = keys.filter((key) => byKey.has(key));
  const series: SeriesFigures[] = kept.map((key) => {
    const summary = byKey.get(key)!;
    return { name: seriesName(summary.providerId, summary.promptId), providerId: summary.providerId, promptId: summary.promptId, summary, latencyQuantiles: quantiles.get(key) ?? null, latencySample: sampled.get(key) ?? null, costPerResult: summary.costPerCaseUsd?.mean ?? null };
  });
  // Case series indexes follow `keys`; a result of a series the stored summary lacks is left out.
  const remap = keys.map((key) => kept.indexOf(key));
  const chosen = [...flipped.slice(0, maxCases)];
  const notPassedKept = notPassed.slice(0, maxCases - chosen.length);
  chosen.push(...notPassedKept);
  const passedKept = passedSample.slice(0, Math.max(0, maxCases - chosen.length)).sort((a, b) => a.caseIndex - b.caseIndex || a.series - b.series);
  chosen.push(...passedKept);
  const cases = chosen.flatMap((embedded) => (remap[embedded.series]! < 0 ? [] : [{ ...embedded, series: remap[embedded.series]! }]));

  const categoryRows: CategoryRow[] = [...categories]
    .map(([name, cells]) => ({ name, cells: kept.map((key) => cells.get(key) ?? { passed: 0, scored: 0 }) }))
    .sort((a, b) => total(b) - total(a) || (a.name < b.name ? -1 : 1));

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
    totals: run.totals ?? totalsOf(summaries, counts.results),
    series,
    read: indexed ? 'indexed' : 'full',
    categoryField: categoryRows.length > 0 ? (field ?? null) : null,
    categories: categoryRows.slice(0, MAX_CATEGORIES).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    categoriesOmitted: Math.max(0, categoryRows.length - MAX_CATEGORIES),
    groups: stored.groups ?? [],
    cases,
    caseCounts: {
      results: counts.results,
      notPassed: counts.notPassed,
      embeddedNotPassed: notPassedKept.length + chosen.filter((embedded) => embedded.flip === 'pass-to-fail').length,
      embeddedPassed: passedKept.length + chosen.filter((embedded) => embedded.flip === 'fail-to-pass').length,
      flipped: counts.flipped,
      textLimit: maxText,
    },
    compared,
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

function comparedRun(run: RunRecord, counts: { paired: number; passToFail: number; failToPass: number }): ComparedRun {
  return {
    runId: run.id,
    description: run.description,
    series: (storedSummary(run).providers ?? []).map((summary) => ({ name: seriesName(summary.providerId, summary.promptId), summary })),
    paired: counts.paired,
    passToFail: counts.passToFail,
    failToPass: counts.failToPass,
  };
}
