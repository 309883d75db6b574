import { readFileSync } from 'node:fs';
import { detectSeries, parseSeriesCsv, periodFromTimestamps, probationaryLength, type DetectorOptions } from '@llm-lab/monitoring';
import { UsageError } from '../errors.js';

export interface DetectFlags {
  json?: boolean;
  scores?: boolean;
  threshold?: number;
  minVolume?: number;
  period?: number;
}

/**
 * `llm-lab monitor detect <series.csv>`: runs the online detector over a `timestamp,value` CSV
 * (each row judged from the rows before it) and prints the anomalies with their timestamps as
 * written in the file; `--scores` prints every row's score.
 */
export async function detectCommand(file: string, flags: DetectFlags): Promise<number> {
  if (flags.threshold !== undefined && !(flags.threshold > 0 && flags.threshold <= 1)) throw new UsageError('--threshold must be a number above 0 and at most 1.');
  if (flags.minVolume !== undefined && !Number.isFinite(flags.minVolume)) throw new UsageError('--min-volume must be a number.');
  if (flags.period !== undefined && !(Number.isInteger(flags.period) && flags.period >= 0 && flags.period !== 1)) {
    throw new UsageError('--period must be a whole number of rows per season (e.g. 1440 for a day of 1-minute points), or 0 to turn the seasonal baseline off.');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give the path of a timestamp,value CSV file.`);
  }
  let series;
  try {
    series = parseSeriesCsv(text, file);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const warmup = probationaryLength(series.values.length);
  // A daily season, worked out from the timestamps, unless --period says otherwise.
  const period = flags.period ?? periodFromTimestamps(series.timestamps);
  const options: DetectorOptions = { warmup, period };
  if (flags.threshold !== undefined) options.threshold = flags.threshold;
  if (flags.minVolume !== undefined) options.minVolume = flags.minVolume;
  const scores = detectSeries(series.values, options);
  const threshold = options.threshold ?? 0.5;
  const rows = series.timestamps.map((timestamp, i) => ({ row: i + 2, timestamp, value: series.values[i]!, score: Number(scores[i]!.toFixed(6)) }));
  const anomalies = rows.filter((r) => r.score >= threshold);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file, rows: rows.length, warmupRows: warmup, seasonRows: period, threshold, anomalies, ...(flags.scores ? { scores: rows } : {}) }, null, 2)}\n`);
    return 0;
  }
  if (flags.scores) {
    process.stdout.write('timestamp,value,score,anomaly\n');
    const field = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
    for (const r of rows) process.stdout.write(`${field(r.timestamp)},${r.value},${r.score},${r.score >= threshold ? 1 : 0}\n`);
    return 0;
  }
  process.stdout.write(`${anomalies.length} ${anomalies.length === 1 ? 'anomaly' : 'anomalies'} in ${rows.length} rows of ${file} (the first ${warmup} rows are warm-up, not judged; ${period ? `season: ${period} rows` : 'no seasonal baseline'})\n`);
  for (const a of anomalies) process.stdout.write(`${a.timestamp}  value ${a.value}  score ${a.score.toFixed(3)}  (line ${a.row})\n`);
  return 0;
}
