import type { NewResult, RunTotals } from '../storage-contract.js';
import { bootstrapMean, type MeanEstimate } from './bootstrap.js';
import { percentile } from './percentile.js';
import { RepeatTracker, type RepeatSummary } from './repeat-stats.js';
import { wilsonInterval, type ProportionInterval } from './wilson.js';

/** Below this many scored results, a summary carries {@link ProviderSummary.sampleSizeNote}. */
export const MIN_CONFIDENT_SAMPLE = 30;

/** Latency percentiles in milliseconds (linear interpolation, see `percentile`). */
export interface LatencySummary {
  p50: number;
  p95: number;
  mean: number;
}

/** One evaluator's pass rate over a provider's scored results (TruthfulQA: truthful, informative). */
export interface EvaluatorSummary {
  /** The evaluator's name (its scores' `name`). */
  name: string;
  type: string;
  passed: number;
  failed: number;
  /** passed / (passed + failed); null with nothing scored. */
  accuracy: number | null;
  /** Wilson score interval of that rate. */
  accuracyInterval: ProportionInterval | null;
}

/** The metrics of one provider (label) with one prompt. */
export interface ProviderSummary {
  /** The provider's label. */
  providerId: string;
  promptId: string;
  /** Results computed (passed + failed + errors). */
  results: number;
  passed: number;
  failed: number;
  /** Results whose call (or template, or evaluator) failed. */
  errors: number;
  /** errors / results; null with no results. */
  errorRate: number | null;
  /** passed / (passed + failed): errors are not counted as wrong answers. Null with nothing scored. */
  accuracy: number | null;
  /** Wilson score interval of the accuracy; null with nothing scored. */
  accuracyInterval: ProportionInterval | null;
  /** Latency of successful calls (the provider call alone, not the wait before it: see `queueMs`); null with none. */
  latencyMs: LatencySummary | null;
  /** Time to first token of successful streamed calls; null with none. */
  timeToFirstTokenMs: LatencySummary | null;
  /**
   * Time successful calls waited before they could start (a concurrency slot, a rate limiter, an
   * open breaker, a local model's turn), kept apart from `latencyMs`; null when none was measured.
   */
  queueMs: LatencySummary | null;
  inputTokens: number;
  outputTokens: number;
  /** Total cost in US dollars; null when no result carried a cost (the model has no known price). */
  costUsd: number | null;
  /** How many errors of each kind (`server`, `rate-limit`, `template`, ...). */
  errorKinds: Record<string, number>;
  /** Mean latency of successful calls with a bootstrap interval (and its sample size). */
  latencyMeanMs: MeanEstimate | null;
  /** Mean cost per successful call with a bootstrap interval; null when unpriced. */
  costPerCaseUsd: MeanEstimate | null;
  /** With `run.repeat` > 1: pass@k, pass^k, per-case variance and flaky cases. */
  repeats: RepeatSummary | null;
  /**
   * Each evaluator's own pass rate over the scored results, in the order first seen. A result
   * passes (`accuracy`) only when every evaluator passed, so with two evaluators `accuracy` is the
   * rate of both at once (TruthfulQA's "true and informative") and these give each alone.
   */
  evaluators: EvaluatorSummary[];
  /**
   * Who produced the answers (results without an error), most answers first: the provider itself
   * (its label, or the member names of a load-balanced provider) or, with `fallback: true`,
   * another provider it fell back to. A result that names no answerer counts as the provider's own.
   */
  answeredBy: AnswererCount[];
  /** Present when fewer than 30 results were scored: say so before drawing conclusions. */
  sampleSizeNote?: string;
}

/** How many of a provider's answers one answerer produced. */
export interface AnswererCount {
  /** The answerer as results record it (`answeredBy`): a provider id, or a load-balanced member's name. */
  name: string;
  answers: number;
  /** True when the answerer is not the provider asked (nor one of its members): a fallback answered. */
  fallback: boolean;
}

