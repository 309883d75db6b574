import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { DatasetConfig } from '@llm-lab/core';
import { DatasetError, isDatasetError } from '../errors.js';
import { hashRow, idFromValue, UniqueIdAssigner } from './case-id.js';
import { countCsvRows, readCsv } from './csv-reader.js';
import { countJsonlRows, readJsonl } from './jsonl-reader.js';
import type { Dataset, DatasetCase, DatasetFormat, InvalidRow, OpenDatasetOptions, RawRecord } from './types.js';

const FORMAT_BY_EXTENSION: Record<string, 'jsonl' | 'csv'> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv' };

/** The file format of `file`: `configured` when set, else from the extension. */
function formatOf(file: string, configured: DatasetConfig['format']): 'jsonl' | 'csv' {
  if (configured) return configured;
  const extension = extname(file).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (!format) {
    throw new DatasetError({
      file,
      message:
        `cannot tell the format of dataset ${file} from its extension '${extension || '(none)'}'. ` +
        `Use .jsonl, .ndjson or .csv, or set dataset.format to jsonl or csv.`,
    });
  }
  return format;
}

async function assertReadableFile(file: string, configuredPath: string, baseDir: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (error) {
    throw new DatasetError({
      file,
      cause: error,
      message:
        `dataset file not found: ${file} (dataset.path '${configuredPath}', resolved against ${baseDir}). ` +
        `Check dataset.path; a relative path is relative to the config file's folder.`,
    });
  }
  if (!isFile) {
    throw new DatasetError({
      file,
      message: `dataset.path '${configuredPath}' is not a file: ${file}. Point it at a .jsonl or .csv file.`,
    });
  }
}

async function* inlineRecords(rows: ReadonlyArray<Record<string, unknown>>): AsyncGenerator<RawRecord> {
  for (const [index, row] of rows.entries()) yield { kind: 'row', line: index + 1, row };
}

/** Explains how to get past a bad row, for the `fail` error. */
function failMessage(row: InvalidRow): string {
  const where = row.file ? `${row.file}:${row.line}` : `dataset.rows[${row.line - 1}]`;
  return (
    `invalid dataset row at ${where}: ${row.reason}. ` +
    `Fix the row, or set dataset.onInvalidRow: skip to skip bad rows and report them.`
  );
}

/**
 * Opens the dataset described by `config` (a JSONL or CSV file, or inline `rows`). The file is
 * checked when `cases` is first iterated or `countRows` is called, and always streamed, never
 * read whole. Cases get stable ids (see {@link DatasetCase.id}). A row that cannot be used
 * (bad JSON, wrong CSV column count, missing `idField`) is an {@link InvalidRow}: collected and
 * passed to `options.onInvalidRow` with `onInvalidRow: skip`, or thrown as a DatasetError
 * naming file and line with `onInvalidRow: fail`.
 */
export function openDataset(config: DatasetConfig, options: OpenDatasetOptions): Dataset {
  const file = config.path === undefined ? undefined : resolve(options.baseDir, config.path);
  const format: DatasetFormat = file === undefined ? 'inline' : formatOf(file, config.format);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const onInvalidRowMode = config.onInvalidRow ?? 'skip';

  const records = async (): Promise<AsyncGenerator<RawRecord>> => {
    if (file === undefined) return inlineRecords(config.rows ?? []);
    await assertReadableFile(file, config.path as string, options.baseDir);
    return format === 'csv' ? readCsv(file) : readJsonl(file);
  };

  const dataset: Dataset = {
    format,
    file,
    invalidRows: [],
    cases: {
      [Symbol.asyncIterator]: () => readCases()[Symbol.asyncIterator](),
    },
    async countRows(): Promise<number> {
      if (file === undefined) return Math.min(config.rows?.length ?? 0, limit);
      await assertReadableFile(file, config.path as string, options.baseDir);
      const count = format === 'csv' ? await countCsvRows(file) : await countJsonlRows(file);
      return Math.min(count, limit);
    },
  };

  const reportInvalid = (row: InvalidRow): void => {
    if (onInvalidRowMode === 'fail') throw new DatasetError({ file: row.file, line: row.line, message: failMessage(row) });
    dataset.invalidRows.push(row);
    options.onInvalidRow?.(row);
  };

  async function* readCases(): AsyncGenerator<DatasetCase> {
    dataset.invalidRows = [];
    if (limit <= 0) return;
    const ids = new UniqueIdAssigner();
    const source = await records();
    let index = 0;
    try {
      for await (const record of source) {
        if (record.kind === 'invalid') {
          reportInvalid({ file, line: record.line, reason: record.reason });
          continue;
        }
        let baseId: string;
        if (config.idField === undefined) {
          baseId = hashRow(record.row);
        } else {
          const fromField = idFromValue(record.row[config.idField]);
          if (fromField === undefined) {
            reportInvalid({
              file,
              line: record.line,
              reason: `the row has no value in the id field '${config.idField}' (dataset.idField)`,
            });
            continue;
          }
          baseId = fromField;
        }
        yield { id: ids.assign(baseId), index, vars: record.row, line: record.line };
        index++;
        if (index >= limit) return;
      }
    } catch (error) {
      if (isDatasetError(error)) throw error;
      throw new DatasetError({
        file,
        cause: error,
        message: `could not read dataset ${file ?? 'dataset.rows'}: ${(error as Error).message}`,
      });
    } finally {
      await source.return(undefined);
    }
  }

  return dataset;
}
