import { sanitise } from '@llm-lab/security';

const LLM_LAB_ERROR = Symbol.for('llm-lab.error');

/** How a provider failure is classified. Decides whether a retry can help. */
export type ProviderErrorKind =
  | 'authentication'
  | 'rate-limit'
  | 'timeout'
  | 'server'
  | 'bad-request'
  | 'content-filter'
  | 'network'
  | 'invalid-response'
  | 'cancelled'
  | 'unknown';

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  authentication: false,
  'rate-limit': true,
  timeout: true,
  server: true,
  'bad-request': false,
  'content-filter': false,
  network: true,
  'invalid-response': true,
  cancelled: false,
  unknown: false,
};

/** Base of every error LLM Lab throws on purpose. Messages never contain a known secret. */
export class LLMLabError extends Error {
  /** Marker recognised across package copies; use {@link isLLMLabError}, not `instanceof`. */
  readonly [LLM_LAB_ERROR] = true;
  /** A stable machine-readable code, e.g. `config_invalid`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(sanitise(message), options);
    this.name = 'LLMLabError';
    this.code = code;
  }
}

/** True when `value` is an error thrown by any copy of `@llm-lab/core`. */
export function isLLMLabError(value: unknown): value is LLMLabError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LLM_LAB_ERROR] === true;
}

export interface ProviderErrorOptions {
  kind: ProviderErrorKind;
  message: string;
  /** `<provider>:<model>` that failed. */
  providerId?: string;
  /** HTTP status, when there was a response. */
  statusCode?: number;
  /** The vendor's error body (redacted), for diagnosis. */
  responseBody?: string;
  /** Milliseconds the vendor asked us to wait before retrying. */
  retryAfterMs?: number;
  /** Vendor error code, e.g. `context_length_exceeded`. */
  vendorCode?: string;
  /** Overrides the kind's default retryability. */
  isRetryable?: boolean;
  /** Calls made to providers before giving up, when a retrying layer (the provider manager) made several or none. */
  attempts?: number;
  cause?: unknown;
}

/** A classified failure of a provider call. */
export class ProviderError extends LLMLabError {
  readonly kind: ProviderErrorKind;
  readonly providerId: string | undefined;
  readonly statusCode: number | undefined;
  readonly responseBody: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly vendorCode: string | undefined;
  /** Whether sending the same request again can succeed. */
  readonly isRetryable: boolean;
  /**
   * Set by a retrying layer (the provider manager): the calls made to providers before this
   * failure was given up on (0 when none was made, e.g. a circuit breaker refused the call).
   * Undefined means the one call that failed.
   */
  readonly attempts: number | undefined;

  constructor(options: ProviderErrorOptions) {
    super(`provider_${options.kind.replace('-', '_')}`, options.message, { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = options.kind;
    this.providerId = options.providerId;
    this.statusCode = options.statusCode;
    this.responseBody = options.responseBody === undefined ? undefined : sanitise(options.responseBody);
    this.retryAfterMs = options.retryAfterMs;
    this.vendorCode = options.vendorCode;
    this.isRetryable = options.isRetryable ?? RETRYABLE[options.kind];
    this.attempts = options.attempts;
  }
}

/** True when `value` is a {@link ProviderError} from any copy of `@llm-lab/core`. */
export function isProviderError(value: unknown): value is ProviderError {
  return isLLMLabError(value) && typeof (value as ProviderError).kind === 'string' && 'isRetryable' in value;
}

/** Whether a retry of the failed call can help (false for anything that is not a ProviderError). */
export function isRetryableError(value: unknown): boolean {
  return isProviderError(value) && value.isRetryable;
}

/**
 * Classifies an HTTP status from a vendor into a {@link ProviderErrorKind}. Vendors' own
 * specifics (e.g. a content-filter code in a 400 body) are refined by the provider.
 */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'authentication';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  if (status >= 400) return 'bad-request';
  return 'invalid-response';
}

/**
 * Reads a wait time from response headers: `retry-after-ms`, `retry-after` (seconds or an HTTP
 * date) and the vendors' reset headers. Returns milliseconds, or undefined when none is usable.
 */
export function retryAfterFromHeaders(
  get: (name: string) => string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') != null && Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = get('retry-after');
  if (retryAfter != null && retryAfter !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** A configuration problem, with the file and the path inside it. */
export class ConfigError extends LLMLabError {
  readonly file: string | undefined;
  /** Where in the config, e.g. `providers[1].config.baseURL`. */
  readonly path: string | undefined;
  /** What is wrong, without the file and path. */
  readonly detail: string;

  constructor(options: { message: string; file?: string; path?: string; cause?: unknown }) {
    const where = [options.file, options.path].filter(Boolean).join(': ');
    super('config_invalid', where ? `${where}: ${options.message}` : options.message, { cause: options.cause });
    this.name = 'ConfigError';
    this.file = options.file;
    this.path = options.path;
    this.detail = options.message;
  }
}

/**
 * `Name: message (cause message)` of any thrown value, for the parenthesis of an error message
 * (e.g. `TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:8080)`). With `withCode`, a
 * system error code of the cause is put first (`(ECONNRESET socket hang up)`). Values that are not
 * errors are stringified.
 */
export function describeError(error: unknown, options: { withCode?: boolean } = {}): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message, cause } = error as { name?: string; message?: string; cause?: unknown };
    let causeText = '';
    if (cause && typeof cause === 'object' && 'message' in cause) {
      const code = options.withCode ? (cause as { code?: unknown }).code : undefined;
      causeText = ` (${code ? `${String(code)} ` : ''}${String((cause as { message: unknown }).message)})`;
    }
    return `${name ?? 'Error'}: ${message ?? ''}${causeText}`;
  }
  return String(error);
}
