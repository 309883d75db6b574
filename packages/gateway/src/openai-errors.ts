import { isLLMLabError, isProviderError, sanitise, type ProviderError, type ProviderErrorKind } from '@llm-lab/core';

/** OpenAI's error object: what its SDKs read from a failed call's body and from an in-band stream error. */
export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An error ready to send: its HTTP status, OpenAI body, class for metrics and records, and headers. */
export interface GatewayError {
  status: number;
  error: OpenAIErrorObject;
  /** The ProviderError kind, or the gateway's own class (`invalid-request`, `unknown-model`, ...). */
  errorClass: string;
  /** Seconds, sent as `Retry-After` (429 and 503). */
  retryAfterSeconds?: number;
}

/** The gateway's own refusal of a request (validation, unknown model, too large). */
export class GatewayRequestError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly errorClass: string;

  constructor(options: { status?: number; message: string; param?: string | null; code?: string | null; type?: string; errorClass?: string }) {
    super(options.message);
    this.name = 'GatewayRequestError';
    this.status = options.status ?? 400;
    this.type = options.type ?? 'invalid_request_error';
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.errorClass = options.errorClass ?? 'invalid-request';
  }
}

/** A 400 naming the request field at fault (as OpenAI's `param`). */
export function invalidField(param: string, message: string): GatewayRequestError {
  return new GatewayRequestError({ message: `${param}: ${message}`, param, code: 'invalid_value' });
}

/**
 * Status, OpenAI `type` and default `code` of each ProviderError kind, as OpenAI itself answers the
 * same failure. A failure of the vendor behind the gateway (its server, its network, an answer
 * that could not be read) is a 502/504 from the gateway: the client's request was fine.
 */
const BY_KIND: Record<ProviderErrorKind, { status: number; type: string; code: string }> = {
  authentication: { status: 401, type: 'authentication_error', code: 'provider_authentication_failed' },
  'rate-limit': { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  timeout: { status: 504, type: 'timeout_error', code: 'provider_timeout' },
  server: { status: 502, type: 'server_error', code: 'provider_server_error' },
  'bad-request': { status: 400, type: 'invalid_request_error', code: 'invalid_request' },
  'content-filter': { status: 400, type: 'invalid_request_error', code: 'content_filter' },
  network: { status: 502, type: 'server_error', code: 'provider_unreachable' },
  'invalid-response': { status: 502, type: 'server_error', code: 'provider_invalid_response' },
  cancelled: { status: 499, type: 'invalid_request_error', code: 'request_cancelled' },
  unknown: { status: 500, type: 'server_error', code: 'internal_error' },
};

function fromProviderError(error: ProviderError): GatewayError {
  const mapped = BY_KIND[error.kind] ?? BY_KIND.unknown;
  let status = mapped.status;
  // A vendor that says it is unavailable or overloaded (503, Anthropic's 529), or an open circuit:
  // 503 tells the client the same thing, with when to come back.
  if (error.kind === 'server' && (error.statusCode === 503 || error.statusCode === 529 || error.vendorCode === 'circuit_open')) status = 503;
  if (error.kind === 'authentication' && error.statusCode === 403) status = 403;
  const retryAfterSeconds = error.retryAfterMs !== undefined && (status === 429 || status === 503) ? Math.max(1, Math.ceil(error.retryAfterMs / 1000)) : undefined;
  return {
    status,
    error: { message: error.message, type: mapped.type, param: null, code: error.vendorCode ?? mapped.code },
    errorClass: error.kind,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

/** Any failure as the error the gateway sends. Messages of LLM Lab errors are already redacted of secrets. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayRequestError) {
    return { status: error.status, error: { message: error.message, type: error.type, param: error.param, code: error.code }, errorClass: error.errorClass };
  }
  if (isProviderError(error)) return fromProviderError(error);
  if (isLLMLabError(error) && error.code === 'config_invalid') {
    return { status: 400, error: { message: error.message, type: 'invalid_request_error', param: null, code: 'invalid_request' }, errorClass: 'invalid-request' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, error: { message: `internal error: ${message}`, type: 'server_error', param: null, code: 'internal_error' }, errorClass: 'internal' };
}

/**
 * The JSON body of an error response (and of an in-band stream error event): every error the
 * gateway sends is written here, through the sanitiser, so none quotes a key, a token or a
 * password (a vendor's error body may quote the key it was sent; an internal error, a database URL).
 */
export function errorBody(error: GatewayError): string {
  return sanitise(JSON.stringify({ error: error.error }));
}
