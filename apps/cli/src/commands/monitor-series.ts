import { isMetricName, METRIC_NAMES, METRICS, parseDuration, readSeries, type MetricName, type MetricSource, type SeriesAnswer } from '@llm-lab/monitoring';
import { UsageError } from '../errors.js';
import { dim, formatCount, formatMs, formatPercent, formatUsd, renderTable, useColour } from '../output/format.js';
import { openLab, type StorageFlags } from './shared.js';

export interface SeriesFlags extends StorageFlags {
  provider: string;
  model?: string;
  source?: string;
  route?: string;
  key?: string;
  since?: string;
  step?: string;
  json?: boolean;
}

const SOURCES: readonly MetricSource[] = ['gateway', 'run', 'probe'];

/** A metric's value as a person reads it. */
function formatValue(metric: MetricName, value: number | null): string {
  if (value === null) return '-';
  if (metric.startsWith('latency_') || metric.startsWith('ttft_')) return formatMs(value);
  if (metric === 'error_rate' || metric === 'cache_hit_rate') return formatPercent(value);
  if (metric === 'cost_usd') return formatUsd(value);
  if (metric === 'probe_score') return value.toFixed(3);
  return formatCount(value);
}

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

/** Checks the flags before anything opens: the metric, the source, --since and --step. */
export function checkSeriesFlags(metric: string, flags: SeriesFlags): { metric: MetricName; sinceMs: number; source?: MetricSource; step?: '1m' | '1h' } {
  if (!isMetricName(metric)) throw new UsageError(`unknown metric "${metric}"; give one of: ${METRIC_NAMES.join(', ')}`);
  if (flags.source !== undefined && !SOURCES.includes(flags.source as MetricSource)) {
    throw new UsageError(`--source "${flags.source}" is not one of ${SOURCES.join(', ')}`);
  }
  if (flags.step !== undefined && flags.step !== '1m' && flags.step !== '1h') throw new UsageError(`--step "${flags.step}" is not one of 1m, 1h`);
  let sinceMs: number;
  try {
    sinceMs = parseDuration(flags.since ?? '24h', '--since');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    metric,
    sinceMs,
    ...(flags.source !== undefined ? { source: flags.source as MetricSource } : {}),
    ...(flags.step !== undefined ? { step: flags.step as '1m' | '1h' } : {}),
  };
}

/**
 * `llm-lab monitor series <metric> --provider <id> [--since 24h] [--step 1m|1h] [--json]`: one
 * metric of one provider from the time-series store, one value per minute or hour, as a table
 * or as JSON.
 */
export async function seriesCommand(metricName: string, flags: SeriesFlags): Promise<number> {
  const checked = checkSeriesFlags(metricName, flags);
  const lab = await openLab(flags);
  let answer: SeriesAnswer;
  try {
    const storage = await lab.openStorage();
    answer = await readSeries(storage, {
      metric: checked.metric,
      provider: flags.provider,
      sinceMs: checked.sinceMs,
      now: Date.now(),
      ...(flags.model !== undefined ? { model: flags.model } : {}),
      ...(checked.source !== undefined ? { source: checked.source } : {}),
      ...(flags.route !== undefined ? { route: flags.route } : {}),
      ...(flags.key !== undefined ? { key: flags.key } : {}),
      ...(checked.step !== undefined ? { step: checked.step } : {}),
    });
  } finally {
    await lab.close();
  }
  const filters = { provider: flags.provider, model: flags.model ?? null, source: checked.source ?? null, route: flags.route ?? null, key: flags.key ?? null };
  if (flags.json) {
    const points = answer.points.map((point) => ({ start: new Date(point.start).toISOString(), value: point.value, count: point.count }));
    process.stdout.write(`${JSON.stringify({ metric: answer.metric, ...filters, step: answer.step, from: new Date(answer.from).toISOString(), until: new Date(answer.until).toISOString(), points }, null, 2)}\n`);
    return 0;
  }
  const colour = useColour(process.stdout);
  const which = [flags.provider, flags.model, checked.source, flags.route, flags.key].filter((part) => part !== undefined).join(' · ');
  const title = `${answer.metric} (${METRICS[answer.metric].describe}) of ${which}, ${answer.step === '1m' ? '1-minute' : '1-hour'} points since ${utc(answer.from)} UTC`;
  if (answer.points.length === 0) {
    process.stdout.write(`${title}\nNo points: nothing matching was recorded in that range (the monitor writes them: llm-lab monitor start).\n`);
    return 0;
  }
  const table = renderTable(
    [answer.step === '1m' ? 'Minute (UTC)' : 'Hour (UTC)', answer.metric, 'Calls'],
    answer.points.map((point) => [utc(point.start), formatValue(answer.metric, point.value), formatCount(point.count)]),
    { right: [1, 2] },
  );
  process.stdout.write(`${title}\n${table}\n${dim(`${answer.points.length} points; ${answer.step === '1m' ? 'minutes' : 'hours'} without calls have none.`, colour)}\n`);
  return 0;
}
