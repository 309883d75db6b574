import { resolve } from 'node:path';
import type { DatasetConfig } from '@llm-lab/core';
import { DatasetError, isDatasetError } from '../errors.js';
import { hashRow, idFromValue, UniqueIdAssigner } from './case-id.js';
import { assertReadableFile, countFileRows, formatOf, readFileRecords, type FileFormat } from './dataset-files.js';
import { describeHfDataset, resolveHfDataset } from './hf-hub.js';
import { compileFilter, compileMap } from './row-selection.js';
import { Reservoir } from './sampling.js';
import type { Dataset, DatasetCase, DatasetFormat, InvalidRow, OpenDatasetOptions, RawRecord } from './types.js';

/** A record together with the file it came from (undefined for inline rows). */
interface SourcedRecord {
  file: string | undefined;
  record: RawRecord;
}

/** Explains how to get past a bad row, for the `fail` error. */
function failMessage(row: InvalidRow): string {
  const where = row.file ? `${row.file}:${row.line}` : `dataset.rows[${row.line - 1}]`;
  return (
    `invalid dataset row at ${where}: ${row.reason}. ` +
    `Fix the row, or set dataset.onInvalidRow: skip to skip bad rows and report them.`
  );
}

function smallest(...values: Array<number | undefined>): number {
  return Math.min(...values.map((value) => value ?? Number.POSITIVE_INFINITY));
}

/**
 * Opens the dataset described by `config`: a JSONL, CSV, JSON-array or Parquet file (JSONL, CSV
 * and JSON optionally gzipped), inline `rows`, or a Hugging Face dataset (`hf`, downloaded once
 * into a cache and read as Parquet). Nothing is read until `cases` is iterated or `countRows` is
 * called; files are always streamed, never read whole.
 *
 * Each iteration: rows are parsed in file order; every valid row gets its stable id (see
 * {@link DatasetCase.id}) before selection, so `filter`, `sample` and `limit` never change a
 * case's id; then `filter` keeps matching rows (by source field names), `map` renames fields,
 * `sample` keeps a seeded uniform sample in one pass (holding `sample.size` cases), and `limit`
 * (the smaller of `dataset.limit` and `options.limit`) stops early. A row that cannot be used
 * (bad JSON, wrong CSV column count, missing `idField` or mapped field) is an {@link InvalidRow}:
 * collected and passed to `options.onInvalidRow` with `onInvalidRow: skip`, or thrown as a
 * DatasetError naming file and line with `onInvalidRow: fail`.
 */
