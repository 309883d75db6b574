import { describe, expect, it } from '@jest/globals';
import { normalQuantile, percentile, ProviderStatsAccumulator, wilsonInterval, type NewResult } from '../src/index.js';

describe('wilsonInterval', () => {
  it('matches known values: 8/10 → [0.490, 0.943]', () => {
    const interval = wilsonInterval(8, 10);
    expect(interval.lower).toBeCloseTo(0.4902, 4);
    expect(interval.upper).toBeCloseTo(0.9433, 4);
    expect(interval.confidence).toBe(0.95);
  });

  it('is exact at the edges: 0/10 → [0, 0.278], 10/10 → [0.722, 1]', () => {
    const none = wilsonInterval(0, 10);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeCloseTo(0.2775, 4);
    const all = wilsonInterval(10, 10);
    expect(all.lower).toBeCloseTo(0.7225, 4);
    expect(all.upper).toBe(1);
  });

  it('takes a confidence level or z; 50/100 at 99% → [0.375, 0.625]', () => {
    const interval = wilsonInterval(50, 100, { confidence: 0.99 });
    expect(interval.lower).toBeCloseTo(0.3753, 3);
    expect(interval.upper).toBeCloseTo(0.6247, 3);
    const byZ = wilsonInterval(50, 100, { z: 1 });
    expect(byZ.lower).toBeCloseTo(0.4505, 3);
  });

  it('knows nothing with no trials, and rejects impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1, confidence: 0.95 });
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
  });

  it('uses the standard normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 5);
  });
});

