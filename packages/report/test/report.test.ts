import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sampleResult } from '@llm-lab/storage/testing';
import { buildReport, collectReportData, LATENCY_QUANTILES, type ReportComparison } from '../src/index.js';
import { embeddedLab, SLOW_HOOK_MS, twoModelConfig, type LabFixture } from './helpers.js';

describe('the report of a stored run', () => {
  let fixture: LabFixture;
  let runId: string;
  let baselineId: string;
  beforeAll(async () => {
    fixture = await embeddedLab('data');
    baselineId = (await fixture.lab.run(twoModelConfig(3, 'baseline'), { concurrency: 8 })).runId;
    runId = (await fixture.lab.run(twoModelConfig(11, 'candidate'), { concurrency: 8 })).runId;
  }, SLOW_HOOK_MS);
  afterAll(async () => fixture?.close(), SLOW_HOOK_MS);

  it('gathers the stored figures, the latency quantiles of every successful call and the cases by topic, from indexed reads', async () => {
    const data = await collectReportData(fixture.storage, runId);
    expect(data.read).toBe('indexed');
    const run = await fixture.lab.getRun(runId);
    expect(data.series.map((s) => s.name)).toEqual(['mock:alpha', 'mock:beta']);
    const stored = (run!.run.summary as { providers: Array<{ accuracy: number }> }).providers;
    expect(data.series.map((s) => s.summary.accuracy)).toEqual(stored.map((p) => p.accuracy));
    // By hand: each series' successful latencies sorted, taken at the nearest rank of each quantile.
    for (const series of data.series) {
      const latencies: number[] = [];
      for await (const result of fixture.lab.eachResult({ runId, filter: { providerId: series.providerId } })) {
        if (result.errorKind === null && result.passed !== null && result.latencyMs !== null) latencies.push(result.latencyMs);
      }
      latencies.sort((a, b) => a - b);
      expect(series.latencyQuantiles).toEqual(LATENCY_QUANTILES.map((q) => latencies[Math.round(q * (latencies.length - 1))]));
    }
    expect(data.series.map((s) => s.latencySample)).toEqual([null, null]);
    // Estimated from windows of cases once a run has more calls than the exact limit: sixty cases
    // in twenty windows are all of them, so the estimate is exact here and counts every call.
    const sampled = await collectReportData(fixture.storage, runId, { exactLatencyUpTo: 10 });
    expect(sampled.series.map((s) => s.latencyQuantiles)).toEqual(data.series.map((s) => s.latencyQuantiles));
    expect(sampled.series.map((s) => s.latencySample)).toEqual(data.series.map((s) => s.summary.passed + s.summary.failed));
    expect((await buildReport(fixture.storage, runId, { exactLatencyUpTo: 10 })).html).toContain('estimated from the calls of a sample of cases');
    // Read whole (a comparison needs every result), the figures are the same.
    const whole = await collectReportData(fixture.storage, runId, { compare: baselineId });
    expect(whole.read).toBe('full');
    expect(whole.series.map((s) => s.latencyQuantiles)).toEqual(data.series.map((s) => s.latencyQuantiles));
    expect(whole.categories).toEqual(data.categories);
    expect(data.categoryField).toBe('topic');
    expect(data.categories.map((c) => c.name)).toEqual(['algebra', 'geometry', 'logic', 'probability']);
    const scored = data.categories.reduce((sum, c) => sum + c.cells[0]!.scored, 0);
    expect(scored).toBe(data.series[0]!.summary.passed + data.series[0]!.summary.failed);
    expect(data.series[0]!.costPerResult).toBeGreaterThan(0);
    expect(data.series[1]!.costPerResult).toBeNull();
    // 120 results under the default cap: every one is embedded, the ones that did not pass first.
    expect(data.cases).toHaveLength(120);
    const firstPassed = data.cases.findIndex((c) => c.outcome === 'passed');
    expect(data.cases.slice(firstPassed).every((c) => c.outcome === 'passed')).toBe(true);
  });

  it('fills the room the results that did not pass leave with passed ones from windows spread over the run', async () => {
    const notPassed = (await collectReportData(fixture.storage, runId, { maxCases: 0 })).caseCounts.notPassed;
    const data = await collectReportData(fixture.storage, runId, { maxCases: notPassed + 20, seed: 4 });
    const passed = data.cases.filter((c) => c.outcome === 'passed');
    expect(passed).toHaveLength(20);
    expect(new Set(passed.map((c) => `${c.caseId}/${c.series}`)).size).toBe(20);
    expect(passed.map((c) => c.caseIndex)).toEqual([...passed.map((c) => c.caseIndex)].sort((a, b) => a - b));
    // Ten windows of cases over 60: the sample reaches past the run's first half.
    expect(Math.max(...passed.map((c) => c.caseIndex)) - Math.min(...passed.map((c) => c.caseIndex))).toBeGreaterThan(30);
  });

  it('summarises a run that has no stored summary (interrupted) from its results', async () => {
    const run = await fixture.storage.createRun({ config: {}, resolvedConfig: {}, description: '<img src=x onerror="alert(1)"> & co' });
    await fixture.storage.insertResults(
      Array.from({ length: 40 }, (_, index) =>
        sampleResult(run.id, { caseId: `c${index}`, caseIndex: index, passed: index % 4 !== 0, latencyMs: index + 1, vars: { subject: index < 20 ? 'art' : '<law>' } }),
      ),
    );
    // What a run stores is text on the page, never markup.
    const { html } = await buildReport(fixture.storage, run.id);
    expect(html).toContain('<h1>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co</h1>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;law&gt;');
    const data = await collectReportData(fixture.storage, run.id);
    expect(data.read).toBe('full');
    expect(data.series.map((s) => [s.name, s.summary.passed, s.summary.failed])).toEqual([['mock:echo', 30, 10]]);
    expect(data.series[0]!.latencyQuantiles).toEqual([1, 3, 11, 21, 30, 38, 40]);
    expect(data.categoryField).toBe('subject');
    expect(data.categories.map((c) => [c.name, c.cells[0]])).toEqual([
      ['<law>', { passed: 15, scored: 20 }],
      ['art', { passed: 15, scored: 20 }],
    ]);
    expect(data.totals).toMatchObject({ results: 40, passed: 30, failed: 10 });
  });

  it('caps the embedded cases, the ones that did not pass first, and says so', async () => {
    const data = await collectReportData(fixture.storage, runId, { maxCases: 30, maxTextChars: 5 });
    expect(data.cases).toHaveLength(30);
    const notPassed = data.caseCounts.notPassed;
    expect(notPassed).toBeGreaterThan(30);
    expect(data.cases.every((c) => c.outcome !== 'passed')).toBe(true);
    expect(data.cases.every((c) => c.prompt.startsWith('user:') && c.prompt.includes('more characters'))).toBe(true);
    const { html } = await buildReport(fixture.storage, runId, { maxCases: 30 });
    expect(html).toContain(`embeds 30 of the run's 120 results`);
  });

  it('pairs the results of a compared run and counts the flips both ways', async () => {
    const data = await collectReportData(fixture.storage, runId, { compare: baselineId });
    const before = new Map<string, boolean>();
    for await (const result of fixture.lab.eachResult({ runId: baselineId })) if (result.errorKind === null) before.set(`${result.caseId}/${result.providerId}`, result.passed === true);
    let passToFail = 0;
    let failToPass = 0;
    for await (const result of fixture.lab.eachResult({ runId })) {
      const was = before.get(`${result.caseId}/${result.providerId}`);
      if (result.errorKind !== null || was === undefined) continue;
      if (was && result.passed === false) passToFail++;
      if (!was && result.passed === true) failToPass++;
    }
    expect(passToFail + failToPass).toBeGreaterThan(0);
    expect(data.compared).toMatchObject({ runId: baselineId, passToFail, failToPass });
    expect(data.cases.filter((c) => c.flip === 'pass-to-fail')).toHaveLength(passToFail);
    expect(data.cases.slice(0, passToFail + failToPass).every((c) => c.flip !== null)).toBe(true);
  });

  it('shows a comparison supplied by the caller, and no verdicts without one', async () => {
    const without = await buildReport(fixture.storage, runId, { compare: baselineId });
    expect(without.html).toContain('id="comparison"');
    expect(without.html).not.toContain('class="verdicts"');
    const alone = await buildReport(fixture.storage, runId);
    expect(alone.html).not.toContain('id="comparison"');
    // The fields of the analysis package's comparison the report reads, as it gives them.
    const comparison: ReportComparison = {
      correctionDescription: 'Holm correction over 1 comparison',
      pairs: [
        {
          a: { label: 'mock:alpha' },
          b: { label: 'mock:beta' },
          n: 54,
          difference: { estimate: -0.3, lower: -0.419, upper: -0.181 },
          test: { description: 'McNemar mid-p', pAdjusted: 0.0004 },
          verdict: { outcome: 'b-worse', text: 'B is worse than A by 30.0 points [18.1, 41.9], p < 0.001 (McNemar, 54 paired cases)' },
        },
      ],
    };
    const withStats = await buildReport(fixture.storage, runId, { comparison });
    expect(withStats.html).toContain('<tr class="verdict b-worse"><td>mock:alpha</td><td>mock:beta</td><td class="num">54</td><td class="num">−30.0 <span class="sub">[−41.9, −18.1]</span></td><td class="num">&lt; 0.001</td><td>B is worse than A by 30.0 points');
    expect(withStats.html).toContain('Holm correction over 1 comparison');
  });

  it('names the run it cannot find', async () => {
    await expect(collectReportData(fixture.storage, 'no-such-run')).rejects.toMatchObject({ code: 'run_not_found', message: expect.stringContaining("'no-such-run'") });
    await expect(collectReportData(fixture.storage, runId, { compare: 'nope' })).rejects.toThrow("--compare run 'nope' is not a stored run");
  });
});
