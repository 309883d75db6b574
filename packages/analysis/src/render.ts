/**
 * A comparison as Markdown (fits a CI job summary) or as plain text for a terminal. Both are
 * pure functions of the {@link Comparison} JSON, so a stored comparison renders the same later.
 */
import { formatPValue } from './stats/index.js';
import type { Comparison, FlipList, PairComparison, PairedDistribution, PercentileEstimate, RateEstimate } from './types.js';

const FLIPS_SHOWN = 10;
const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const pts = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}`;
const rate = (estimate: RateEstimate) =>
  estimate.value === null ? '—' : estimate.lower === null || estimate.upper === null ? pct(estimate.value) : `${pct(estimate.value)} [${pct(estimate.lower)}, ${pct(estimate.upper)}]`;
const ms = (value: number | null) => (value === null ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);
const usd = (value: number | null) => (value === null ? '—' : `$${value.toPrecision(3)}`);
const withInterval = (estimate: PercentileEstimate, unit: (value: number | null) => string) =>
  estimate.value === null ? '—' : estimate.lower === null ? unit(estimate.value) : `${unit(estimate.value)} [${unit(estimate.lower)}, ${unit(estimate.upper)}]`;
const signed = (unit: (value: number | null) => string) => (value: number | null) => (value === null ? '—' : `${value >= 0 ? '+' : '−'}${unit(Math.abs(value))}`);
/** Case ids and field values are user data: control and direction-changing characters are shown as `?`. */
const safe = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
/** Markdown table cells cannot hold a pipe or a newline. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

function heading(comparison: Comparison): string {
  return comparison.runB ? `run ${comparison.runA.id} (A) against run ${comparison.runB.id} (B)` : `run ${comparison.runA.id}: its providers and prompts against each other`;
}

function flipLines(flips: FlipList, direction: string): string[] {
  if (flips.count === 0) return [];
  const shown = flips.cases.slice(0, FLIPS_SHOWN).map((flip) => safe(`${flip.caseId}${flip.group ? ` (${flip.group})` : ''}`));
  return [`${direction} (${flips.count}): ${shown.join(', ')}${flips.count > shown.length ? `, … ${flips.count - shown.length} more` : ''}`];
}

function distributionRows(name: string, distribution: PairedDistribution, unit: (value: number | null) => string): string[][] {
  return (['p50', 'p95'] as const).map((q) => [`${name} ${q}`, withInterval(distribution.a[q], unit), withInterval(distribution.b[q], unit), withInterval(distribution.difference[q], signed(unit))]);
}

function pairRows(pair: PairComparison): string[][] {
  const metric = pair.metric === 'passed' ? 'accuracy' : 'mean score';
  return [
    [metric, rate(pair.accuracyA), rate(pair.accuracyB), `${pts(pair.difference.estimate)} pts [${pts(pair.difference.lower)}, ${pts(pair.difference.upper)}]`],
    ...distributionRows('latency', pair.latencyMs, ms),
    ...distributionRows('cost/case', pair.costUsd, usd),
  ];
}

function testLine(pair: PairComparison): string {
  const adjusted = pair.test.pAdjusted !== pair.test.pValue ? `, adjusted ${formatPValue(pair.test.pAdjusted).replace('p ', '')}` : '';
  const discordant = pair.test.aOnly !== undefined ? `; discordant pairs: ${pair.test.aOnly} A only, ${pair.test.bOnly} B only` : '';
  const others = pair.tests.map((test) => `${test.method} ${formatPValue(test.pValue)}${test.approximation ? ' (normal limit)' : ''}`).join(', ');
  return `${pair.test.description}: ${formatPValue(pair.test.pValue)}${adjusted}${discordant}. Also: ${others}. Interval: ${pair.difference.method}.`;
}

function markdownTable(headers: string[], rows: string[][]): string[] {
  return [`| ${headers.map(cell).join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

/** The comparison as GitHub-flavoured Markdown. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  const lines: string[] = [`## Comparison: ${heading(comparison)}`, ''];
  lines.push(
    `${comparison.pairs.length} comparison${comparison.pairs.length === 1 ? '' : 's'}, paired by case; ${Math.round(comparison.confidence * 100)}% intervals; multiple-comparison correction: ${comparison.correctionDescription}${comparison.minEffect > 0 ? `; minimum effect ${(comparison.minEffect * 100).toFixed(1)} points` : ''}.`,
    '',
  );
  for (const pair of comparison.pairs) {
    lines.push(`### ${pair.b.label} vs ${pair.a.label}`, '', `**${pair.verdict.text}**`, '');
    lines.push(...markdownTable(['', `A: ${pair.a.label}`, `B: ${pair.b.label}`, 'B − A'], pairRows(pair)), '');
    lines.push(testLine(pair), '');
    if (pair.repeats) {
      const k = pair.repeats.a.passAtK.map((estimate, index) => [`pass@${estimate.k}`, `${pct(estimate.estimate)} [${pct(estimate.lower)}, ${pct(estimate.upper)}]`, pair.repeats?.b.passAtK[index] ? `${pct(pair.repeats.b.passAtK[index].estimate)} [${pct(pair.repeats.b.passAtK[index].lower)}, ${pct(pair.repeats.b.passAtK[index].upper)}]` : '—']);
      const hat = pair.repeats.a.passHatK.map((estimate, index) => [`pass^${estimate.k}`, `${pct(estimate.estimate)}`, pair.repeats?.b.passHatK[index] ? pct(pair.repeats.b.passHatK[index].estimate) : '—']);
      lines.push(...markdownTable(['repeats', 'A', 'B'], [...k, ...hat]), '');
    }
    if (pair.groups.length > 0) {
      lines.push(`By \`${comparison.by}\`:`, '');
      lines.push(
        ...markdownTable(
          ['', 'cases', 'A', 'B', 'B − A', 'p (adjusted)', 'verdict'],
          pair.groups.map((group) => [
            group.group ?? '(none)',
            group.n.toLocaleString('en'),
            pct(group.accuracyA),
            pct(group.accuracyB),
            `${pts(group.estimate)} [${pts(group.lower)}, ${pts(group.upper)}]`,
            formatPValue(group.test.pAdjusted).replace('p ', ''),
            group.verdict.outcome === 'b-better' ? 'B better' : group.verdict.outcome === 'b-worse' ? 'B worse' : group.verdict.outcome === 'below-min-effect' ? 'below min effect' : 'no detectable difference',
          ]),
        ),
        '',
      );
    }
    const flips = [...flipLines(pair.flips.passToFail, 'Pass → fail'), ...flipLines(pair.flips.failToPass, 'Fail → pass')];
    if (flips.length > 0) lines.push(...flips.map((line) => `- ${cell(line)}`), '');
  }
  if (comparison.unmatched.length > 0) lines.push(`Not compared (no counterpart): ${comparison.unmatched.map((side) => side.label).join(', ')}`, '');
  for (const note of comparison.notes) lines.push(`> ${note}`, '');
  return `${safeLines(lines)}\n`;
}

/** Every line made safe to print (labels and groups come from configs and datasets). */
function safeLines(lines: string[]): string {
  return lines.map((line) => safe(line)).join('\n').trimEnd();
}

function textTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((value, column) => value.padEnd(widths[column] as number)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** The comparison as plain text for a terminal (no colour: the CLI adds what it wants). */
export function renderComparisonText(comparison: Comparison): string {
  const lines: string[] = [`Comparison: ${heading(comparison)}`, `correction: ${comparison.correctionDescription}; ${Math.round(comparison.confidence * 100)}% intervals`, ''];
  for (const pair of comparison.pairs) {
    lines.push(`${pair.b.label} vs ${pair.a.label}`, `  ${pair.verdict.text}`, '');
    lines.push(...textTable(['', 'A', 'B', 'B − A'], pairRows(pair)).map((line) => `  ${line}`));
    lines.push(`  ${testLine(pair)}`);
    for (const group of pair.groups) lines.push(`  ${group.group ?? '(none)'}: ${group.verdict.text}`);
    for (const line of [...flipLines(pair.flips.passToFail, 'pass → fail'), ...flipLines(pair.flips.failToPass, 'fail → pass')]) lines.push(`  ${line}`);
    lines.push('');
  }
  if (comparison.unmatched.length > 0) lines.push(`not compared (no counterpart): ${comparison.unmatched.map((side) => side.label).join(', ')}`);
  for (const note of comparison.notes) lines.push(`note: ${note}`);
  return `${safeLines(lines)}\n`;
}
