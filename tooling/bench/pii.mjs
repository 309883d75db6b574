#!/usr/bin/env node
// Scores LLM Lab's PII detectors on labelled sentences (Presidio's synthetic set) and prints
// precision, recall and F1 per entity type and overall, beside a regex-only baseline.
//   pnpm bench:pii [-- --data <jsonl>] [--json] [--half tuning|held-out|all]
// Default data: ../shared/datasets/pii/presidio_synth_dataset_v2.dev.jsonl. The detectors were
// tuned on the even lines only (the "tuning" half); the odd lines are the held-out half.
// Matching is exact (same type, same start and end); an overlap score is printed beside it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PATTERN_ENTITY_TYPES, readLabelledJsonl, regexBaselineDetector, ruleDetector, scoreDetector, splitExamples } from '../../packages/security/dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// `pnpm bench:pii -- --data x` passes the `--` on: drop it.
const argv = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const { values: args } = parseArgs({ args: argv, options: { data: { type: 'string' }, json: { type: 'boolean' }, half: { type: 'string' } } });
const data = resolve(args.data ?? join(root, '../shared/datasets/pii/presidio_synth_dataset_v2.dev.jsonl'));
if (!existsSync(data)) {
  console.error(`No labelled sentences at ${data}: pass --data <a JSONL file of {"text", "spans": [{"type", "start", "end"}]}>.${args.data ? '' : ' Skipped.'}`);
  process.exit(args.data ? 2 : 0);
}
const halves = args.half ? [args.half] : args.data ? ['all'] : ['tuning', 'held-out', 'all'];
for (const half of halves) {
  if (!['tuning', 'held-out', 'all'].includes(half)) {
    console.error(`--half ${half}: use tuning, held-out or all`);
    process.exit(2);
  }
}
const examples = await readLabelledJsonl(data);
const groups = { PATTERN_TYPES: PATTERN_ENTITY_TYPES };
const results = {};
for (const half of halves) {
  const part = splitExamples(examples, half);
  results[half] = {
    examples: part.length,
    detectors: await scoreDetector(ruleDetector(), part, groups),
    baseline: await scoreDetector(regexBaselineDetector(), part, groups),
  };
}

if (args.json) {
  console.log(JSON.stringify({ data, matching: 'exact span (overlap beside it)', results }, null, 2));
  process.exit(0);
}

const f = (value) => value.toFixed(3);
for (const [half, result] of Object.entries(results)) {
  console.log(`\n${half} half: ${result.examples} sentences from ${data}`);
  console.log('exact match (same type, start and end); "overlap F1" counts a span sharing any character with a label of its type');
  const header = ['type', 'labels', 'P', 'R', 'F1', 'overlap F1', 'baseline P', 'baseline R', 'baseline F1'];
  const rows = [header];
  const types = [...new Set([...Object.keys(result.detectors.exact), ...Object.keys(result.baseline.exact)])].filter((type) => type !== 'ALL' && type !== 'PATTERN_TYPES');
  for (const type of [...types.sort(), 'PATTERN_TYPES', 'ALL']) {
    const ours = result.detectors.exact[type] ?? { tp: 0, fp: 0, fn: 0, precision: 0, recall: 0, f1: 0 };
    const overlap = result.detectors.overlap[type] ?? ours;
    const base = result.baseline.exact[type];
    rows.push([type, String(ours.tp + ours.fn), f(ours.precision), f(ours.recall), f(ours.f1), f(overlap.f1), base ? f(base.precision) : '-', base ? f(base.recall) : '-', base ? f(base.f1) : '-']);
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
}
