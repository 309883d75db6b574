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
  /** 1-based line of the row (the row number for inline rows; for CSV, the line where the record ends). */
  line: number;
  /** What is wrong, e.g. `invalid JSON: Unexpected token ...`. */
  reason: string;
}

/** The formats a dataset can be read from. */
export type DatasetFormat = 'jsonl' | 'csv' | 'inline';

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Folder that a relative `dataset.path` is resolved against (the config file's folder). */
  baseDir: string;
  /** Read only the first N valid cases. */
  limit?: number;
  /** Called for each invalid row when `onInvalidRow` is `skip` (the row is also collected). */
  onInvalidRow?: (row: InvalidRow) => void;
}

/** An opened dataset. Nothing is read until `cases` is iterated or `countRows` is called. */
export interface Dataset {
  format: DatasetFormat;
  /** Absolute file path; undefined for inline rows. */
  file: string | undefined;
  /**
   * The cases, streamed in file order. Each iteration reads the source afresh and resets
   * `invalidRows`. With `onInvalidRow: fail`, iteration throws a DatasetError at the first bad row.
   */
  cases: AsyncIterable<DatasetCase>;
  /** Invalid rows met by the current (or last) iteration of `cases`, in order. */
  invalidRows: InvalidRow[];
  /**
   * A cheap streaming pass that counts rows (capped at `limit`), for progress bars. For JSONL it
   * counts non-blank lines, so rows that turn out invalid are included; for CSV it counts records.
   */
  countRows(): Promise<number>;
}

/** What a format reader yields: a parsed row, or a row it could not parse. */
export type RawRecord =
  | { kind: 'row'; line: number; row: Record<string, unknown> }
  | { kind: 'invalid'; line: number; reason: string };
