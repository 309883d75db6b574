/**
 * `compareRuns`: every pair of sides (provider × prompt) within one run, or of two runs matched
 * by provider and prompt, compared on their paired cases, with verdicts corrected for the number
 * of comparisons made. The pairing and aggregation are storage's (SQL); this file decides which
 * pairs to make and applies the statistics.
 */
import type { PairedResultsAnswer, ResultSideListing, ResultSideSummary, RunRecord, Storage } from '@llm-lab/storage';
import { analysePair, verdictFor, type PairOptions } from './pair-analysis.js';
import { adjustPValues, describeCorrection, type Correction } from './stats/index.js';
import type { Comparison, PairComparison, RunRef, SideRef } from './types.js';

/** What `compareRuns` needs of a storage. */
export type ComparisonStore = Pick<Storage, 'getRun' | 'listResultSides' | 'describeResultSides' | 'pairResults'>;

export interface CompareOptions {
  /** A run id, or a unique start or end of one. */
  runA: string;
  /** A second run: its sides are paired with runA's by provider and prompt. Absent: runA's sides with each other. */
  runB?: string;
  /** A field of each case's vars (dotted path) to break each comparison down by: `subject`, `category`, `meta.tag`. */
  by?: string;
  /** A field naming each case's cluster (MMLU's `subject`, a passage id): clustered standard errors. */
  cluster?: string;
  /** Default `holm`. */
  correction?: Correction;
  /** A significant difference smaller than this (0–1) is not called a win or a regression. Default 0. */
  minEffect?: number;
  /** Compare pass/fail (default) or the mean evaluator score. */
  metric?: 'passed' | 'score';
  /** Default 0.05. */
  alpha?: number;
  /** Seed of every bootstrap. Default 1. */
  seed?: number;
}

/** Why a comparison could not be made: the message names the input and what to do. */
export class ComparisonError extends Error {
  constructor(
    readonly code: 'run_not_found' | 'compare_nothing_to_pair' | 'compare_invalid_option',
    message: string,
  ) {
    super(message);
    this.name = 'ComparisonError';
  }
}

async function findRun(storage: ComparisonStore, id: string): Promise<RunRecord> {
  const run = await storage.getRun(id);
  if (!run) throw new ComparisonError('run_not_found', `run "${id}" not found; list stored runs with: llm-lab runs list`);
  return run;
}

const runRef = (run: RunRecord): RunRef => ({ id: run.id, description: run.description, startedAt: run.startedAt.toISOString() });

/** The providers' labels in the order the run's config lists them (the first is the baseline). */
function configOrder(run: RunRecord): string[] {
  const providers = (run.resolvedConfig as { providers?: Array<string | { id: string; label?: string }> } | null)?.providers ?? [];
  return providers.map((entry) => (typeof entry === 'string' ? entry : (entry.label ?? entry.id)));
}

function sortSides<Side extends { providerId: string; promptId: string }>(sides: Side[], run: RunRecord): Side[] {
  const order = configOrder(run);
  const rank = (side: Side) => {
    const index = order.indexOf(side.providerId);
    return index < 0 ? order.length : index;
  };
  return [...sides].sort((x, y) => rank(x) - rank(y) || x.providerId.localeCompare(y.providerId) || x.promptId.localeCompare(y.promptId));
}

function checkOptions(options: CompareOptions): void {
  if (options.minEffect !== undefined && !(options.minEffect >= 0 && options.minEffect < 1)) {
    throw new ComparisonError('compare_invalid_option', `minEffect must be a difference between 0 and 1 (0.02 for 2 points), got ${options.minEffect}.`);
  }
  if (options.alpha !== undefined && !(options.alpha > 0 && options.alpha < 1)) throw new ComparisonError('compare_invalid_option', `alpha must be between 0 and 1, got ${options.alpha}.`);
  if (options.correction !== undefined && !['holm', 'bh', 'none'].includes(options.correction)) {
    throw new ComparisonError('compare_invalid_option', `correction must be holm or bh (or none), got "${options.correction}".`);
  }
  for (const [name, path] of [['by', options.by], ['cluster', options.cluster]] as const) {
    if (path !== undefined && (path === '' || path.split('.').some((part) => part === ''))) {
      throw new ComparisonError('compare_invalid_option', `${name} must be a field of the cases (subject, category, meta.tag), got "${path}".`);
    }
  }
}

