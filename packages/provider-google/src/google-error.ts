import { ProviderError, describeError, isProviderError, kindForStatus, type ProviderErrorKind, type ProviderErrorOptions, abortOutcomeOf, type CallAbortState } from '@llm-lab/core';
import { ApiError } from '@google/genai';

/** What {@link mapGoogleError} needs to know about the failed call. */
export interface GoogleErrorContext extends CallAbortState {
  /** `<provider>:<model>` of the failing provider. */
  providerId: string;
  /** The server called, named in connection messages. */
  baseURL: string;
  /** Whether `baseURL` is Google's own API (decides how the server is named). */
  isGoogleHost: boolean;
  /** `stream` when the failure came while reading a streamed answer. */
  phase?: 'request' | 'stream';
}

/** Google's error body, as far as it is read here. */
interface GoogleErrorBody {
  error?: { code?: unknown; message?: unknown; status?: unknown; details?: unknown };
}

/** What a Google error body says, in a form that is easy to act on. */
export interface ParsedGoogleError {
  /** `error.message`. */
  message?: string;
  /** The gRPC status, e.g. `RESOURCE_EXHAUSTED`. */
  status?: string;
  /** `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string;
  /** `RetryInfo.retryDelay` in milliseconds. */
  retryDelayMs?: number;
  /** The `QuotaFailure` quota ids, e.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`. */
  quotaIds: string[];
  /** The body as received (JSON text), for `responseBody`. */
  raw: string;
}

/** Parses Google's duration format (`7s`, `1.5s`, `0.250s`) into milliseconds. */
export function parseGoogleDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(text);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/**
 * Reads the Google error body inside an SDK `ApiError` message (the SDK puts the body's JSON
 * there, after `got status: …. ` for an error sent inside a stream).
 */
export function parseGoogleErrorMessage(message: string): ParsedGoogleError {
  const start = message.indexOf('{');
  const raw = start >= 0 ? message.slice(start) : message;
  const parsed: ParsedGoogleError = { quotaIds: [], raw };
  let body: GoogleErrorBody | undefined;
  try {
    body = JSON.parse(raw) as GoogleErrorBody;
  } catch {
    return { ...parsed, message: message.trim() };
  }
  let error = body?.error;
  // A body that was not JSON reaches the SDK as text, which it wraps as { error: { message: text } }.
  if (typeof error?.message === 'string' && error.message.trim().startsWith('{')) {
    try {
      const inner = JSON.parse(error.message) as GoogleErrorBody;
      if (inner.error) error = inner.error;
    } catch {
      // keep the outer error
    }
  }
  if (typeof error?.message === 'string') parsed.message = error.message.trim();
  // Google's statuses are upper snake case; a wrapped non-JSON body carries the HTTP status text instead.
  if (typeof error?.status === 'string' && /^[A-Z][A-Z_]+$/.test(error.status)) parsed.status = error.status;
  if (Array.isArray(error?.details)) {
    for (const detail of error.details as Array<Record<string, unknown>>) {
      const type = String(detail?.['@type'] ?? '');
      if (type.endsWith('google.rpc.ErrorInfo') && typeof detail.reason === 'string') parsed.reason = detail.reason;
      if (type.endsWith('google.rpc.RetryInfo')) {
        const delay = parseGoogleDuration(detail.retryDelay);
        if (delay !== undefined) parsed.retryDelayMs = delay;
      }
      if (type.endsWith('google.rpc.QuotaFailure') && Array.isArray(detail.violations)) {
        for (const violation of detail.violations as Array<Record<string, unknown>>) {
          if (typeof violation?.quotaId === 'string') parsed.quotaIds.push(violation.quotaId);
        }
      }
    }
  }
  return parsed;
}

const ADVICE: Record<ProviderErrorKind, string> = {
  authentication: 'Check the API key (config apiKey, GEMINI_API_KEY or GOOGLE_API_KEY) and that the Gemini API is enabled for its project.',
  'rate-limit': 'Wait and retry, or send fewer requests at once; quotas are listed at https://ai.google.dev/gemini-api/docs/rate-limits.',
  timeout: 'Raise timeoutMs (in the provider config or per call), or check the server load.',
  server: 'The server failed on its side; retrying usually helps.',
  'bad-request': 'Fix the request named in the message; retrying the same request will fail again.',
  'content-filter': "Google's safety filters blocked the prompt or the answer; rephrase the input or adjust providerOptions.safetySettings.",
  network: 'Check that the server is reachable at baseURL (and any proxy), then retry.',
  'invalid-response': 'The server sent something that is not a valid Gemini response; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
};

function serverName(context: GoogleErrorContext): string {
  return context.isGoogleHost ? 'the Gemini API' : `the server at ${context.baseURL}`;
}

/**
 * The SDK wraps a failure that is not an `Error` of its own realm (e.g. a fetch error seen from a
 * VM context) as `exception … sending request` with the original as `cause`: unwrap it.
 */
function unwrapSdkError(error: unknown): unknown {
  if (error instanceof Error && /^exception [\s\S]* sending request$/.test(error.message) && error.cause !== undefined) return error.cause;
  return error;
}