function summariseLatency(samples: number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: percentile(sorted, 50, { sorted: true }) as number,
    p95: percentile(sorted, 95, { sorted: true }) as number,
    mean: sum / sorted.length,
  };
}

/**
 * Running metrics for one provider label and prompt, fed one result at a time. Counters are
 * constant-size; latency samples are kept (8 bytes per result) so percentiles are exact.
 */
export class ProviderStatsAccumulator {
  private passed = 0;
  private failed = 0;
  private errors = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private costUsd = 0;
  private priced = false;
  private readonly latencies: number[] = [];
  private readonly timesToFirstToken: number[] = [];
  private readonly queueTimes: number[] = [];
  private readonly costs: number[] = [];
  private readonly repeatTracker: RepeatTracker | undefined;
  private readonly errorKinds: Record<string, number> = {};
  private readonly byEvaluator = new Map<string, { name: string; type: string; passed: number; failed: number }>();
  private readonly answerers = new Map<string, number>();
  private readonly ownAnswerers: ReadonlySet<string>;

  /**
   * `answerers` are the names the provider's own answers carry in `answeredBy` (a managed
   * provider's members, its id); an answer under any other name came from a fallback. The label
   * is always one of them.
   */
  constructor(
    readonly providerId: string,
    readonly promptId: string,
    private readonly confidence = 0.95,
    options: { trackRepeats?: boolean; answerers?: readonly string[] } = {},
  ) {
    this.repeatTracker = options.trackRepeats ? new RepeatTracker() : undefined;
    this.ownAnswerers = new Set([providerId, ...(options.answerers ?? [])]);
  }

  /** Counts one result. */
  add(result: NewResult): void {
    if (result.errorKind !== null || result.passed === null) {
      this.errors++;
      const kind = result.errorKind ?? 'unknown';
      this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
    } else {
      if (result.passed) this.passed++;
      else this.failed++;
      for (const score of result.scores) {
        let tally = this.byEvaluator.get(score.name);
        if (!tally) {
          tally = { name: score.name, type: score.type, passed: 0, failed: 0 };
          this.byEvaluator.set(score.name, tally);
        }
        if (score.passed) tally.passed++;
        else tally.failed++;
      }
      const answerer = result.answeredBy || this.providerId;
      this.answerers.set(answerer, (this.answerers.get(answerer) ?? 0) + 1);
    }
    this.inputTokens += result.inputTokens ?? 0;
    this.outputTokens += result.outputTokens ?? 0;
    if (result.costUsd !== null) {
      this.costUsd += result.costUsd;
      this.priced = true;
      if (result.errorKind === null) this.costs.push(result.costUsd);
    }
    if (this.repeatTracker && result.errorKind === null && result.passed !== null) this.repeatTracker.add(result.caseId, result.passed);
    if (result.errorKind === null && result.latencyMs !== null) this.latencies.push(result.latencyMs);
    if (result.errorKind === null && result.timeToFirstTokenMs !== null) this.timesToFirstToken.push(result.timeToFirstTokenMs);
    if (result.errorKind === null && result.queueMs != null) this.queueTimes.push(result.queueMs);
  }