/**
 * Compares runs paired by case id. Returns plain JSON (see {@link Comparison}); reads storage
 * only. Pairs: within one run, every two of its sides (in the config's provider order, so the
 * first provider is A); across two runs, each side of run A with the side of run B that has the
 * same provider label and prompt (or the only side of each, when both have one).
 */
export async function compareRuns(storage: ComparisonStore, options: CompareOptions): Promise<Comparison> {
  checkOptions(options);
  const runA = await findRun(storage, options.runA);
  const runB = options.runB === undefined ? undefined : await findRun(storage, options.runB);
  const correction = options.correction ?? 'holm';
  const metric = options.metric ?? 'passed';
  const alpha = options.alpha ?? 0.05;
  const confidence = 1 - alpha;
  const pairOptions: PairOptions = { metric, alpha, confidence, seed: options.seed ?? 1, minEffect: options.minEffect ?? 0, clustered: options.cluster !== undefined };
  const notes: string[] = [];

  // The sides are found by index probes; their totals come with each pairing (one sample per
  // case, pass/fail) or, otherwise, from one pass that describes them (without the median
  // latency a comparison does not show, and its sort of every result).
  const runIds = runB ? [runA.id, runB.id] : [runA.id];
  const described = await storage.listResultSides(runIds);
  let summaries: Promise<ResultSideSummary[]> | undefined;
  const summaryOf = async (side: ResultSideListing): Promise<ResultSideSummary> => {
    summaries ??= storage.describeResultSides(runIds, { latencyP50: false });
    const found = (await summaries).find((each) => each.runId === side.runId && each.providerId === side.providerId && each.promptId === side.promptId);
    if (!found) throw new ComparisonError('compare_nothing_to_pair', `run ${side.runId} has no results of ${side.providerId} / ${side.promptId} any more; was it deleted while comparing?`);
    return found;
  };
  const sidesA = sortSides(described.filter((side) => side.runId === runA.id), runA);
  const sidesB = runB ? sortSides(described.filter((side) => side.runId === runB.id), runB) : [];
  const prompts = new Set([...sidesA, ...sidesB].map((side) => side.promptId));
  const label = (side: ResultSideListing): string =>
    `${side.providerId}${prompts.size > 1 ? ` / ${side.promptId}` : ''}${runB ? ` (${side.runId === runA.id ? 'A' : 'B'} run ${side.runId})` : ''}`;
  const ref = (side: ResultSideListing): SideRef => ({ runId: side.runId, providerId: side.providerId, promptId: side.promptId, provider: side.provider, model: side.model, label: label(side) });

  const pairs: Array<[ResultSideListing, ResultSideListing]> = [];
  const unmatched: SideRef[] = [];
  if (!runB) {
    for (let i = 0; i < sidesA.length; i++) for (let j = i + 1; j < sidesA.length; j++) pairs.push([sidesA[i] as ResultSideListing, sidesA[j] as ResultSideListing]);
    if (pairs.length === 0) {
      throw new ComparisonError('compare_nothing_to_pair', `run ${runA.id} has ${sidesA.length === 0 ? 'no results' : 'one provider and prompt only'}; give a second run to compare it with: llm-lab compare ${runA.id} <other-run>`);
    }
  } else {
    const key = (side: ResultSideListing) => `${side.providerId}\u0000${side.promptId}`;
    const inB = new Map(sidesB.map((side) => [key(side), side]));
    for (const side of sidesA) {
      const match = inB.get(key(side));
      if (match) {
        pairs.push([side, match]);
        inB.delete(key(side));
      } else unmatched.push(ref(side));
    }
    unmatched.push(...[...inB.values()].map(ref));
    if (pairs.length === 0 && sidesA.length === 1 && sidesB.length === 1) {
      pairs.push([sidesA[0] as ResultSideListing, sidesB[0] as ResultSideListing]);
      unmatched.length = 0;
      notes.push(`the runs share no provider label and prompt; their only sides were paired: ${sidesA[0]?.providerId} with ${sidesB[0]?.providerId}`);
    }
    if (pairs.length === 0) {
      throw new ComparisonError('compare_nothing_to_pair', `runs ${runA.id} and ${runB.id} share no provider label and prompt (A has ${sidesA.map((side) => side.providerId).join(', ') || 'no results'}; B has ${sidesB.map((side) => side.providerId).join(', ') || 'no results'}); compare runs of the same providers, or each run on its own`);
    }
  }

  const compared: PairComparison[] = [];
  for (const [sideA, sideB] of pairs) {
    const answer: PairedResultsAnswer = await storage.pairResults({
      a: { runId: sideA.runId, providerId: sideA.providerId, promptId: sideA.promptId },
      b: { runId: sideB.runId, providerId: sideB.providerId, promptId: sideB.promptId },
      metric,
      oneSample: sideA.repeats === 1 && sideB.repeats === 1,
      ...(options.by !== undefined ? { by: options.by } : {}),
      ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    });
    const totals = answer.sideTotals;
    const [ratesA, ratesB] = totals
      ? [{ ...totals.a, meanScore: null }, { ...totals.b, meanScore: null }]
      : await Promise.all([summaryOf(sideA), summaryOf(sideB)]);
    compared.push(analysePair(ref(sideA), ref(sideB), ratesA, ratesB, answer, pairOptions));
  }

  // The family of the overall verdicts is every pair; each pair's categories are a family of their own.
  const adjustment = correction === 'none' || compared.length < 2 ? undefined : `${correction === 'holm' ? 'Holm' : 'BH'}-adjusted over ${compared.length} comparisons`;
  const adjusted = adjustPValues(compared.map((pair) => pair.test.pValue), correction);
  compared.forEach((pair, index) => {
    pair.test.pAdjusted = adjusted[index] as number;
    pair.verdict = verdictFor(pair.a.label, pair.b.label, { ...pair.difference, test: pair.test, mde: pair.minimumDetectableEffect }, pair.n, pairOptions, adjustment);
    const groupAdjusted = adjustPValues(pair.groups.map((group) => group.test.pValue), correction);
    const groupAdjustment = correction === 'none' || pair.groups.length < 2 ? undefined : `${correction === 'holm' ? 'Holm' : 'BH'}-adjusted over ${pair.groups.length} categories`;
    pair.groups.forEach((group, groupIndex) => {
      group.test.pAdjusted = groupAdjusted[groupIndex] as number;
      group.verdict = verdictFor(pair.a.label, pair.b.label, { ...group, mde: group.minimumDetectableEffect }, group.n, pairOptions, groupAdjustment);
    });
    if (pair.n === 0) notes.push(`${pair.a.label} and ${pair.b.label} share no scored case: nothing to compare`);
    if (pair.unpairedA + pair.unpairedB > 0) notes.push(`${pair.a.label} vs ${pair.b.label}: ${pair.unpairedA + pair.unpairedB} scored cases lack a scored counterpart (errors, or cases one side lacks) and are left out`);
  });
  if (options.by !== undefined && compared.every((pair) => pair.groups.every((group) => group.group === null))) {
    notes.push(`no case has a value in "${options.by}": check the field name against the dataset's columns`);
  }

  return {
    version: 1,
    runA: runRef(runA),
    ...(runB ? { runB: runRef(runB) } : {}),
    metric,
    alpha,
    confidence,
    correction,
    correctionDescription: describeCorrection(correction),
    minEffect: pairOptions.minEffect,
    by: options.by ?? null,
    cluster: options.cluster ?? null,
    pairs: compared,
    unmatched,
    regressions: compared.filter((pair) => pair.verdict.outcome === 'b-worse').length,
    notes,
  };
}
