import type { GroupSummary, ProviderSummary } from '@llm-lab/evaluation';
import type { ResultOutcome, RunTotals } from '@llm-lab/storage';

/**
 * The statistics of a comparison, as a caller supplies them: the few fields the report shows,
 * named as the analysis package's `Comparison` names them (its `correctionDescription` and
 * `pairs`, each with sides, difference, test and verdict), so that its output can be passed as
 * is. Without one the report shows no verdicts; with `--compare` it still sets both runs side by
 * side and marks the cases that flipped.
 */
export interface ReportComparison {
  /** How the p-values were corrected for many comparisons, in words. */
  correctionDescription?: string;
  pairs: ReportComparisonPair[];
}

/** One compared pair: side A against side B. */
export interface ReportComparisonPair {
  /** How each side is named (a provider label, with its prompt or run when needed). */
  a: { label: string };
  b: { label: string };
  /** Paired cases. */
  n?: number;
  /** B − A on the 0–1 scale, with its interval. */
  difference?: { estimate: number; lower: number; upper: number };
  /** The test the verdict uses: its name and the p-value after correction. */
  test?: { description?: string; pAdjusted?: number };
  /**
   * The verdict in one sentence ("B is better than A by 4.1 points [1.2, 7.0], p = 0.006 (McNemar,
   * 1,319 paired cases)") and its outcome (`b-better`, `b-worse`, `no-detectable-difference`, ...).
   */
  verdict: { text: string; outcome?: string };
}

/** The quantiles of each series' latency the report draws: min, p5, p25, median, p75, p95, max. */
export const LATENCY_QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1] as const;

/** One series of the report: a provider label with a prompt. */
export interface SeriesFigures {
  /** `provider` or `provider (prompt)`. */
  name: string;
  providerId: string;
  promptId: string;
  summary: ProviderSummary;
  /**
   * Latency of successful calls at {@link LATENCY_QUANTILES} (nearest rank), in ms; null with
   * none. Read with a few indexed queries, or from every latency when the run is read whole.
   */
  latencyQuantiles: number[] | null;
  /** When the quantiles were estimated from a sample of cases (a large run), the calls they came from; null when exact. */
  latencySample: number | null;
  /** Mean cost per successful call (the summary's), or null when unpriced. */
  costPerResult: number | null;
}

/** One category (a row field's value) of the heat map: its accuracy per series. */
export interface CategoryRow {
  name: string;
  /** Per series, in the order of {@link ReportData.series}: passed and scored results. */
  cells: Array<{ passed: number; scored: number }>;
}

/** A case as embedded in the page: texts already cut to the report's limit. */
export interface EmbeddedCase {
  caseId: string;
  caseIndex: number;
  series: number;
  repeat: number;
  outcome: ResultOutcome;
  category: string | null;
  /** `pass-to-fail` or `fail-to-pass` against the compared run; null when it did not flip or there is none. */
  flip: 'pass-to-fail' | 'fail-to-pass' | null;
  prompt: string;
  output: string;
  scores: Array<{ name: string; passed: boolean; score: number; reason: string }>;
  error: string | null;
  latencyMs: number | null;
  costUsd: number | null;
}

/** The other run of a `--compare`: its figures beside this run's. */
export interface ComparedRun {
  runId: string;
  description: string | null;
  /** Per series name, its accuracy and interval in that run. */
  series: Array<{ name: string; summary: ProviderSummary }>;
  /** Results of this run paired with one of the other (same case, series and repeat). */
  paired: number;
  passToFail: number;
  failToPass: number;
}

/** Everything the page shows, gathered from storage in one pass over the run's results. */
export interface ReportData {
  run: {
    id: string;
    description: string | null;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    durationMs: number | null;
    configFile: string | null;
  };
  totals: RunTotals;
  series: SeriesFigures[];
  /** How the figures were read: `indexed` (the stored summary and a few indexed queries) or `full` (every result, page by page). */
  read: 'indexed' | 'full';
  /** The field cases were grouped by for the heat map, or null when the cases carry none. */
  categoryField: string | null;
  categories: CategoryRow[];
  /** Categories left out of the heat map (there were more than it shows). */
  categoriesOmitted: number;
  groups: GroupSummary[];
  cases: EmbeddedCase[];
  /** What the embedded cases are out of, for the page's note. */
  caseCounts: { results: number; notPassed: number; embeddedNotPassed: number; embeddedPassed: number; flipped: number; textLimit: number };
  compared: ComparedRun | null;
  comparison: ReportComparison | null;
  generatedAt: string;
}
