import { readFile } from 'node:fs/promises';
import type { PiiDetector, PiiSpan } from './types.js';

/**
 * Scores a detector on labelled sentences (the JSONL of Presidio's synthetic set:
 * `{"text", "spans": [{"type", "start", "end"}]}`, offsets in characters, end exclusive).
 *
 * Matching: a predicted span is a true positive when a labelled span of the same type has exactly
 * the same start and end (entity-level, strict — what masking needs: one character left out of
 * a card number leaks it). An overlap score (same type, at least one character shared, each
 * label matched once) is reported beside it, to tell boundary slips from misses.
 */

export interface LabelledSpan {
  type: string;
  start: number;
  end: number;
}

export interface LabelledExample {
  text: string;
  spans: LabelledSpan[];
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface TypeScore extends Counts {
  precision: number;
  recall: number;
  f1: number;
}

export interface ScoreReport {
  examples: number;
  exact: Record<string, TypeScore>;
  overlap: Record<string, TypeScore>;
}

/**
 * Upstream labels of the synthetic set renamed to the types a Presidio analyzer returns: places
 * (GPE) are LOCATION, web addresses (DOMAIN_NAME) are URL. Others keep their names.
 */
export const LABEL_TO_PRESIDIO: Readonly<Record<string, string>> = { GPE: 'LOCATION', DOMAIN_NAME: 'URL' };

/** Reads a JSONL file of labelled sentences; a bad line fails with its number and what is wrong. */
export async function readLabelledJsonl(path: string): Promise<LabelledExample[]> {
  const text = await readFile(path, 'utf8');
  const examples: LabelledExample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}:${index + 1} is not JSON (${(error as Error).message}); each line must be {"text", "spans": [{"type", "start", "end"}]}`);
    }
    const example = row as Partial<LabelledExample>;
    if (typeof example.text !== 'string' || !Array.isArray(example.spans)) {
      throw new Error(`${path}:${index + 1} needs "text" (a string) and "spans" (an array of {"type", "start", "end"})`);
    }
    for (const span of example.spans) {
      if (typeof span?.type !== 'string' || !Number.isInteger(span.start) || !Number.isInteger(span.end) || span.start < 0 || span.end > example.text.length || span.start >= span.end) {
        throw new Error(`${path}:${index + 1} has a span that is not {"type": string, "start" < "end" within the text}: ${JSON.stringify(span)}`);
      }
    }
    examples.push({ text: example.text, spans: example.spans.map((span) => ({ type: LABEL_TO_PRESIDIO[span.type] ?? span.type, start: span.start, end: span.end })) });
  });
  return examples;
}

/** The tuning half (even lines) or the held-out half (odd lines) of a labelled set, or all of it. */
export function splitExamples(examples: readonly LabelledExample[], half: 'tuning' | 'held-out' | 'all'): LabelledExample[] {
  if (half === 'all') return [...examples];
  return examples.filter((_, index) => index % 2 === (half === 'tuning' ? 0 : 1));
}

function scoreOf(counts: Counts): TypeScore {
  const precision = counts.tp + counts.fp === 0 ? 0 : counts.tp / (counts.tp + counts.fp);
  const recall = counts.tp + counts.fn === 0 ? 0 : counts.tp / (counts.tp + counts.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...counts, precision, recall, f1 };
}

function add(table: Map<string, Counts>, type: string, key: keyof Counts): void {
  const counts = table.get(type) ?? { tp: 0, fp: 0, fn: 0 };
  counts[key]++;
  table.set(type, counts);
}

function match(gold: readonly LabelledSpan[], predicted: readonly PiiSpan[], table: Map<string, Counts>, same: (a: LabelledSpan, b: PiiSpan) => boolean): void {
  const used = new Set<number>();
  for (const span of predicted) {
    const index = gold.findIndex((label, position) => !used.has(position) && label.type === span.type && same(label, span));
    if (index >= 0) {
      used.add(index);
      add(table, span.type, 'tp');
    } else add(table, span.type, 'fp');
  }
  gold.forEach((label, position) => {
    if (!used.has(position)) add(table, label.type, 'fn');
  });
}

/**
 * Precision, recall and F1 per entity type, and `ALL` (micro-averaged over every type) and any
 * `groups` given (micro-averaged over their types), under exact and overlap matching.
 */
export async function scoreDetector(
  detector: PiiDetector,
  examples: readonly LabelledExample[],
  groups: Record<string, readonly string[]> = {},
): Promise<ScoreReport> {
  const exact = new Map<string, Counts>();
  const overlap = new Map<string, Counts>();
  for (const example of examples) {
    const predicted = await detector.detect(example.text);
    match(example.spans, predicted, exact, (a, b) => a.start === b.start && a.end === b.end);
    match(example.spans, predicted, overlap, (a, b) => a.start < b.end && b.start < a.end);
  }
  const finish = (table: Map<string, Counts>): Record<string, TypeScore> => {
    const result: Record<string, TypeScore> = {};
    for (const type of [...table.keys()].sort()) result[type] = scoreOf(table.get(type) as Counts);
    const sum = (types: readonly string[]) =>
      scoreOf(types.reduce((total, type) => {
        const counts = table.get(type) ?? { tp: 0, fp: 0, fn: 0 };
        return { tp: total.tp + counts.tp, fp: total.fp + counts.fp, fn: total.fn + counts.fn };
      }, { tp: 0, fp: 0, fn: 0 }));
    for (const [name, types] of Object.entries(groups)) result[name] = sum(types);
    result.ALL = sum([...table.keys()]);
    return result;
  };
  return { examples: examples.length, exact: finish(exact), overlap: finish(overlap) };
}
