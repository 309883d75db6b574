import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSeriesCsv, type Series } from '../series-csv.js';
import type { RowWindow } from './scorer.js';

/** One labelled file of a corpus in NAB's layout. */
export interface CorpusFile extends Series {
  /** `<category>/<name>.csv`, as NAB names it. */
  name: string;
  windows: RowWindow[];
}

const normaliseTime = (timestamp: string) => timestamp.replace('T', ' ').replace(/\.0+$/, '');

/** Turns `[start, end]` timestamp pairs into inclusive row indexes. */
export function windowsToRows(timestamps: readonly string[], windows: readonly (readonly [string, string])[]): RowWindow[] {
  const times = timestamps.map(normaliseTime);
  return windows.map(([from, to]) => {
    // A window's edges are rows of the file (NAB labels them so); the nearest rows inside it otherwise.
    let start = times.indexOf(normaliseTime(from));
    if (start < 0) start = times.findIndex((t) => t >= normaliseTime(from));
    let end = times.indexOf(normaliseTime(to));
    if (end < 0) end = times.findLastIndex((t) => t <= normaliseTime(to));
    if (start < 0 || end < start) throw new Error(`Window ${from} .. ${to} covers no row of the file.`);
    return { start, end };
  });
}

/** Reads every `data/<category>/<name>.csv` of a folder in NAB's layout with its windows from `combined_windows.json`. */
export function loadCorpus(folder: string): CorpusFile[] {
  const windowsFile = join(folder, 'combined_windows.json');
  const dataDir = join(folder, 'data');
  if (!existsSync(windowsFile) || !existsSync(dataDir)) {
    throw new Error(`${folder} is not in NAB's layout: it needs data/<category>/<name>.csv and combined_windows.json.`);
  }
  const allWindows = JSON.parse(readFileSync(windowsFile, 'utf8')) as Record<string, [string, string][]>;
  const files: CorpusFile[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    for (const file of readdirSync(join(dataDir, category)).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const path = join(dataDir, category, file);
      const series = parseSeriesCsv(readFileSync(path, 'utf8'), path, { fileOrder: true });
      const windows = allWindows[name];
      if (!windows) throw new Error(`${windowsFile} has no entry for ${name}; add one (an empty list when the file has no anomaly).`);
      files.push({ name, ...series, windows: windowsToRows(series.timestamps, windows) });
    }
  }
  return files;
}
