import type { ReportData, SeriesFigures } from '../types.js';
import { CASE_BROWSER_SCRIPT } from './case-browser-script.js';
import { accuracyChart, costAccuracyChart, heatMap, latencyChart } from './charts.js';
import { count, esc, ms, percent, scriptJson, usd } from './escape.js';
import { REPORT_CSS } from './styles.js';

const interval = (figures: { accuracyInterval: { lower: number; upper: number } | null }) =>
  figures.accuracyInterval ? ` <span class="sub">[${percent(figures.accuracyInterval.lower)}, ${percent(figures.accuracyInterval.upper)}]</span>` : '';

function summaryTable(series: readonly SeriesFigures[]): string {
  const rows = series
    .map(({ name, summary, costPerResult }) => {
      const notes = [summary.sampleSizeNote, ...Object.entries(summary.errorKinds).map(([kind, n]) => `${count(n)} ${kind}`)].filter(Boolean).join(' · ');
      return `<tr><td>${esc(name)}${notes ? `<div class="sub">${esc(notes)}</div>` : ''}</td><td class="num">${count(summary.results)}</td><td class="num">${percent(summary.accuracy)}${interval(summary)}</td><td class="num">${count(summary.errors)}</td><td class="num">${ms(summary.latencyMs?.p50)}</td><td class="num">${ms(summary.latencyMs?.p95)}</td><td class="num">${usd(summary.costUsd)}</td><td class="num">${usd(costPerResult)}</td></tr>`;
    })
    .join('');
  return `<table class="summary"><thead><tr><th>Provider</th><th class="num">Results</th><th class="num">Accuracy [95% interval]</th><th class="num">Errors</th><th class="num">p50 latency</th><th class="num">p95 latency</th><th class="num">Cost</th><th class="num">Cost / result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const signedPoints = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}`;

function comparisonSection(data: ReportData): string {
  const { compared, comparison } = data;
  if (!compared && !comparison) return '';
  const parts: string[] = ['<section id="comparison"><h2>Comparison</h2>'];
  if (compared) {
    parts.push(
      `<p class="meta">Against run <code>${esc(compared.runId)}</code>${compared.description ? ` (${esc(compared.description)})` : ''}: ${count(compared.paired)} results paired by case; <b>${count(compared.passToFail)}</b> went pass → fail, <b>${count(compared.failToPass)}</b> fail → pass (browse them below with the “flipped” filter).</p>`,
    );
    const before = new Map(compared.series.map((entry) => [entry.name, entry.summary]));
    const names = [...new Set([...data.series.map((figures) => figures.name), ...before.keys()])];
    const now = new Map(data.series.map((figures) => [figures.name, figures.summary]));
    const rows = names
      .map((name) => {
        const a = before.get(name);
        const b = now.get(name);
        const delta = a?.accuracy != null && b?.accuracy != null ? `${b.accuracy >= a.accuracy ? '+' : ''}${((b.accuracy - a.accuracy) * 100).toFixed(1)} pts` : 'n/a';
        return `<tr><td>${esc(name)}</td><td class="num">${a ? `${percent(a.accuracy)}${interval(a)}` : '—'}</td><td class="num">${b ? `${percent(b.accuracy)}${interval(b)}` : '—'}</td><td class="num">${delta}</td></tr>`;
      })
      .join('');
    parts.push(`<table class="compare"><thead><tr><th>Provider</th><th class="num">${esc(compared.runId)}</th><th class="num">${esc(data.run.id)}</th><th class="num">Change</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  if (comparison) {
    const rows = comparison.pairs
      .map((pair) => {
        const outcome = pair.verdict.outcome ?? '';
        const difference = pair.difference ? `${signedPoints(pair.difference.estimate)} <span class="sub">[${signedPoints(pair.difference.lower)}, ${signedPoints(pair.difference.upper)}]</span>` : '—';
        const p = pair.test?.pAdjusted;
        return `<tr class="verdict ${esc(outcome)}"><td>${esc(pair.a.label)}</td><td>${esc(pair.b.label)}</td><td class="num">${pair.n !== undefined ? count(pair.n) : '—'}</td><td class="num">${difference}</td><td class="num">${p === undefined ? '—' : p < 0.001 ? '&lt; 0.001' : p.toFixed(3)}</td><td>${esc(pair.verdict.text)}</td></tr>`;
      })
      .join('');
    parts.push(
      `<h3>Verdicts</h3><table class="verdicts"><thead><tr><th>A</th><th>B</th><th class="num">Paired cases</th><th class="num">B − A [95%]</th><th class="num">p (corrected)</th><th>Verdict</th></tr></thead><tbody>${rows}</tbody></table>${comparison.correctionDescription ? `<p class="sub">${esc(comparison.correctionDescription)}</p>` : ''}`,
    );
  } else {
    parts.push('<p class="sub">No significance test was supplied with this report: the change column is a plain difference, and overlapping intervals do not settle whether it is real.</p>');
  }
  parts.push('</section>');
  return parts.join('');
}

function latencySampleNote(series: readonly SeriesFigures[]): string {
  const sampled = series.filter((figures) => figures.latencySample !== null);
  if (sampled.length === 0) return '';
  return ` This run is large: the boxes are estimated from the calls of a sample of cases spread over the run (${sampled.map((figures) => `${esc(figures.name)} ${count(figures.latencySample!)}`).join(', ')}); the table's p50 and p95 are exact.`;
}

function casesNote(data: ReportData): string {
  const { caseCounts: c } = data;
  const passed = c.results - c.notPassed;
  const all = data.cases.length === c.results;
  if (all) return `<p class="note">Every result of the run is here (${count(c.results)}); texts are cut at ${count(c.textLimit)} characters.</p>`;
  const parts = [
    c.flipped > 0 ? `the flipped cases first` : null,
    `${count(c.embeddedNotPassed)} of the ${count(c.notPassed)} results that did not pass`,
    `${count(c.embeddedPassed)} of the ${count(passed)} that passed${c.embeddedPassed < passed && c.embeddedPassed > 0 ? ' (a random sample)' : ''}`,
  ].filter(Boolean);
  return `<p class="note" id="case-note">This page embeds ${count(data.cases.length)} of the run's ${count(c.results)} results so that it stays quick to open: ${parts.join(', ')}; texts are cut at ${count(c.textLimit)} characters. Every result is stored: <code>llm-lab runs show ${esc(data.run.id)} --failures --all</code>, or <code>llm-lab export ${esc(data.run.id)} --format jsonl</code>.</p>`;
}

/** The whole report as one HTML document: inline CSS, SVG and script, nothing loaded from anywhere. */
export function renderReportHtml(data: ReportData): string {
  const { run, totals } = data;
  const title = run.description ? `${run.description} — ${run.id}` : `Run ${run.id}`;
  const accuracy = totals.passed + totals.failed === 0 ? null : totals.passed / (totals.passed + totals.failed);
  const cost = costAccuracyChart(data.series);
  const flipOptions = data.compared ? '<option value="flipped">flipped</option><option value="pass-to-fail">pass → fail</option><option value="fail-to-pass">fail → pass</option>' : '';
  const clientData = { series: data.series.map((figures) => figures.name), cases: data.cases };
  const heat =
    data.categories.length > 0 && data.categoryField
      ? `<section id="categories"><h2>Accuracy by ${esc(data.categoryField)}</h2>${data.categoriesOmitted > 0 ? `<p class="note">The ${count(data.categories.length)} largest of ${count(data.categories.length + data.categoriesOmitted)} values are shown.</p>` : ''}${heatMap(data.categories, data.series)}</section>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(run.description ?? `Run ${run.id}`)}</h1>
<p class="meta">Run <code>${esc(run.id)}</code> · ${esc(run.status)} · started ${esc(run.startedAt.replace('T', ' ').slice(0, 19))} UTC${run.durationMs !== null ? ` · took ${ms(run.durationMs)}` : ''}${run.configFile ? ` · config ${esc(run.configFile)}` : ''}</p>
</header>
<div class="totals">
<div>Cases<b>${count(totals.cases)}</b></div>
<div>Results<b>${count(totals.results)}</b></div>
<div>Passed<b>${count(totals.passed)}</b></div>
<div>Failed<b>${count(totals.failed)}</b></div>
<div>Errors<b>${count(totals.errors)}</b></div>
<div>Accuracy<b>${percent(accuracy)}</b></div>
<div>Cost<b>${usd(totals.costUsd)}</b></div>
</div>
<section id="summary"><h2>Summary</h2>${summaryTable(data.series)}
<p class="sub">Accuracy is passed / (passed + failed); errors are counted apart, never as wrong answers. Intervals are 95% Wilson score intervals.</p></section>
<section id="accuracy"><h2>Accuracy</h2>${accuracyChart(data.series)}</section>
<section id="latency"><h2>Latency</h2>${latencyChart(data.series)}<p class="sub">Successful calls: the box spans p25–p75 with the median marked, whiskers p5–p95, dots the fastest and slowest call.${latencySampleNote(data.series)}</p></section>
<section id="cost"><h2>Cost and accuracy</h2>${cost ?? '<p class="note">No result carried a cost (the models have no known price), so cost is not plotted.</p>'}</section>
${heat}
${comparisonSection(data)}
<section id="cases"><h2>Cases</h2>
${casesNote(data)}
<div class="controls">
<input type="search" id="case-search" placeholder="Search case id, prompt, output, reasons" aria-label="Search cases">
<select id="case-outcome" aria-label="Outcome"><option value="all">all outcomes</option><option value="not-passed">not passed</option><option value="failed">failed</option><option value="errored">errored</option><option value="passed">passed</option>${flipOptions}</select>
<select id="case-category" aria-label="Category"><option value="">every ${esc(data.categoryField ?? 'category')}</option></select>
<select id="case-series" aria-label="Provider"><option value="">every provider</option></select>
<button type="button" id="case-prev">‹ Previous</button><button type="button" id="case-next">Next ›</button>
</div>
<p id="case-count" class="sub"></p>
<div id="case-list"></div>
</section>
<footer>Generated ${esc(data.generatedAt.replace('T', ' ').slice(0, 19))} UTC by llm-lab report, from the stored results (no provider was called).</footer>
</main>
<script type="application/json" id="report-data">${scriptJson(clientData)}</script>
<script>${CASE_BROWSER_SCRIPT}</script>
</body>
</html>
`;
}
