/**
 * The leaderboard: models across stored runs, ranked per suite by accuracy with Wilson intervals,
 * HELM's mean win rate across suites (Liang et al., "Holistic Evaluation of Language Models",
 * 2022, §4: the share of other models a model beats on a suite, averaged over suites), and the
 * cost/latency Pareto front (a model is dominated when another is at least as accurate, as cheap
 * and as fast, and better on one of them). Read from storage's per-side sums; no result is loaded.
 */
import { wilsonInterval } from '@llm-lab/evaluation';
import type { ResultSideSummary, RunRecord, Storage } from '@llm-lab/storage';

export type LeaderboardStore = Pick<Storage, 'listRuns' | 'describeResultSides'>;

export interface LeaderboardEntry {
  rank: number;
  /** The model as the vendor reported it, else the provider id, else the label. */
  model: string;
  label: string;
  runId: string;
  accuracy: number | null;
  lower: number | null;
  upper: number | null;
  scored: number;
  /** Mean cost per result (USD) and median latency (ms). */
  costPerCase: number | null;
  latencyP50Ms: number | null;
  /** On the Pareto front of accuracy, cost and latency within the suite. */
  pareto: boolean;
  /** The models that dominate this one. */
  dominatedBy: string[];
}

export interface SuiteBoard {
  /** The run's description up to " · " (a bench suite's title), else its dataset's file name. */
  suite: string;
  entries: LeaderboardEntry[];
}

export interface Leaderboard {
  version: 1;
  suites: SuiteBoard[];
  /** Models by mean win rate across the suites they appear in with at least one other model. */
  overall: Array<{ model: string; meanWinRate: number | null; suites: number }>;
  notes: string[];
}

/** The suite a run belongs to. */
export function suiteOf(run: RunRecord): string {
  const description = run.description?.split(' · ')[0]?.trim();
  if (description) return description;
  const dataset = (run.resolvedConfig as { dataset?: { path?: string } } | null)?.dataset?.path;
  return dataset ? (dataset.split('/').pop() ?? dataset) : '(no description)';
}

const modelOf = (side: ResultSideSummary) => side.model ?? side.provider ?? side.providerId;

/**
 * Builds the leaderboard from the newest `limit` runs (default 200; completed ones only). With
 * `suite`, only runs whose suite or description contains it (case-insensitive). The newest run of
 * each model in a suite stands for it.
 */
