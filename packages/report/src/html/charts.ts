import type { CategoryRow, SeriesFigures } from '../types.js';
import { count, esc, ms, percent, usd } from './escape.js';

/**
 * The report's charts as inline SVG strings, drawn here rather than by a charting library: the
 * page must work offline from one file, the four charts are simple (bars, whiskers, a scatter,
 * a grid), and SVG drawn at generation time shows without running any script.
 */

const WIDTH = 760;
const LABEL = 220;
const PLOT = WIDTH - LABEL - 60;
/** Colours per series, distinguishable for common colour blindness (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const colour = (index: number) => PALETTE[index % PALETTE.length]!;
const cut = (text: string, max = 32) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const num = (value: number) => (Math.round(value * 10) / 10).toString();

function axis(x0: number, y: number, width: number, ticks: Array<{ at: number; label: string }>): string {
  const marks = ticks
    .map((tick) => `<line x1="${num(x0 + tick.at * width)}" y1="${y}" x2="${num(x0 + tick.at * width)}" y2="${y + 4}" class="tick"/><text x="${num(x0 + tick.at * width)}" y="${y + 16}" text-anchor="middle" class="tick-label">${esc(tick.label)}</text>`)
    .join('');
  return `<line x1="${x0}" y1="${y}" x2="${x0 + width}" y2="${y}" class="axis"/>${marks}`;
}

/** Accuracy per series as horizontal bars with their 95% Wilson intervals as whiskers. */
export function accuracyChart(series: readonly SeriesFigures[]): string {
  const row = 30;
  const height = series.length * row + 40;
  const bars = series
    .map((figures, index) => {
      const y = 10 + index * row;
      const { accuracy, accuracyInterval, passed, failed } = figures.summary;
      const label = `<text x="${LABEL - 8}" y="${y + 17}" text-anchor="end" class="label">${esc(cut(figures.name))}</text>`;
      if (accuracy === null) return `<g class="series">${label}<text x="${LABEL + 4}" y="${y + 17}" class="value">nothing scored</text></g>`;
      const title = `<title>${esc(`${figures.name}: ${percent(accuracy)} (${count(passed)} of ${count(passed + failed)})${accuracyInterval ? `, 95% interval ${percent(accuracyInterval.lower)}–${percent(accuracyInterval.upper)}` : ''}`)}</title>`;
      const bar = `<rect class="bar" x="${LABEL}" y="${y + 4}" width="${num(accuracy * PLOT)}" height="${row - 10}" fill="${colour(index)}">${title}</rect>`;
      const whisker = accuracyInterval
        ? `<g class="interval"><line x1="${num(LABEL + accuracyInterval.lower * PLOT)}" y1="${y + 14}" x2="${num(LABEL + accuracyInterval.upper * PLOT)}" y2="${y + 14}"/><line x1="${num(LABEL + accuracyInterval.lower * PLOT)}" y1="${y + 8}" x2="${num(LABEL + accuracyInterval.lower * PLOT)}" y2="${y + 20}"/><line x1="${num(LABEL + accuracyInterval.upper * PLOT)}" y1="${y + 8}" x2="${num(LABEL + accuracyInterval.upper * PLOT)}" y2="${y + 20}"/></g>`
        : '';
      const value = `<text x="${num(LABEL + PLOT + 6)}" y="${y + 17}" class="value">${percent(accuracy)}</text>`;
      return `<g class="series">${label}${bar}${whisker}${value}</g>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((at) => ({ at, label: `${at * 100}%` }));
  return `<svg class="chart" id="chart-accuracy" role="img" aria-label="Accuracy per provider with 95% intervals" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${bars}${axis(LABEL, height - 28, PLOT, ticks)}</svg>`;
}

/**
 * Latency of successful calls per series as box plots on one scale: the box from p25 to p75 with
 * the median, whiskers from p5 to p95, dots at the fastest and slowest call (an arrow when the
 * slowest is off the scale, which ends a little past the largest p95).
 */
export function latencyChart(series: readonly SeriesFigures[]): string {
  const rowHeight = 40;
  const height = series.length * rowHeight + 40;
  const top = Math.max(1, ...series.map((figures) => figures.latencyQuantiles?.[5] ?? 0)) * 1.15;
  const x = (value: number) => LABEL + (Math.min(value, top) / top) * PLOT;
  const rows = series
    .map((figures, index) => {
      const y = 8 + index * rowHeight;
      const mid = y + rowHeight / 2 - 4;
      const q = figures.latencyQuantiles;
      const label = `<text x="${LABEL - 8}" y="${mid - 2}" text-anchor="end" class="label">${esc(cut(figures.name))}</text><text x="${LABEL - 8}" y="${mid + 11}" text-anchor="end" class="sub">${q ? `p50 ${esc(ms(q[3]))} · p95 ${esc(ms(q[5]))}` : 'no successful calls'}</text>`;
      if (!q) return `<g class="latency-series">${label}</g>`;
      const [min, p5, p25, p50, p75, p95, max] = q as [number, number, number, number, number, number, number];
      const title = `<title>${esc(`${figures.name}: fastest ${ms(min)}, p5 ${ms(p5)}, p25 ${ms(p25)}, median ${ms(p50)}, p75 ${ms(p75)}, p95 ${ms(p95)}, slowest ${ms(max)}`)}</title>`;
      const whiskers = `<line class="whisker" x1="${num(x(p5))}" y1="${mid}" x2="${num(x(p95))}" y2="${mid}"/><line class="whisker" x1="${num(x(p5))}" y1="${mid - 6}" x2="${num(x(p5))}" y2="${mid + 6}"/><line class="whisker" x1="${num(x(p95))}" y1="${mid - 6}" x2="${num(x(p95))}" y2="${mid + 6}"/>`;
      const box = `<rect class="latency-box" x="${num(x(p25))}" y="${mid - 10}" width="${num(Math.max(1, x(p75) - x(p25)))}" height="20" fill="${colour(index)}">${title}</rect><line class="median" x1="${num(x(p50))}" y1="${mid - 10}" x2="${num(x(p50))}" y2="${mid + 10}"/>`;
      const ends = `<circle class="extreme" cx="${num(x(min))}" cy="${mid}" r="2.5"/>${max > top ? `<text x="${num(LABEL + PLOT + 4)}" y="${mid + 4}" class="sub">› ${esc(ms(max))}</text>` : `<circle class="extreme" cx="${num(x(max))}" cy="${mid}" r="2.5"/>`}`;
      return `<g class="latency-series">${label}${whiskers}${box}${ends}</g>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((at) => ({ at, label: ms(at * top) }));
  return `<svg class="chart" id="chart-latency" role="img" aria-label="Latency distribution per provider" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${rows}${axis(LABEL, height - 28, PLOT, ticks)}</svg>`;
}

/** Mean cost per result against accuracy, one point per priced series, with its accuracy interval. Null when nothing was priced. */
export function costAccuracyChart(series: readonly SeriesFigures[]): string | null {
  const priced = series.map((figures, index) => ({ figures, index })).filter(({ figures }) => figures.costPerResult !== null && figures.summary.accuracy !== null);
  if (priced.length === 0) return null;
  const height = 300;
  const left = 70;
  const plotWidth = WIDTH - left - 180;
  const plotHeight = height - 60;
  const maxCost = Math.max(...priced.map(({ figures }) => figures.costPerResult!)) * 1.1 || 1;
  const x = (cost: number) => left + (cost / maxCost) * plotWidth;
  const y = (accuracy: number) => 10 + (1 - accuracy) * plotHeight;
  const points = priced
    .map(({ figures, index }) => {
      const { accuracy, accuracyInterval } = figures.summary;
      const px = x(figures.costPerResult!);
      const whisker = accuracyInterval ? `<line class="interval" x1="${num(px)}" y1="${num(y(accuracyInterval.upper))}" x2="${num(px)}" y2="${num(y(accuracyInterval.lower))}" stroke="${colour(index)}"/>` : '';
      const title = `<title>${esc(`${figures.name}: ${percent(accuracy)} at ${usd(figures.costPerResult)} a result`)}</title>`;
      return `<g class="cost-point">${whisker}<circle class="point" cx="${num(px)}" cy="${num(y(accuracy!))}" r="6" fill="${colour(index)}">${title}</circle><text x="${num(px + 9)}" y="${num(y(accuracy!) + 4)}" class="label">${esc(cut(figures.name, 24))}</text></g>`;
    })
    .join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((at) => `<line x1="${left - 4}" y1="${num(y(at))}" x2="${left + plotWidth}" y2="${num(y(at))}" class="grid"/><text x="${left - 8}" y="${num(y(at) + 4)}" text-anchor="end" class="tick-label">${at * 100}%</text>`)
    .join('');
  const xTicks = [0, 0.5, 1].map((at) => ({ at, label: usd(at * maxCost) }));
  return `<svg class="chart" id="chart-cost" role="img" aria-label="Cost per result against accuracy" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${yTicks}${axis(left, 10 + plotHeight, plotWidth, xTicks)}<text x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle" class="sub">mean cost per result (US$)</text>${points}</svg>`;
}

/** Red (0%) through yellow to green (100%). */
function heat(accuracy: number): string {
  const hue = Math.round(accuracy * 120);
  return `hsl(${hue} 70% ${accuracy > 0.35 && accuracy < 0.75 ? 62 : 55}%)`;
}

/** Accuracy per category (rows) and series (columns). */
export function heatMap(categories: readonly CategoryRow[], series: readonly SeriesFigures[]): string {
  const cellWidth = Math.max(60, Math.min(120, Math.floor(PLOT / Math.max(1, series.length))));
  const cellHeight = 24;
  const header = 60;
  const width = LABEL + cellWidth * series.length + 10;
  const height = header + categories.length * cellHeight + 10;
  const heads = series
    .map((figures, index) => `<text x="${num(LABEL + index * cellWidth + cellWidth / 2)}" y="${header - 10}" text-anchor="middle" class="label">${esc(cut(figures.name, Math.floor(cellWidth / 7)))}<title>${esc(figures.name)}</title></text>`)
    .join('');
  const rows = categories
    .map((category, row) => {
      const y = header + row * cellHeight;
      const cells = category.cells
        .map((cell, index) => {
          const x = LABEL + index * cellWidth;
          if (cell.scored === 0) return `<rect class="cell empty" x="${x + 1}" y="${y + 1}" width="${cellWidth - 2}" height="${cellHeight - 2}"><title>${esc(`${category.name} · ${series[index]?.name ?? ''}: no scored results`)}</title></rect>`;
          const accuracy = cell.passed / cell.scored;
          return `<rect class="cell" x="${x + 1}" y="${y + 1}" width="${cellWidth - 2}" height="${cellHeight - 2}" fill="${heat(accuracy)}"><title>${esc(`${category.name} · ${series[index]?.name ?? ''}: ${percent(accuracy)} (${count(cell.passed)} of ${count(cell.scored)})`)}</title></rect><text x="${num(x + cellWidth / 2)}" y="${y + 16}" text-anchor="middle" class="cell-label">${percent(accuracy, 0)}</text>`;
        })
        .join('');
      return `<g class="heat-row"><text x="${LABEL - 8}" y="${y + 16}" text-anchor="end" class="label">${esc(cut(category.name))}<title>${esc(category.name)}</title></text>${cells}</g>`;
    })
    .join('');
  return `<svg class="chart" id="chart-heatmap" role="img" aria-label="Accuracy per category and provider" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${heads}${rows}</svg>`;
}
