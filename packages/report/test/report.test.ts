import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildReport, collectReportData } from '../src/index.js';
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

  it('gathers the stored figures, a histogram of every successful call and the cases by topic', async () => {
    const data = await collectReportData(fixture.storage, runId);
    const run = await fixture.lab.getRun(runId);
    expect(data.series.map((s) => s.name)).toEqual(['mock:alpha', 'mock:beta']);
    const stored = (run!.run.summary as { providers: Array<{ accuracy: number }> }).providers;
    expect(data.series.map((s) => s.summary.accuracy)).toEqual(stored.map((p) => p.accuracy));
    for (const series of data.series) {
      const successful = series.summary.passed + series.summary.failed;
      expect(series.latencyCounts.reduce((a, b) => a + b, 0)).toBe(successful);
    }
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
    const verdict = { a: 'mock:alpha', b: 'mock:beta', text: 'B is worse than A by 30.0 points [18.1, 41.9], p < 0.001 (McNemar, 54 paired cases)', significant: true };
    const withStats = await buildReport(fixture.storage, runId, { comparison: { correction: 'holm', verdicts: [verdict] } });
    expect(withStats.html).toContain('B is worse than A by 30.0 points');
    expect(withStats.html).toContain('corrected for many comparisons: holm');
  });

  it('names the run it cannot find', async () => {
    await expect(collectReportData(fixture.storage, 'no-such-run')).rejects.toMatchObject({ code: 'run_not_found', message: expect.stringContaining("'no-such-run'") });
    await expect(collectReportData(fixture.storage, runId, { compare: 'nope' })).rejects.toThrow("--compare run 'nope' is not a stored run");
  });
});