export async function buildLeaderboard(storage: LeaderboardStore, options: { suite?: string; limit?: number } = {}): Promise<Leaderboard> {
  const runs = (await storage.listRuns({ limit: options.limit ?? 200 })).filter((run) => run.status === 'completed');
  const wanted = options.suite?.toLowerCase();
  const chosen = wanted ? runs.filter((run) => suiteOf(run).toLowerCase().includes(wanted) || (run.description ?? '').toLowerCase().includes(wanted)) : runs;
  const notes: string[] = [];
  if (chosen.length === 0) {
    notes.push(wanted ? `no completed run matches suite "${options.suite}"` : 'no completed runs yet');
    return { version: 1, suites: [], overall: [], notes };
  }
  const sides = await storage.describeResultSides(chosen.map((run) => run.id));
  const runById = new Map(chosen.map((run) => [run.id, run]));
  // Newest first from listRuns: the first side seen per (suite, model) wins.
  const order = new Map(chosen.map((run, index) => [run.id, index]));
  sides.sort((x, y) => (order.get(x.runId) ?? 0) - (order.get(y.runId) ?? 0));
  const bySuite = new Map<string, Map<string, ResultSideSummary[]>>();
  for (const side of sides) {
    const suite = suiteOf(runById.get(side.runId) as RunRecord);
    const models = bySuite.get(suite) ?? new Map<string, ResultSideSummary[]>();
    bySuite.set(suite, models);
    const model = modelOf(side);
    const kept = models.get(model);
    // One run per model and suite; its prompts' results are pooled.
    if (!kept) models.set(model, [side]);
    else if (kept[0]?.runId === side.runId) kept.push(side);
  }

  const suites: SuiteBoard[] = [];
  for (const [suite, models] of [...bySuite].sort(([x], [y]) => x.localeCompare(y))) {
    const entries = [...models].map(([model, group]): LeaderboardEntry => {
      const scored = group.reduce((sum, side) => sum + side.scored, 0);
      const passed = group.reduce((sum, side) => sum + side.passed, 0);
      const results = group.reduce((sum, side) => sum + side.results, 0);
      const interval = scored > 0 ? wilsonInterval(passed, scored) : null;
      const latencies = group.map((side) => side.latencyP50Ms).filter((value): value is number => value !== null);
      return {
        rank: 0,
        model,
        label: group.map((side) => side.providerId).filter((value, index, all) => all.indexOf(value) === index).join(', '),
        runId: group[0]?.runId as string,
        accuracy: scored > 0 ? passed / scored : null,
        lower: interval?.lower ?? null,
        upper: interval?.upper ?? null,
        scored,
        costPerCase: results > 0 ? group.reduce((sum, side) => sum + side.costUsd, 0) / results : null,
        latencyP50Ms: latencies.length > 0 ? latencies.reduce((sum, value) => sum + value, 0) / latencies.length : null,
        pareto: true,
        dominatedBy: [],
      };
    });
    entries.sort((x, y) => (y.accuracy ?? -1) - (x.accuracy ?? -1) || x.model.localeCompare(y.model));
    entries.forEach((entry, index) => {
      entry.rank = index > 0 && entries[index - 1]?.accuracy === entry.accuracy ? (entries[index - 1] as LeaderboardEntry).rank : index + 1;
    });
    const notWorse = (x: number | null, y: number | null, higher: boolean) => x === null || y === null || (higher ? x >= y : x <= y);
    const better = (x: number | null, y: number | null, higher: boolean) => x !== null && y !== null && (higher ? x > y : x < y);
    for (const entry of entries) {
      entry.dominatedBy = entries
        .filter(
          (other) =>
            other !== entry &&
            notWorse(other.accuracy, entry.accuracy, true) &&
            notWorse(other.costPerCase, entry.costPerCase, false) &&
            notWorse(other.latencyP50Ms, entry.latencyP50Ms, false) &&
            (better(other.accuracy, entry.accuracy, true) || better(other.costPerCase, entry.costPerCase, false) || better(other.latencyP50Ms, entry.latencyP50Ms, false)),
        )
        .map((other) => other.model);
      entry.pareto = entry.dominatedBy.length === 0;
    }
    suites.push({ suite, entries });
  }

  const wins = new Map<string, number[]>();
  for (const { entries } of suites) {
    const rated = entries.filter((entry) => entry.accuracy !== null);
    if (rated.length < 2) continue;
    for (const entry of rated) {
      let beaten = 0;
      for (const other of rated) {
        if (other === entry) continue;
        if ((entry.accuracy as number) > (other.accuracy as number)) beaten += 1;
        else if (entry.accuracy === other.accuracy) beaten += 0.5;
      }
      wins.set(entry.model, [...(wins.get(entry.model) ?? []), beaten / (rated.length - 1)]);
    }
  }
  const allModels = new Set(suites.flatMap((suite) => suite.entries.map((entry) => entry.model)));
  const overall = [...allModels]
    .map((model) => {
      const rates = wins.get(model) ?? [];
      return { model, meanWinRate: rates.length > 0 ? rates.reduce((sum, value) => sum + value, 0) / rates.length : null, suites: rates.length };
    })
    .sort((x, y) => (y.meanWinRate ?? -1) - (x.meanWinRate ?? -1) || x.model.localeCompare(y.model));
  return { version: 1, suites, overall, notes };
}

/** The leaderboard as plain text (or Markdown with `markdown: true`). */
export function renderLeaderboard(board: Leaderboard, options: { markdown?: boolean } = {}): string {
  const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
  const lines: string[] = [];
  const table = (headers: string[], rows: string[][]) => {
    if (options.markdown) {
      lines.push(`| ${headers.join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`));
      return;
    }
    const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
    for (const row of [headers, ...rows]) lines.push(row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd());
  };
  for (const suite of board.suites) {
    lines.push(options.markdown ? `### ${suite.suite}` : suite.suite, '');
    table(
      ['#', 'model', 'accuracy (95% CI)', 'cases', 'cost/case', 'p50 latency', 'Pareto'],
      suite.entries.map((entry) => [
        String(entry.rank),
        entry.model,
        entry.accuracy === null ? '—' : `${pct(entry.accuracy)} [${pct(entry.lower)}, ${pct(entry.upper)}]`,
        entry.scored.toLocaleString('en'),
        entry.costPerCase === null || entry.costPerCase === 0 ? '—' : `$${entry.costPerCase.toPrecision(3)}`,
        entry.latencyP50Ms === null ? '—' : `${entry.latencyP50Ms.toFixed(0)} ms`,
        entry.pareto ? 'front' : `dominated by ${entry.dominatedBy.join(', ')}`,
      ]),
    );
    lines.push('');
  }
  if (board.overall.some((entry) => entry.meanWinRate !== null)) {
    lines.push(options.markdown ? '### Mean win rate across suites (HELM)' : 'Mean win rate across suites (HELM)', '');
    table(['model', 'mean win rate', 'suites'], board.overall.map((entry) => [entry.model, pct(entry.meanWinRate), String(entry.suites)]));
    lines.push('');
  }
  for (const note of board.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n').trimEnd()}\n`;
}
