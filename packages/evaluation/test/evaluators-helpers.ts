import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { EvaluatorEntry } from '@llm-lab/core';
import { createEvaluators, type CreateEvaluatorsOptions, type DatasetCase, type EvaluationInput, type Evaluator } from '../src/index.js';

/**
 * The shared read-only datasets folder: `../shared/datasets` next to the repository root
 * (this file is <root>/packages/evaluation/test/). A user's clone has no such folder, so tests
 * that read it skip with a message.
 */
export const SHARED_DATASETS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/datasets');
export const hasSharedDatasets = existsSync(SHARED_DATASETS);
if (!hasSharedDatasets) {
  console.warn(`Skipping tests on the real benchmark rows: ${SHARED_DATASETS} (../shared/datasets next to the repository) is missing.`);
}

/** Reads a shared dataset file as text (gunzipped when it ends in .gz). */
export function readShared(relativePath: string): string {
  const bytes = readFileSync(resolve(SHARED_DATASETS, relativePath));
  return (relativePath.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The rows of a shared JSONL file (gzipped or not). */
export function sharedJsonl<T>(relativePath: string): T[] {
  return readShared(relativePath)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** A dataset case holding `vars`. */
export function caseOf(vars: Record<string, unknown>, id = 'c1'): DatasetCase {
  return { id, index: 0, line: 1, vars };
}

/** Builds one evaluator from a config entry. */
export function build(entry: EvaluatorEntry, options: CreateEvaluatorsOptions = {}): Evaluator {
  return createEvaluators([entry], options)[0] as Evaluator;
}

/** Scores `output` with the evaluator of `entry` against a row. */
export async function score(entry: EvaluatorEntry, output: string, vars: Record<string, unknown> = {}, extra: Partial<EvaluationInput> = {}) {
  return build(entry).evaluate({ output, vars, case: caseOf(vars), ...extra });
}