export function openDataset(config: DatasetConfig, options: OpenDatasetOptions): Dataset {
  const file = config.path === undefined ? undefined : resolve(options.baseDir, config.path);
  const fileFormat: FileFormat | undefined = file === undefined ? undefined : formatOf(file, config.format);
  const format: DatasetFormat = config.hf ? 'parquet' : (fileFormat ?? 'inline');
  const source = config.hf ? `hf:${describeHfDataset(config.hf)}` : (file ?? 'dataset.rows');
  const limit = smallest(options.limit, config.limit);
  const onInvalidRowMode = config.onInvalidRow ?? 'skip';
  const passesFilter = compileFilter(config.filter);
  const mapRow = compileMap(config.map);

  /** The files to read, in order (downloading a Hugging Face dataset on first use). */
  const files = async (): Promise<Array<{ file: string; format: FileFormat }>> => {
    if (config.hf) return (await resolveHfDataset(config.hf, options.hub)).map((path) => ({ file: path, format: 'parquet' as const }));
    if (file === undefined || fileFormat === undefined) return [];
    await assertReadableFile(file, config.path as string, options.baseDir);
    return [{ file, format: fileFormat }];
  };

  async function* records(): AsyncGenerator<SourcedRecord> {
    if (config.rows !== undefined) {
      for (const [index, row] of config.rows.entries()) yield { file: undefined, record: { kind: 'row', line: index + 1, row } };
      return;
    }
    for (const entry of await files()) {
      const reader = await readFileRecords(entry.file, entry.format).catch((error: unknown) => {
        throw wrapReadError(error, entry.file);
      });
      try {
        for (;;) {
          let next: IteratorResult<RawRecord>;
          try {
            next = await reader.next();
          } catch (error) {
            throw wrapReadError(error, entry.file);
          }
          if (next.done) break;
          yield { file: entry.file, record: next.value };
        }
      } finally {
        await reader.return(undefined);
      }
    }
  }

  const dataset: Dataset = {
    format,
    file,
    source,
    invalidRows: [],
    cases: {
      [Symbol.asyncIterator]: () => readCases(reportInvalid)[Symbol.asyncIterator](),
    },
    async countRows(): Promise<number> {
      const cap = smallest(limit, config.sample?.size);
      if (cap <= 0) return 0;
      if (config.filter !== undefined) {
        // Only a full pass knows how many rows match; it reports nothing (iteration does that).
        let count = 0;
        for await (const _case of readCases(() => undefined, { sample: false })) {
          if (++count >= cap) break;
        }
        return count;
      }
      if (config.rows !== undefined) return Math.min(config.rows.length, cap);
      let count = 0;
      for (const entry of await files()) {
        count += await countFileRows(entry.file, entry.format).catch((error: unknown) => {
          throw wrapReadError(error, entry.file);
        });
      }
      return Math.min(count, cap);
    },
  };

  function reportInvalid(row: InvalidRow): void {
    if (onInvalidRowMode === 'fail') throw new DatasetError({ file: row.file, line: row.line, message: failMessage(row) });
    dataset.invalidRows.push(row);
    options.onInvalidRow?.(row);
  }

  async function* readCases(report: (row: InvalidRow) => void, mode: { sample: boolean } = { sample: true }): AsyncGenerator<DatasetCase> {
    if (report === reportInvalid) dataset.invalidRows = [];
    if (limit <= 0) return;
    const ids = new UniqueIdAssigner();
    const reservoir = mode.sample && config.sample ? new Reservoir<Omit<DatasetCase, 'index'>>(config.sample.size, config.sample.seed) : undefined;
    let index = 0;
    for await (const { file: rowFile, record } of records()) {
      if (record.kind === 'invalid') {
        report({ file: rowFile, line: record.line, reason: record.reason });
        continue;
      }
      const selected = passesFilter(record.row);
      let baseId: string;
      if (config.idField === undefined) {
        baseId = hashRow(record.row);
      } else {
        const fromField = idFromValue(record.row[config.idField]);
        if (fromField === undefined) {
          if (selected) {
            report({ file: rowFile, line: record.line, reason: `the row has no value in the id field '${config.idField}' (dataset.idField)` });
          }
          continue;
        }
        baseId = fromField;
      }
      // Every valid row takes its id, selected or not, so selection never shifts the #2, #3 suffixes.
      const id = ids.assign(baseId);
      if (!selected) continue;
      const mapped = mapRow(record.row);
      if (!mapped.ok) {
        report({ file: rowFile, line: record.line, reason: mapped.reason });
        continue;
      }
      const candidate = { id, vars: mapped.row, line: record.line };
      if (reservoir) {
        reservoir.offer(candidate);
        continue;
      }
      yield { ...candidate, index };
      index++;
      if (index >= limit) return;
    }
    if (!reservoir) return;
    for (const candidate of reservoir.items()) {
      yield { ...candidate, index };
      index++;
      if (index >= limit) return;
    }
  }

  function wrapReadError(error: unknown, rowFile: string | undefined): unknown {
    if (isDatasetError(error)) return error;
    const line = (error as { line?: unknown }).line;
    return new DatasetError({
      file: rowFile,
      ...(typeof line === 'number' ? { line } : {}),
      cause: error,
      message:
        `could not read dataset ${rowFile ?? source}: ${(error as Error).message}. ` +
        `Check that the file is ${fileFormat ?? format} (set dataset.format if the extension is misleading).`,
    });
  }

  return dataset;
}
