import type { HttpErrorFault } from '../faults.js';

/**
 * Faults shaped like the Gemini API's own failures. The vendor-neutral `faults` work with the
 * fake Gemini server too (each becomes a Google error body for its status); these add what only
 * Google does.
 */
export const geminiFaults = {
  /** 400 `INVALID_ARGUMENT` with ErrorInfo reason `API_KEY_INVALID`: how Google answers a wrong key. */
  apiKeyInvalid(): HttpErrorFault {
    return { type: 'http-error', status: 400, code: 'API_KEY_INVALID' };
  },
  /** 403 `PERMISSION_DENIED`, e.g. a key without access to the API or a missing key. */
  permissionDenied(): HttpErrorFault {
    return { type: 'http-error', status: 403 };
  },
  /**
   * 429 `RESOURCE_EXHAUSTED` with QuotaFailure and, when `retryDelaySeconds` is given, RetryInfo
   * `retryDelay`. `perDay` makes the violated quota a daily one (waiting a minute will not help).
   */
  quotaExceeded(options: { retryDelaySeconds?: number; perDay?: boolean } = {}): HttpErrorFault {
    return {
      type: 'http-error',
      status: 429,
      ...(options.perDay ? { code: 'PER_DAY' } : {}),
      ...(options.retryDelaySeconds !== undefined ? { headers: { 'retry-after-ms': String(options.retryDelaySeconds * 1000) } } : {}),
    };
  },
  /** 500 `INTERNAL`. */
  internal(): HttpErrorFault {
    return { type: 'http-error', status: 500 };
  },
  /** 503 `UNAVAILABLE`: "The model is overloaded." */
  overloaded(): HttpErrorFault {
    return { type: 'http-error', status: 503 };
  },
  /** 404 `NOT_FOUND` for the requested model. */
  modelNotFound(): HttpErrorFault {
    return { type: 'http-error', status: 404 };
  },
} as const;
