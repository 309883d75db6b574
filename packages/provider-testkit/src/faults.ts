/**
 * Failures a fake server can be told to produce. They are vendor-neutral: each fake server turns
 * them into its vendor's wire format (status, headers and error body).
 */
export type Fault =
  | HttpErrorFault
  /** A streamed answer stops after `afterChunks` data frames (default 2) and the socket is destroyed, without `[DONE]`. A non-streamed answer stops half-way through its body. */
  | { type: 'truncate-stream'; afterChunks?: number }
  /** A 200 with a body that is not JSON. */
  | { type: 'invalid-json' }
  /** Never answers; the request is ended only by the client or by `close()`. */
  | { type: 'hang' }
  /** Destroys the socket without answering (the client sees a connection reset). */
  | { type: 'reset' };

/** An HTTP error response. Without `body`, the server writes its vendor's error body from `status`, `code` and `message`. */
export interface HttpErrorFault {
  type: 'http-error';
  status: number;
  /** The vendor error code, e.g. `rate_limit_exceeded`, `content_filter`. */
  code?: string | null;
  /** The human message inside the vendor's error body. */
  message?: string;
  /** The vendor error type, e.g. `invalid_request_error`. Default: chosen from the status. */
  errorType?: string;
  /** The request parameter at fault, when there is one. */
  param?: string | null;
  /** A body written as is (a string) or as JSON (an object), replacing the vendor's error body. */
  body?: string | Record<string, unknown>;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
}

/** Options of {@link faults.rateLimited}. */
export interface RateLimitFaultOptions {
  /** Sent as `retry-after` (whole seconds). */
  retryAfterSeconds?: number;
  /** Sent as `retry-after-ms`. */
  retryAfterMs?: number;
  /** Sent as `x-ratelimit-reset-requests`, e.g. `20s` or `1m3s`. */
  resetRequests?: string;
  /** Default `rate_limit_exceeded`; `insufficient_quota` models an account out of credit. */
  code?: string;
}

/** Ready-made faults for the failures every provider must classify. */
export const faults = {
  /** 429 with the wait headers given (none by default). */
  rateLimited(options: RateLimitFaultOptions = {}): HttpErrorFault {
    const headers: Record<string, string> = {};
    if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
    if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = String(options.retryAfterMs);
    if (options.resetRequests !== undefined) headers['x-ratelimit-reset-requests'] = options.resetRequests;
    return { type: 'http-error', status: 429, code: options.code ?? 'rate_limit_exceeded', headers };
  },
  /** 401 for a wrong API key. */
  unauthorized(): HttpErrorFault {
    return { type: 'http-error', status: 401, code: 'invalid_api_key' };
  },
  /** 500, a transient server failure. */
  serverError(): HttpErrorFault {
    return { type: 'http-error', status: 500 };
  },
  /** 503, the service is unavailable. */
  unavailable(): HttpErrorFault {
    return { type: 'http-error', status: 503 };
  },
  /** 529, the vendor is overloaded (Anthropic's status; others answer 503). */
  overloaded(): HttpErrorFault {
    return { type: 'http-error', status: 529, code: 'overloaded', errorType: 'overloaded_error' };
  },
  /** 400 because the content filter blocked the prompt. */
  contentFilter(): HttpErrorFault {
    return { type: 'http-error', status: 400, code: 'content_filter', param: 'prompt' };
  },
  /** 400 for a request the vendor refuses (not retryable). */
  badRequest(param: string | null = null): HttpErrorFault {
    return { type: 'http-error', status: 400, code: 'invalid_value', param };
  },
  invalidJson(): Fault {
    return { type: 'invalid-json' };
  },
  truncateStream(afterChunks = 2): Fault {
    return { type: 'truncate-stream', afterChunks };
  },
  hang(): Fault {
    return { type: 'hang' };
  },
  reset(): Fault {
    return { type: 'reset' };
  },
} as const;

/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence,
 * so rate-based fault injection is reproducible. Returns numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
