import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { LLMLabError, sanitiseValue } from '@llm-lab/core';
import type { ProviderSummary } from '@llm-lab/evaluation';
import { eachResult, type ResultRecord, type Storage } from '@llm-lab/storage';
import { csvHeader, csvLine, evaluatorColumns, flattenResult, jsonLine, RESULT_COLUMNS } from './rows.js';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What an export reads. */
export type ExportSource = Pick<Storage, 'getRun' | 'listResults'>;

export interface ExportOptions {
  format: ExportFormat;
  /** The file to write (written beside it first, then renamed into place); required for Parquet. */
  out?: string;
  /** Where CSV and JSON lines go without `out` (standard output for the CLI). */
  stream?: Writable;
  /** Results read per page (default 2,000): memory stays at about one page. */
  pageSize?: number;
}

export interface ExportSummary {
  runId: string;
  rows: number;
  /** The file written, or null when written to `stream`. */
  path: string | null;
}

/** Parquet column types of {@link RESULT_COLUMNS}; the rest are strings. */
const PARQUET_TYPES: Partial<Record<string, 'INT32' | 'DOUBLE' | 'BOOLEAN' | 'JSON'>> = {
  repeat: 'INT32',
  case_index: 'INT32',
  input_tokens: 'INT32',
  output_tokens: 'INT32',
  attempts: 'INT32',
  score: 'DOUBLE',
  latency_ms: 'DOUBLE',
  time_to_first_token_ms: 'DOUBLE',
  queue_ms: 'DOUBLE',
  cost_usd: 'DOUBLE',
  cached: 'BOOLEAN',
  scores: 'JSON',
};

/** The format named by `value`, or a clear error listing the ones there are. */
export function exportFormatNamed(value: string): ExportFormat {
  const format = value.toLowerCase() === 'json' ? 'jsonl' : value.toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(format)) return format as ExportFormat;
  throw new LLMLabError('config_export', `--format '${value}' is not an export format: use csv, jsonl or parquet.`);
}

/** Evaluator names of a run, in the order its summary lists them (else as the first results carry them). */
async function evaluatorsOf(storage: ExportSource, runId: string, summary: unknown): Promise<string[]> {
  const providers = (summary as { providers?: ProviderSummary[] } | null)?.providers;
  const names = new Set<string>();
  if (providers?.length) for (const provider of providers) for (const evaluator of provider.evaluators ?? []) names.add(evaluator.name);
  else for (const result of (await storage.listResults({ runId, limit: 100 })).results) for (const score of result.scores) names.add(score.name);
  return [...names];
}

/** Writes with back-pressure; a stream that fails or closes meanwhile (a reader gone: EPIPE) rejects instead of waiting for ever. */
async function write(stream: Writable, text: string): Promise<void> {
  if (stream.destroyed) throw Object.assign(new Error('the output was closed'), { code: 'EPIPE' });
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off('drain', drained).off('error', settle).off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    const drained = () => settle();
    const closed = () => settle(Object.assign(new Error('the output was closed'), { code: 'EPIPE' }));
    stream.once('drain', drained).once('error', settle).once('close', closed);
  });
}

/**
 * Writes every result of a stored run, read page by page (memory stays flat for any size): CSV
 * ({@link RESULT_COLUMNS} then a score and verdict column per evaluator), JSON lines (every stored
 * field), or Parquet (the CSV columns typed, plus the case's row and the rendered prompt as JSON).
 */
export async function exportRun(storage: ExportSource, runIdOrPrefix: string, options: ExportOptions): Promise<ExportSummary> {
  const run = await storage.getRun(runIdOrPrefix);
  if (!run) throw new LLMLabError('run_not_found', `Run '${runIdOrPrefix}' is not a stored run. List runs with: llm-lab runs list`);
  if (options.format === 'parquet' && !options.out) throw new LLMLabError('config_export', 'Parquet is written to a file: give --out <file.parquet>.');
  if (!options.out && !options.stream) throw new LLMLabError('config_export', 'Give a file to write (--out) or a stream.');
  const evaluators = await evaluatorsOf(storage, run.id, run.summary);
  // Every format (csv, jsonl, parquet) is written from these rows, each through the sanitiser:
  // a run stored before it existed, or by another tool, holds no key in what is exported.
  const results = async function* () {
    for await (const result of eachResult(storage, { runId: run.id }, options.pageSize ?? 2_000)) yield sanitiseValue(result);
  };
  let rows = 0;

  if (!options.out) {
    await writeText(options.stream!, options.format, evaluators, results(), () => rows++);
    return { runId: run.id, rows, path: null };
  }
  const path = resolve(options.out);
  const partial = `${path}.partial`;
  try {
    if (options.format === 'parquet') {
      rows = await writeParquet(partial, evaluators, results());
    } else {
      const stream = createWriteStream(partial);
      const failed = new Promise<never>((_, reject) => stream.once('error', reject));
      await Promise.race([
        (async () => {
          await writeText(stream, options.format, evaluators, results(), () => rows++);
          stream.end();
          await once(stream, 'finish');
        })(),
        failed,
      ]);
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if ((error as NodeJS.ErrnoException).code && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
      throw new LLMLabError('config_export', `Cannot write '${options.out}': ${(error as Error).message}. Give --out a file in a folder that exists and can be written.`, { cause: error });
    }
    throw error;
  }
  return { runId: run.id, rows, path };
}

async function writeText(stream: Writable, format: ExportFormat, evaluators: readonly string[], results: AsyncIterable<ResultRecord>, counted: () => void): Promise<void> {
  if (format === 'csv') await write(stream, csvHeader(evaluators));
  for await (const result of results) {
    await write(stream, format === 'csv' ? csvLine(result, evaluators) : jsonLine(result));
    counted();
  }
}

async function writeParquet(path: string, evaluators: readonly string[], results: AsyncIterable<ResultRecord>): Promise<number> {
  const { fileWriter, parquetWriteRows, schemaFromColumnData } = await import('hyparquet-writer');
  const columns = [
    ...RESULT_COLUMNS.map((name) => ({ name, type: PARQUET_TYPES[name] ?? ('STRING' as const) })),
    ...evaluatorColumns(evaluators).map((name) => ({ name, type: name.endsWith('.passed') ? ('BOOLEAN' as const) : ('DOUBLE' as const) })),
    { name: 'vars', type: 'JSON' as const },
    { name: 'messages', type: 'JSON' as const },
  ];
  // The schema is given, not inferred from the first rows, so an empty run and a null column still type.
  const schema = schemaFromColumnData({ columnData: columns.map((column) => ({ ...column, data: [], nullable: true })) });
  let rows = 0;
  async function* flat() {
    for await (const result of results) {
      rows++;
      yield { ...flattenResult(result, evaluators), scores: result.scores, vars: result.vars ?? null, messages: result.prompt ?? null };
    }
  }
  await parquetWriteRows({ writer: fileWriter(path), rows: flat(), columns, schema, rowGroupSize: 10_000 });
  return rows;
}
