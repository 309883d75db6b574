import { describe, expect, it } from '@jest/globals';
import type { ProviderSummary, RunReport } from '@llm-lab/lab';
import { renderReport } from '../src/commands/run.js';
import { formatInterval } from '../src/output/format.js';

/** The Wilson score interval (95%), computed here from its formula. */
function wilson(successes: number, trials: number): { lower: number; upper: number } {
  const z = 1.959963984540054;
  const p = successes / trials;
  const centre = (p + (z * z) / (2 * trials)) / (1 + (z * z) / trials);
  const margin = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / (1 + (z * z) / trials);
  return { lower: successes === 0 ? 0 : centre - margin, upper: successes === trials ? 1 : centre + margin };
}

/** The two bounds a formatted interval shows, as fractions. */
const shown = (text: string) => (/^\[(\d+\.\d+)%, (\d+\.\d+)%\]$/.exec(text)?.slice(1) ?? []).map((value) => Number(value) / 100);

describe('formatInterval', () => {
  it('never shows 14,042/14,042 as [100.0%, 100.0%]: the lower bound (99.973%) stays below 100%', () => {
    const interval = wilson(14_042, 14_042);
    expect(interval.lower).toBeCloseTo(0.99973, 5);
    const text = formatInterval(interval);
    expect(text).toBe('[99.97%, 100.00%]');
    expect(shown(text)[0]).toBeLessThan(1);
  });

  it('keeps the usual one decimal for ordinary intervals', () => {
    // 8/10: [49.02%, 94.33%].
    expect(formatInterval(wilson(8, 10))).toBe('[49.0%, 94.3%]');
    expect(formatInterval(wilson(0, 10))).toBe('[0.0%, 27.8%]');
    expect(formatInterval(null)).toBe('-');
  });

  it('never collapses, from 1 to a hundred million trials: different bounds differ, and neither reaches 0% or 100% unless it is', () => {
    for (const trials of [1, 7, 30, 999, 14_042, 100_000, 1_000_000, 100_000_000]) {
      for (const successes of [0, 1, Math.floor(trials / 2), trials - 1, trials]) {
        if (successes < 0 || successes > trials) continue;
        const interval = wilson(successes, trials);
        const [lower, upper] = shown(formatInterval(interval)) as [number, number];
        const ok = lower < upper && (interval.lower === 1 || lower < 1) && (interval.upper === 0 || upper > 0) && Math.abs(lower - interval.lower) < 0.001;
        expect({ trials, successes, ok }).toEqual({ trials, successes, ok: true });
      }
    }
  });
});

describe('the results table', () => {
  const summary = (passed: number, scored: number, evaluators: ProviderSummary['evaluators'] = []): ProviderSummary => ({
    providerId: 'openai:gpt-4o-mini',
    promptId: 'default',
    results: scored,
    passed,
    failed: scored - passed,
    errors: 0,
    errorRate: 0,
    accuracy: passed / scored,
    accuracyInterval: { ...wilson(passed, scored), confidence: 0.95 },
    latencyMs: { p50: 100, p95: 200, mean: 120 },
    queueMs: null,
    timeToFirstTokenMs: null,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: null,
    errorKinds: {},
    latencyMeanMs: null,
    costPerCaseUsd: null,
    repeats: null,
    evaluators,
    answeredBy: [{ name: 'openai:gpt-4o-mini', answers: passed, fallback: false }],
  });
  const report = (providers: ProviderSummary[]) =>
    ({
      runId: 'run-1',
      status: 'completed',
      durationMs: 1000,
      description: 'MMLU',
      providers,
      totals: { cases: providers[0]?.results ?? 0, results: providers[0]?.results ?? 0, passed: 0, failed: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, invalidRows: 0 },
      thresholds: { met: true, failures: [] },
    }) as unknown as RunReport;

  it('shows 14,042 of 14,042 with an interval whose lower end is below 100%', () => {
    const text = renderReport(report([summary(14_042, 14_042)]));
    expect(text).toContain('100.0% [99.97%, 100.00%]');
    expect(text).not.toContain('[100.0%, 100.0%]');
    expect(text).not.toContain('Passed per evaluator');
  });

  it('with two evaluators, shows the pass rate of each beside the accuracy of both', () => {
    const evaluator = (name: string, passed: number, scored: number) => ({ name, type: name, passed, failed: scored - passed, accuracy: passed / scored, accuracyInterval: { ...wilson(passed, scored), confidence: 0.95 } });
    const text = renderReport(report([summary(40, 100, [evaluator('truthfulqa', 90, 100), evaluator('truthfulqa-informative', 45, 100)])]));
    expect(text).toMatch(/openai:gpt-4o-mini\s+100\s+40\s+0\s+40\.0% \[/);
    expect(text).toContain('Passed per evaluator (a case passes when every evaluator passes):\n  openai:gpt-4o-mini: truthfulqa 90.0% [82.6%, 94.5%] · truthfulqa-informative 45.0% [35.6%, 54.8%]');
  });
});