describe('percentile', () => {
  const values = [15, 20, 35, 40, 50];

  it('interpolates linearly by default (NumPy default)', () => {
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 40)).toBeCloseTo(29, 10);
    expect(percentile(values, 95)).toBeCloseTo(48, 10);
    expect(percentile([5, 1, 3], 100)).toBe(5);
  });

  it('offers nearest-rank, which always returns an observed value', () => {
    expect(percentile(values, 30, { method: 'nearest-rank' })).toBe(20);
    expect(percentile(values, 40, { method: 'nearest-rank' })).toBe(20);
    expect(percentile(values, 95, { method: 'nearest-rank' })).toBe(50);
    expect(percentile(values, 0, { method: 'nearest-rank' })).toBe(15);
  });

  it('is undefined for no values', () => {
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('ProviderStatsAccumulator', () => {
  const result = (overrides: Partial<NewResult>): NewResult => ({
    runId: 'r',
    caseId: 'c',
    caseIndex: 0,
    providerId: 'p',
    promptId: 'default',
    repeat: 0,
    prompt: [],
    vars: {},
    output: 'x',
    passed: true,
    scores: [],
    latencyMs: 10,
    timeToFirstTokenMs: null,
    inputTokens: 3,
    outputTokens: 2,
    costUsd: 0.001,
    cached: false,
    attempts: 1,
    errorKind: null,
    errorMessage: null,
    warnings: [],
    ...overrides,
  });

  it('summarises the time calls queued apart from their latency, over answered calls that measured it', () => {
    const stats = new ProviderStatsAccumulator('p', 'default');
    // One model call at a time, 8 in flight: each call takes 5.5 s, the last waited for seven before it.
    for (let i = 0; i < 8; i++) stats.add(result({ latencyMs: 5500, queueMs: i * 5500 }));
    stats.add(result({ latencyMs: 5500, queueMs: null }));
    stats.add(result({ passed: null, output: null, errorKind: 'timeout', errorMessage: 'slow', latencyMs: 60_000, queueMs: 90_000 }));
    const summary = stats.summary();
    expect(summary.latencyMs).toEqual({ p50: 5500, p95: 5500, mean: 5500 });
    expect(summary.queueMs).toEqual({ p50: 19_250, p95: 36_575, mean: 19_250 });
  });

  it('counts passed, failed and errors, with accuracy over scored results only', () => {
    const stats = new ProviderStatsAccumulator('p', 'default');
    for (let i = 0; i < 8; i++) stats.add(result({ latencyMs: (i + 1) * 10 }));
    for (let i = 0; i < 2; i++) stats.add(result({ passed: false, latencyMs: 100 }));
    stats.add(result({ passed: null, output: null, errorKind: 'server', errorMessage: 'boom', latencyMs: 5000, inputTokens: null, outputTokens: null, costUsd: null }));
    const summary = stats.summary();
    expect(summary).toMatchObject({ results: 11, passed: 8, failed: 2, errors: 1, accuracy: 0.8, inputTokens: 30, outputTokens: 20, errorKinds: { server: 1 } });
    expect(summary.errorRate).toBeCloseTo(1 / 11, 10);
    expect(summary.costUsd).toBeCloseTo(0.01, 10);
    expect(summary.accuracyInterval?.lower).toBeCloseTo(0.4902, 4);
    // The failed call's 5 s is not a latency of an answer.
    expect(summary.latencyMs).toEqual({ p50: 55, p95: 100, mean: 56 });
    expect(summary.timeToFirstTokenMs).toBeNull();
    expect(summary.queueMs).toBeNull();
    expect(summary.sampleSizeNote).toMatch(/only 10 scored results: too few cases for a confident claim/);
  });

  it('drops the sample-size note from 30 scored results', () => {
    const stats = new ProviderStatsAccumulator('p', 'default');
    for (let i = 0; i < 30; i++) stats.add(result({ passed: i % 2 === 0 }));
    expect(stats.summary().sampleSizeNote).toBeUndefined();
    expect(stats.summary().accuracy).toBe(0.5);
  });

  it('reports each evaluator\'s pass rate beside the accuracy of the whole result (which needs every evaluator)', () => {
    const stats = new ProviderStatsAccumulator('p', 'default');
    const scores = (truthful: boolean, informative: boolean) => [
      { name: 'truthfulqa', type: 'truthfulqa', passed: truthful, score: truthful ? 1 : 0 },
      { name: 'truthfulqa-informative', type: 'truthfulqa-informative', passed: informative, score: informative ? 1 : 0 },
    ];
    // 4 true and informative, 3 "I have no comment." (true, not informative), 2 informative falsehoods, 1 error.
    for (let i = 0; i < 4; i++) stats.add(result({ passed: true, scores: scores(true, true) }));
    for (let i = 0; i < 3; i++) stats.add(result({ passed: false, scores: scores(true, false) }));
    for (let i = 0; i < 2; i++) stats.add(result({ passed: false, scores: scores(false, true) }));
    stats.add(result({ passed: null, errorKind: 'server', errorMessage: 'boom', scores: [] }));
    const summary = stats.summary();
    expect(summary.accuracy).toBeCloseTo(4 / 9, 12);
    expect(summary.evaluators.map(({ name, type, passed, failed, accuracy }) => ({ name, type, passed, failed, accuracy }))).toEqual([
      { name: 'truthfulqa', type: 'truthfulqa', passed: 7, failed: 2, accuracy: 7 / 9 },
      { name: 'truthfulqa-informative', type: 'truthfulqa-informative', passed: 6, failed: 3, accuracy: 6 / 9 },
    ]);
    expect(summary.evaluators[0]?.accuracyInterval).toEqual(wilsonInterval(7, 9));
  });

  it('reports null accuracy with nothing scored', () => {
    expect(new ProviderStatsAccumulator('p', 'default').summary()).toMatchObject({ results: 0, accuracy: null, accuracyInterval: null, errorRate: null, latencyMs: null });
  });

  it('counts who answered, marking answers from outside the provider’s own answerers as a fallback’s', () => {
    const stats = new ProviderStatsAccumulator('fast', 'default', 0.95, { answerers: ['key-1', 'key-2'] });
    for (let i = 0; i < 3; i++) stats.add(result({ providerId: 'fast', answeredBy: 'key-1' }));
    stats.add(result({ providerId: 'fast', answeredBy: 'key-2', passed: false }));
    for (let i = 0; i < 5; i++) stats.add(result({ providerId: 'fast', answeredBy: 'openai:gpt-4o' }));
    // A cached answer that names no answerer is the provider's own; an error is nobody's answer.
    stats.add(result({ providerId: 'fast', answeredBy: null }));
    stats.add(result({ providerId: 'fast', passed: null, output: null, errorKind: 'server' }));
    expect(stats.summary().answeredBy).toEqual([
      { name: 'openai:gpt-4o', answers: 5, fallback: true },
      { name: 'key-1', answers: 3, fallback: false },
      { name: 'fast', answers: 1, fallback: false },
      { name: 'key-2', answers: 1, fallback: false },
    ]);
  });
});
