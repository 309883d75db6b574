#!/usr/bin/env node
// Runs LLM Lab's online anomaly detector on every series of a corpus in NAB's layout, scores it
// with NAB's rules (three profiles) and prints the normalised score beside the published
// detectors' scores on the same files.
//   pnpm bench:anomaly [-- --data <folder>] [--json] [--tune]
// Default data: ../shared/datasets/nab. A fixed split by file-name hash holds some series out:
// the detector's defaults were chosen on the others; --tune runs a grid search on them.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DETECTOR_OPTIONS, detectSeries, loadCorpus, NAB_PROFILES, normaliseScore, nullAndPerfect, periodFromTimestamps, probationaryLength, scoreFile } from '../../packages/monitoring/dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: { data: { type: 'string' }, json: { type: 'boolean' }, tune: { type: 'boolean' } } });
const data = resolve(args.data ?? join(root, '../shared/datasets/nab'));
if (!existsSync(data)) {
  console.error(`No corpus at ${data}: pass --data <folder in NAB's layout> (data/<category>/<name>.csv and combined_windows.json).${args.data ? '' : ' Skipped.'}`);
  process.exit(args.data ? 2 : 0);
}
const corpus = loadCorpus(data);
/** Held out: files whose name's SHA-256 starts with a hex digit below 4 (about a quarter). */
const heldOut = (name) => parseInt(createHash('sha256').update(name).digest('hex')[0], 16) < 4;
const profiles = Object.keys(NAB_PROFILES);

function run(options, files) {
  return files.map((file) => ({ file, scores: detectSeries(file.values, { ...options, period: periodFromTimestamps(file.timestamps), warmup: probationaryLength(file.values.length) }) }));
}

function normalised(results, threshold, profile) {
  let raw = 0;
  let windows = 0;
  for (const { file, scores } of results) {
    raw += scoreFile(scores, file.windows, threshold, NAB_PROFILES[profile]).score;
    windows += file.windows.length;
  }
  const bounds = nullAndPerfect(windows, NAB_PROFILES[profile]);
  return normaliseScore(raw, bounds.null, bounds.perfect);
}

let options = { ...DEFAULT_DETECTOR_OPTIONS };
if (args.tune) {
  const train = corpus.filter((f) => !heldOut(f.name));
  let best = { score: -Infinity };
  for (const seasons of [2, 4, 7]) for (const seasonalGain of [0.3, 0.5, 0.7]) for (const cusumLimit of [30, 40, 60]) for (const novelty of [0.02, 0.05]) for (const cooldown of [150, 300]) {
    const candidate = { ...options, seasons, seasonalGain, cusumLimit, novelty, cooldown };
    const score = normalised(run(candidate, train), candidate.threshold, 'standard');
    if (score > best.score) best = { score, candidate };
  }
  console.error(`tuned on ${train.length} files: ${best.score.toFixed(1)} with ${JSON.stringify(best.candidate)}`);
  options = best.candidate;
}

// Published detectors' scores on exactly these files, normalised the same way.
function publishedScores() {
  const dir = join(data, 'published_scores');
  if (!existsSync(dir)) return {};
  const names = new Set(corpus.map((f) => f.name));
  const windowCount = (subset) => corpus.filter((f) => subset(f.name)).reduce((n, f) => n + f.windows.length, 0);
  const out = {};
  for (const entry of readdirSync(dir)) {
    const match = /^(.+)_(standard|reward_low_FP_rate|reward_low_FN_rate)_scores\.csv$/.exec(entry);
    if (!match) continue;
    const [, detector, profile] = match;
    const rows = readFileSync(join(dir, entry), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
    for (const [subsetName, subset] of [['all', () => true], ['heldOut', heldOut]]) {
      const raw = rows.filter((r) => names.has(r[2]) && subset(r[2])).reduce((sum, r) => sum + Number(r[4]), 0);
      const bounds = nullAndPerfect(windowCount(subset), NAB_PROFILES[profile]);
      ((out[detector] ??= {})[subsetName] ??= {})[profile] = normaliseScore(raw, bounds.null, bounds.perfect);
    }
  }
  return out;
}

const results = run(options, corpus);
const ours = { all: {}, heldOut: {} };
for (const profile of profiles) {
  ours.all[profile] = normalised(results, options.threshold, profile);
  ours.heldOut[profile] = normalised(results.filter((r) => heldOut(r.file.name)), options.threshold, profile);
}
const published = publishedScores();
const heldOutFiles = corpus.filter((f) => heldOut(f.name)).map((f) => f.name);

if (args.json) {
  console.log(JSON.stringify({ data, files: corpus.length, heldOutFiles, options, llmLab: ours, published }, null, 2));
} else {
  console.log(`NAB scores on ${corpus.length} files of ${data} (held out: ${heldOutFiles.length} files; 100 = perfect, 0 = null detector)\n`);
  const rows = [['LLM Lab (online)', ours], ...Object.entries(published).filter(([name]) => name !== 'null')];
  rows.sort((a, b) => b[1].all.standard - a[1].all.standard);
  const pad = (s, n) => String(s).padEnd(n);
  const num = (v) => (v === undefined ? '' : v.toFixed(1)).padStart(9);
  console.log(`${pad('detector', 20)}${'standard'.padStart(9)}${'low FP'.padStart(9)}${'low FN'.padStart(9)}   ${'held-out standard'.padStart(9)}`);
  for (const [name, s] of rows) {
    console.log(`${pad(name, 20)}${num(s.all.standard)}${num(s.all.reward_low_FP_rate)}${num(s.all.reward_low_FN_rate)}   ${num(s.heldOut.standard)}`);
  }
}
