import type { HubOptions } from './hf-hub.js';

/** One dataset row, ready to be rendered into prompts. */
export interface DatasetCase {
  /**
   * Stable id: the `idField` value, else a 16-hex-digit hash of the row. Duplicates get `#2`,
   * `#3`… in reading order, so no two cases of one dataset share an id.
   */
  id: string;
  /** 0-based position among the valid cases, in reading order. */
  index: number;
  /** The row's fields (template variables). CSV values are strings. */
  vars: Record<string, unknown>;
  /** 1-based line where the row is in the file (the row number for inline rows). */
  line: number;
}

/** A row that could not be used, and why. */
export interface InvalidRow {
  /** Absolute path of the dataset file; undefined for inline `rows:`. */
  file: string | undefined;
  /**
   * 1-based line of the row: for JSONL its line, for CSV the line where the record ends, for a
   * JSON array the line where the element starts, for Parquet and inline rows the row number.
   */
  line: number;
  /** What is wrong, e.g. `invalid JSON: Unexpected token ...`. */
  reason: string;
}

/** The formats a dataset can be read from (`parquet` also for Hugging Face datasets). */
export type DatasetFormat = 'jsonl' | 'csv' | 'json' | 'parquet' | 'inline';

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Folder that a relative `dataset.path` is resolved against (the config file's folder). */
  baseDir: string;
  /** Read only the first N valid cases (combined with `dataset.limit`: the smaller wins). */
  limit?: number;
  /** Hugging Face Hub endpoint, token and cache folder (default from HF_ENDPOINT, HF_TOKEN, LLM_LAB_CACHE_DIR). */
  hub?: HubOptions;
  /** Called for each invalid row when `onInvalidRow` is `skip` (the row is also collected). */
  onInvalidRow?: (row: InvalidRow) => void;
}

/** An opened dataset. Nothing is read until `cases` is iterated or `countRows` is called. */
export interface Dataset {
  format: DatasetFormat;
  /** Absolute file path; undefined for inline rows and Hugging Face datasets. */
  file: string | undefined;
  /** Where the rows come from, for messages: a path, `dataset.rows`, or `hf:openai/gsm8k (config main, split test)`. */
  source: string;
  /**
   * The cases, streamed in file order. Each iteration reads the source afresh and resets
   * `invalidRows`. With `onInvalidRow: fail`, iteration throws a DatasetError at the first bad row.
   */
  cases: AsyncIterable<DatasetCase>;
  /** Invalid rows met by the current (or last) iteration of `cases`, in order. */
  invalidRows: InvalidRow[];
  /**
   * Counts the cases an iteration will yield at most (capped by `sample.size` and `limit`), for
   * progress bars. Without a `filter` it is a cheap pass: non-blank lines for JSONL (rows that turn
   * out invalid are included), records for CSV, elements for a JSON array, the footer's row count
   * for Parquet. With a `filter` it is a full streamed pass that parses and filters every row.
   * A Hugging Face dataset is downloaded (once) by the first call.
   */
  countRows(): Promise<number>;
}

/** What a format reader yields: a parsed row, or a row it could not parse. */
export type RawRecord =
  | { kind: 'row'; line: number; row: Record<string, unknown> }
  | { kind: 'invalid'; line: number; reason: string };
