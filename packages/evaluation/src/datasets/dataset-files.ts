import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { DatasetConfig } from '@llm-lab/core';
import { DatasetError } from '../errors.js';
import { isGzipHeader, peekBytes } from './byte-source.js';
import { countCsvRows, readCsv } from './csv-reader.js';
import { countJsonArrayRows, readJsonArray } from './json-array-reader.js';
import { countJsonlRows, readJsonl } from './jsonl-reader.js';
import { countParquetRows, readParquet } from './parquet-reader.js';
import type { RawRecord } from './types.js';

/** The formats a dataset file can have. */
export type FileFormat = NonNullable<DatasetConfig['format']>;

const FORMAT_BY_EXTENSION: Record<string, FileFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
  '.json': 'json',
  '.parquet': 'parquet',
};
const GZIP_EXTENSIONS = new Set(['.gz', '.gzip']);

/**
 * The format of `file`: `configured` when set, else from the extension, looking through a
 * `.gz` suffix (`cases.jsonl.gz` is JSONL). Whether a file is gzip is decided by its first bytes
 * when it is read, so a gzip file without `.gz` is read too.
 */
export function formatOf(file: string, configured: DatasetConfig['format']): FileFormat {
  let extension = extname(file).toLowerCase();
  const gzipped = GZIP_EXTENSIONS.has(extension);
  if (gzipped) extension = extname(file.slice(0, -extension.length)).toLowerCase();
  const format = configured ?? FORMAT_BY_EXTENSION[extension];
  if (!format) {
    throw new DatasetError({
      file,
      message:
        `cannot tell the format of dataset ${file} from its extension '${extension || '(none)'}'. ` +
        `Use .jsonl, .ndjson, .csv, .json (an array of objects) or .parquet (each but Parquet may end in .gz), ` +
        `or set dataset.format to jsonl, csv, json or parquet.`,
    });
  }
  if (format === 'parquet' && gzipped) {
    throw new DatasetError({
      file,
      message: `dataset ${file} is a gzipped Parquet file, which cannot be read in place. Gunzip it (Parquet compresses its own columns).`,
    });
  }
  return format;
}

/** Throws a DatasetError saying what to check when `file` is missing or not a file. */
export async function assertReadableFile(file: string, configuredPath: string, baseDir: string): Promise<void> {
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
      message: `dataset.path '${configuredPath}' is not a file: ${file}. Point it at a .jsonl, .csv, .json or .parquet file.`,
    });
  }
}

async function assertNotGzippedParquet(file: string): Promise<void> {
  if (isGzipHeader(await peekBytes(file, 2))) {
    throw new DatasetError({
      file,
      message: `dataset ${file} is gzip data, not Parquet. Gunzip it first (Parquet compresses its own columns).`,
    });
  }
}

/** The records of one dataset file, streamed by the reader of its format. */
export async function readFileRecords(file: string, format: FileFormat): Promise<AsyncGenerator<RawRecord>> {
  switch (format) {
    case 'jsonl':
      return readJsonl(file);
    case 'csv':
      return readCsv(file);
    case 'json':
      return readJsonArray(file);
    case 'parquet':
      await assertNotGzippedParquet(file);
      return readParquet(file);
  }
}

/** The cheap row count of one dataset file (see `Dataset.countRows`). */
export async function countFileRows(file: string, format: FileFormat): Promise<number> {
  switch (format) {
    case 'jsonl':
      return countJsonlRows(file);
    case 'csv':
      return countCsvRows(file);
    case 'json':
      return countJsonArrayRows(file);
    case 'parquet':
      await assertNotGzippedParquet(file);
      return countParquetRows(file);
  }
}
