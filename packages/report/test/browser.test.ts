import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { writeReport, type ReportData } from '../src/index.js';
import { embeddedLab, SLOW_HOOK_MS, twoModelConfig, type LabFixture } from './helpers.js';

// Debian's chromium (apt-get install -y chromium; .ci/run installs it): no browser is downloaded.
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path): path is string => !!path && existsSync(path));
/** Flags that work as root and offline (docs: /work/shared/design/toolchain.md). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/** Screenshots and the report itself are kept here for a person to look at (gitignored). */
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

if (!CHROMIUM) process.stderr.write('report browser tests skipped: no chromium binary (install Debian\'s: apt-get install -y chromium, or set CHROMIUM_PATH)\n');
const describeWithBrowser = CHROMIUM ? describe : describe.skip;

describeWithBrowser('the HTML report in Chromium', () => {
  let fixture: LabFixture;
  let browser: Browser;
  let page: Page;
  let data: ReportData;
  const offsite: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fixture = await embeddedLab('browser');
    const baseline = await fixture.lab.run(twoModelConfig(3, 'baseline'), { concurrency: 8 });
    const candidate = await fixture.lab.run(twoModelConfig(11, 'candidate'), { concurrency: 8 });
    await mkdir(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'report.html');
    ({ data } = await writeReport(fixture.storage, candidate.runId, file, { compare: baseline.runId }));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The report must load nothing: every request but the file itself is refused and recorded.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(file).href) return route.continue();
      offsite.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  }, SLOW_HOOK_MS);

  const matching = async () => Number(await page.getAttribute('#case-count', 'data-matching'));
  const shownCases = () => page.$$eval('#case-list details.case', (items) => items.map((item) => ({ id: item.getAttribute('data-case'), className: item.className, text: item.textContent ?? '' })));

  it('draws every chart: a bar and an interval per provider, a latency box each, a priced point, a topic × provider grid', async () => {
    expect(await page.locator('#chart-accuracy rect.bar').count()).toBe(2);
    expect(await page.locator('#chart-accuracy g.interval').count()).toBe(2);
    expect(await page.locator('#chart-latency g.latency-series').count()).toBe(2);
    expect(await page.locator('#chart-latency rect.latency-box').count()).toBe(2);
    // Only mock:alpha has a price.
    expect(await page.locator('#chart-cost circle.point').count()).toBe(1);
    expect(await page.locator('#chart-heatmap rect.cell').count()).toBe(4 * 2);
    // The bars are drawn to scale: alpha's width over beta's is their accuracies' ratio.
    const widths = await page.$$eval('#chart-accuracy rect.bar', (bars) => bars.map((bar) => (bar as SVGRectElement).getBBox().width));
    const [alpha, beta] = data.series.map((s) => s.summary.accuracy!);
    expect(widths[0]! / widths[1]!).toBeCloseTo(alpha! / beta!, 1);
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('lists the cases a page at a time and narrows them with the filters and the search', async () => {
    expect(await matching()).toBe(120);
    expect(await shownCases()).toHaveLength(50);
    await page.click('#case-next');
    expect((await page.textContent('#case-count'))?.startsWith('Showing 51–100 of 120')).toBe(true);

    await page.selectOption('#case-outcome', 'failed');
    const failed = data.cases.filter((c) => c.outcome === 'failed').length;
    expect(await matching()).toBe(failed);
    expect((await shownCases()).every((c) => c.className.includes('failed'))).toBe(true);

    await page.selectOption('#case-outcome', 'flipped');
    expect(await matching()).toBe(data.compared!.passToFail + data.compared!.failToPass);
    expect((await shownCases()).every((c) => /pass → fail|fail → pass/.test(c.text))).toBe(true);

    await page.selectOption('#case-outcome', 'all');
    await page.selectOption('#case-category', 'logic');
    expect(await matching()).toBe(data.cases.filter((c) => c.category === 'logic').length);
    expect((await shownCases()).every((c) => c.text.includes('logic'))).toBe(true);

    await page.selectOption('#case-category', { index: 0 });
    await page.fill('#case-search', 'Q7 ');
    expect((await shownCases()).map((c) => c.id)).toEqual(['q7', 'q7']);
  });

  it("shows a case's prompt, output and evaluator reasons as text, never as markup", async () => {
    await page.click('#case-list details.case >> nth=0 >> summary');
    const body = page.locator('#case-list details.case >> nth=0 >> .case-body');
    await expect(body.textContent()).resolves.toContain('user: What is 7 + 7?');
    await expect(body.locator('h4').allTextContents()).resolves.toEqual(expect.arrayContaining(['Prompt', 'Output', 'Evaluators']));
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    const expected = data.cases.find((c) => c.caseId === 'q7' && c.series === 0)!;
    if (expected.scores[0]) await expect(body.textContent()).resolves.toContain(expected.scores[0].reason.slice(0, 40));
    await page.fill('#case-search', '');
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