  /** The metrics so far. */
  summary(): ProviderSummary {
    const results = this.passed + this.failed + this.errors;
    const scored = this.passed + this.failed;
    const summary: ProviderSummary = {
      providerId: this.providerId,
      promptId: this.promptId,
      results,
      passed: this.passed,
      failed: this.failed,
      errors: this.errors,
      errorRate: results === 0 ? null : this.errors / results,
      accuracy: scored === 0 ? null : this.passed / scored,
      accuracyInterval: scored === 0 ? null : wilsonInterval(this.passed, scored, { confidence: this.confidence }),
      latencyMs: summariseLatency(this.latencies),
      timeToFirstTokenMs: summariseLatency(this.timesToFirstToken),
      queueMs: summariseLatency(this.queueTimes),
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: this.priced ? this.costUsd : null,
      errorKinds: { ...this.errorKinds },
      latencyMeanMs: bootstrapMean(this.latencies, { confidence: this.confidence }),
      costPerCaseUsd: this.priced ? bootstrapMean(this.costs, { confidence: this.confidence }) : null,
      repeats: this.repeatTracker?.summary() ?? null,
      evaluators: [...this.byEvaluator.values()].map(({ name, type, passed, failed }) => ({
        name,
        type,
        passed,
        failed,
        accuracy: passed + failed === 0 ? null : passed / (passed + failed),
        accuracyInterval: passed + failed === 0 ? null : wilsonInterval(passed, passed + failed, { confidence: this.confidence }),
      })),
      answeredBy: [...this.answerers]
        .map(([name, answers]) => ({ name, answers, fallback: !this.ownAnswerers.has(name) }))
        .sort((a, b) => b.answers - a.answers || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
    if (scored < MIN_CONFIDENT_SAMPLE) {
      summary.sampleSizeNote = `only ${scored} scored result${scored === 1 ? '' : 's'}: too few cases for a confident claim (aim for at least ${MIN_CONFIDENT_SAMPLE}).`;
    }
    return summary;
  }
}

/** Accumulators per (provider label, prompt id) plus run totals, fed one result at a time. */
export class RunStatsCollector {
  private readonly accumulators = new Map<string, ProviderStatsAccumulator>();
  private readonly totals: RunTotals = {
    cases: 0,
    results: 0,
    passed: 0,
    failed: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    invalidRows: 0,
  };

  private readonly trackRepeats: boolean;

  private readonly answerers = new Map<string, readonly string[]>();

  /**
   * Creates the accumulators up front so summaries list every pair in this order, even with no
   * results. With `repeats` > 1, per-case consistency (pass@k, pass^k, flaky cases) is tracked.
   * A pair's `answerers` are the names its provider's own answers carry (see {@link ProviderStatsAccumulator}).
   */
  constructor(
    pairs: ReadonlyArray<{ providerId: string; promptId: string; answerers?: readonly string[] }> = [],
    options: { repeats?: number } = {},
  ) {
    this.trackRepeats = (options.repeats ?? 1) > 1;
    for (const pair of pairs) if (pair.answerers) this.answerers.set(pair.providerId, pair.answerers);
    for (const pair of pairs) this.accumulatorFor(pair.providerId, pair.promptId);
  }

  private accumulatorFor(providerId: string, promptId: string): ProviderStatsAccumulator {
    const key = `${providerId}\u0000${promptId}`;
    let accumulator = this.accumulators.get(key);
    if (!accumulator) {
      const answerers = this.answerers.get(providerId);
      accumulator = new ProviderStatsAccumulator(providerId, promptId, 0.95, { trackRepeats: this.trackRepeats, ...(answerers ? { answerers } : {}) });
      this.accumulators.set(key, accumulator);
    }
    return accumulator;
  }

  /** Counts one result in its provider's accumulator and in the totals. */
  add(result: NewResult): void {
    this.accumulatorFor(result.providerId, result.promptId).add(result);
    this.totals.results++;
    if (result.errorKind !== null || result.passed === null) this.totals.errors++;
    else if (result.passed) this.totals.passed++;
    else this.totals.failed++;
    this.totals.inputTokens += result.inputTokens ?? 0;
    this.totals.outputTokens += result.outputTokens ?? 0;
    this.totals.costUsd += result.costUsd ?? 0;
  }

  /** Totals so far, with the case and invalid-row counts supplied by the caller. */
  runTotals(counts: { cases: number; invalidRows: number }): RunTotals {
    return { ...this.totals, ...counts };
  }

  /** One summary per (provider, prompt) pair, in first-seen order. */
  summaries(): ProviderSummary[] {
    return [...this.accumulators.values()].map((accumulator) => accumulator.summary());
  }
}
