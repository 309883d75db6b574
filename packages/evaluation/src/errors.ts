import { LLMLabError } from '@llm-lab/core';

/** A dataset could not be read: a missing file, an unknown format, or a bad row with `onInvalidRow: fail`. */
export class DatasetError extends LLMLabError {
  /** The dataset file (absolute), when the dataset is a file. */
  readonly file: string | undefined;
  /** The 1-based line of the offending row, when one row is to blame. */
  readonly line: number | undefined;

  constructor(options: { message: string; file?: string; line?: number; cause?: unknown }) {
    super('dataset_invalid', options.message, { cause: options.cause });
    this.name = 'DatasetError';
    this.file = options.file;
    this.line = options.line;
  }
}

/** A prompt or evaluator template could not be parsed, or a row lacks one of its variables. */
export class TemplateError extends LLMLabError {
  /** The variable that is missing, when that is the problem. */
  readonly variable: string | undefined;

  constructor(options: { message: string; variable?: string; cause?: unknown }) {
    super('template_invalid', options.message, { cause: options.cause });
    this.name = 'TemplateError';
    this.variable = options.variable;
  }
}

/** True when `value` is a {@link TemplateError} (checked by name and code, so copies of this package agree). */
export function isTemplateError(value: unknown): value is TemplateError {
  return value instanceof Error && (value as { code?: unknown }).code === 'template_invalid';
}

/** True when `value` is a {@link DatasetError}. */
export function isDatasetError(value: unknown): value is DatasetError {
  return value instanceof Error && (value as { code?: unknown }).code === 'dataset_invalid';
}