/**
 * Classifies any failure of a `@google/genai` call as a core ProviderError: cancelled (the
 * caller's signal), timeout (the call's deadline), authentication (401, 403, and Google's 400 with
 * reason `API_KEY_INVALID`), rate-limit (429, with the wait from `RetryInfo.retryDelay`; a daily
 * quota is not retryable), server (5xx), bad-request (other 4xx, 404 for an unknown model),
 * network (no connection, or a stream cut off), invalid-response (a body that is not JSON). The
 * Google error body is kept as `responseBody` and its `ErrorInfo.reason` (else its status) as
 * `vendorCode`; messages name the provider and say what to do, and never hold the API key.
 */
export function mapGoogleError(error: unknown, context: GoogleErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { providerId } = context;
  const make = (kind: ProviderErrorKind, what: string, extra: Partial<ProviderErrorOptions> = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${what} ${ADVICE[kind]}`, cause: error, ...extra });

  const stopped = abortOutcomeOf(context, serverName(context));
  if (stopped) return make(stopped.kind, stopped.what);
  if (error instanceof ApiError && typeof error.status === 'number') {
    const status = error.status;
    const parsed = parseGoogleErrorMessage(error.message);
    let kind = kindForStatus(status);
    if (parsed.reason === 'API_KEY_INVALID' || parsed.reason === 'API_KEY_SERVICE_BLOCKED') kind = 'authentication';
    const dailyQuota = status === 429 && parsed.quotaIds.some((id) => /PerDay/i.test(id));
    const retryAfterMs = kind === 'rate-limit' || kind === 'server' ? parsed.retryDelayMs : undefined;
    const vendorCode = parsed.reason ?? parsed.status;
    const what =
      `${serverName(context)} answered HTTP ${status}${vendorCode ? ` (${vendorCode})` : ''}: ${parsed.message ?? 'no message'}` +
      (status === 404 ? ' Check the model name; `GET /v1beta/models` lists the models the key can use.' : '') +
      (dailyQuota ? ' A daily quota is used up: retrying today will not help; raise the quota or switch models.' : '') +
      (retryAfterMs !== undefined ? ` The server asked to wait ${retryAfterMs} ms.` : '');
    return make(kind, what, {
      statusCode: status,
      responseBody: parsed.raw,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(vendorCode !== undefined ? { vendorCode } : {}),
      ...(dailyQuota ? { isRetryable: false } : {}),
    });
  }
  const inner = unwrapSdkError(error);
  const name = (inner as { name?: unknown } | null)?.name;
  const message = inner instanceof Error || (typeof inner === 'object' && inner !== null) ? String((inner as { message?: unknown }).message ?? '') : String(inner);
  if (name === 'AbortError') return make('cancelled', 'the call was aborted.');
  if (name === 'SyntaxError' || /exception parsing stream chunk|Incomplete JSON segment/.test(message)) {
    return make('invalid-response', `${serverName(context)} answered with a body that is not valid JSON (${describeError(inner)}).`);
  }
  if (name === 'TypeError' && /fetch failed/i.test(message)) {
    return make('network', `could not reach ${serverName(context)} (${describeError((inner as { cause?: unknown }).cause ?? inner)}).`);
  }
  if (context.phase === 'stream') {
    return make('network', `the connection broke before the streamed answer was complete (${describeError(inner)}).`);
  }
  return make('unknown', `the call failed unexpectedly (${describeError(inner)}).`);
}

/** Details of a Gemini safety block. */
export interface GoogleContentFilterDetails {
  providerId: string;
  /** `promptFeedback.blockReason` when the prompt itself was refused. */
  blockReason?: string;
  /** The candidate's `finishReason` when the answer was stopped (e.g. `SAFETY`, `RECITATION`). */
  finishReason?: string;
  /** The harm categories rated as blocking. */
  blockedCategories?: string[];
  /** Text generated before the answer was stopped ('' when none). */
  partialText?: string;
}

/**
 * Gemini refused a prompt (`promptFeedback.blockReason`) or stopped its answer with a filter
 * finish reason (`SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, ...). A
 * ProviderError of kind `content-filter`, not retryable: the same prompt is blocked again.
 */
export class GoogleContentFilterError extends ProviderError {
  readonly blockReason: string | undefined;
  readonly finishReason: string | undefined;
  readonly blockedCategories: string[];
  readonly partialText: string;

  constructor(details: GoogleContentFilterDetails) {
    const categories = details.blockedCategories ?? [];
    const which = details.blockReason !== undefined
      ? `refused the prompt (promptFeedback.blockReason ${details.blockReason})`
      : `stopped the answer (finishReason ${details.finishReason ?? 'unknown'})${details.partialText ? ` after ${details.partialText.length} characters` : ''}`;
    super({
      kind: 'content-filter',
      providerId: details.providerId,
      vendorCode: details.blockReason ?? details.finishReason,
      message:
        `${details.providerId}: Gemini ${which}${categories.length > 0 ? `; blocked categories: ${categories.join(', ')}` : ''}. ` +
        ADVICE['content-filter'],
    });
    this.name = 'GoogleContentFilterError';
    this.blockReason = details.blockReason;
    this.finishReason = details.finishReason;
    this.blockedCategories = categories;
    this.partialText = details.partialText ?? '';
  }
}
