const LLM_LAB_ERROR = Symbol.for('llm-lab.error');

/** Stable machine-readable codes of {@link StorageError}. */
export type StorageErrorCode =
  | 'storage_locked'
  | 'storage_not_a_database'
  | 'storage_open_failed'
  | 'storage_unreachable'
  | 'storage_invalid_option'
  | 'storage_query_failed'
  | 'run_not_found'
  | 'run_exists'
  | 'run_id_ambiguous'
  | 'run_in_progress'
  | 'key_exists'
  | 'key_ambiguous';

/**
 * An error the storage layer throws on purpose. It carries the same cross-package marker as
 * `@llm-lab/core`'s `LLMLabError`, so `isLLMLabError()` recognises it, and a stable `code`.
 * Messages never contain a database password.
 */
export class StorageError extends Error {
  readonly [LLM_LAB_ERROR] = true;
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** True when `value` is a {@link StorageError} (from any copy of this package). */
export function isStorageError(value: unknown): value is StorageError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[LLM_LAB_ERROR] === true &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { name?: unknown }).name === 'StorageError'
  );
}

/** The message of any thrown value, for wrapping it in a clearer error. */
export function messageOf(error: unknown): string {
  // Not `instanceof Error`: errors from another realm (a vm context, a worker) fail that check.
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The PostgreSQL SQLSTATE of a driver error (both `pg` and PGlite set `code`), if any. */
export function sqlStateOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current != null && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
