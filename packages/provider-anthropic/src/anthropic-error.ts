import { ProviderError, describeError, isProviderError, kindForStatus, retryAfterFromHeaders, type ProviderErrorKind, abortOutcomeOf, type CallAbortState } from '@llm-lab/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';

/** What {@link mapAnthropicError} needs to know about the failed call. */
export interface AnthropicErrorContext extends CallAbortState {
  /** `<provider>:<model>` of the failing provider. */
  providerId: string;
  /** The server called, named in connection messages. */
  baseURL: string;
  /** Whether `baseURL` is Anthropic's own API (decides how the server is named). */
  isAnthropicHost: boolean;
  /** `stream` when the failure came while reading a streamed answer. */
  phase?: 'request' | 'stream';
}

/** How Anthropic's error types (`error.type`) are classified when there is no HTTP status (an error event in a stream, a batch item). */
const KIND_OF_TYPE: Record<string, ProviderErrorKind> = {
  invalid_request_error: 'bad-request',
  authentication_error: 'authentication',
  permission_error: 'authentication',
  billing_error: 'bad-request',
  not_found_error: 'bad-request',
  request_too_large: 'bad-request',
  rate_limit_error: 'rate-limit',
  api_error: 'server',
  overloaded_error: 'server',
  timeout_error: 'timeout',
};

const ADVICE: Record<ProviderErrorKind, string> = {
  authentication: 'Check the API key (config apiKey or ANTHROPIC_API_KEY) and that it may use this model.',
  'rate-limit': 'Wait and retry, or send fewer requests at once.',
  timeout: 'Raise timeoutMs (in the provider config or per call), or check the server load.',
  server: 'Anthropic failed or was overloaded on its side; retrying later usually helps.',
  'bad-request': 'Fix the request named in the message; retrying the same request will fail again.',
  'content-filter': 'Anthropic blocked the prompt or the answer; rephrase the input.',
  network: 'Check that the server is reachable at baseURL (and any proxy), then retry.',
  'invalid-response': 'The server sent something that is not a valid Messages API answer; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
};

const CONTEXT_TOO_LONG = /prompt is too long|exceed context limit|context window/i;
const CONTENT_FILTER = /content filtering policy|content filter/i;

function serverName(context: Pick<AnthropicErrorContext, 'isAnthropicHost' | 'baseURL'>): string {
  return context.isAnthropicHost ? 'the Anthropic API' : `the server at ${context.baseURL}`;
}


/**
 * The wait a 429 (or 529) asks for: `retry-after`, else the earliest `anthropic-ratelimit-*-reset`
 * time among the limits that are used up.
 */
export function anthropicRetryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const standard = retryAfterFromHeaders((name) => headers.get(name), now);
  if (standard !== undefined) return standard;
  const waits: number[] = [];
  for (const limit of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    if (headers.get(`anthropic-ratelimit-${limit}-remaining`) !== '0') continue;
    const reset = Date.parse(headers.get(`anthropic-ratelimit-${limit}-reset`) ?? '');
    if (!Number.isNaN(reset)) waits.push(Math.max(0, reset - now));
  }
  return waits.length > 0 ? Math.min(...waits) : undefined;
}

/** The parts of an Anthropic error body, `{ type: 'error', error: { type, message } }`, when present. */
function errorObjectOf(body: unknown): { type?: string; message?: string } {
  const inner = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof inner !== 'object' || inner === null) return {};
  const { type, message } = inner as { type?: unknown; message?: unknown };
  return { ...(typeof type === 'string' ? { type } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

/**
 * Classifies an Anthropic error (an HTTP error body, an `error` event in a stream, or an errored
 * batch item) given its status (undefined when there was none), type and message.
 */
export function classifyAnthropicError(options: {
  status: number | undefined;
  type: string | undefined;
  message: string;
}): { kind: ProviderErrorKind; vendorCode: string | undefined; isRetryable?: boolean } {
  const { status, type, message } = options;
  let kind: ProviderErrorKind =
    status !== undefined ? kindForStatus(status) : type !== undefined ? (KIND_OF_TYPE[type] ?? 'unknown') : 'unknown';
  if (type === 'overloaded_error') kind = 'server';
  let vendorCode = type;
  if ((kind === 'bad-request' || status === 413) && CONTEXT_TOO_LONG.test(message)) vendorCode = 'context_length_exceeded';
  else if (kind === 'bad-request' && CONTENT_FILTER.test(message)) kind = 'content-filter';
  return { kind, vendorCode, ...(type === 'billing_error' ? { isRetryable: false } : {}) };
}

/**
 * Turns an Anthropic error body (`{ type: 'error', error: { type, message } }`) into a
 * ProviderError, for an errored Message Batches item or an error event; `status` is the HTTP
 * status when there was one.
 */
export function providerErrorFromAnthropicBody(
  body: unknown,
  context: Pick<AnthropicErrorContext, 'providerId' | 'baseURL' | 'isAnthropicHost'> & { status?: number; where?: string; cause?: unknown },
): ProviderError {
  const { type, message = 'no message' } = errorObjectOf(body);
  const { kind, vendorCode, isRetryable } = classifyAnthropicError({ status: context.status, type, message });
  return new ProviderError({
    kind,
    providerId: context.providerId,
    message:
      `${context.providerId}: ${context.where ?? serverName(context)} reported ${type ?? 'an error'}: ${message}` +
      (vendorCode === 'context_length_exceeded' ? ' Shorten the prompt, lower maxTokens, or pick a model with a larger context window.' : '') +
      ` ${ADVICE[kind]}`,
    responseBody: JSON.stringify(body),
    ...(context.status !== undefined ? { statusCode: context.status } : {}),
    ...(vendorCode !== undefined ? { vendorCode } : {}),
    ...(isRetryable !== undefined ? { isRetryable } : {}),
    ...(context.cause !== undefined ? { cause: context.cause } : {}),
  });
}

/**
 * Classifies any failure of an Anthropic SDK call as a core ProviderError: cancelled (the
 * caller's signal), timeout (the call's deadline or the SDK's), authentication (401/403),
 * rate-limit (429, with the wait from `retry-after` or the rate-limit reset headers), server (5xx,
 * including 529 `overloaded_error` and an `overloaded_error` event in the middle of a stream),
 * content-filter (a 400 saying the content filtering policy blocked the output), bad-request (other
 * 4xx; a prompt beyond the context window gets vendorCode `context_length_exceeded`, other errors
 * the Anthropic error type; `billing_error` is not retryable), network (no connection, or a stream
 * cut off), invalid-response (a body that is not JSON). The vendor's error body is kept as
 * `responseBody`; messages name the provider and say what to do, and never hold the API key.
 */
export function mapAnthropicError(error: unknown, context: AnthropicErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { providerId } = context;
  const make = (kind: ProviderErrorKind, what: string) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${what} ${ADVICE[kind]}`, cause: error });

  const stopped = abortOutcomeOf({ ...context, timedOut: context.timedOut || error instanceof APIConnectionTimeoutError }, serverName(context));
  if (stopped) return make(stopped.kind, stopped.what);
  if (error instanceof APIUserAbortError) return make('cancelled', 'the call was aborted.');
  if (error instanceof APIConnectionError) {
    return make('network', `could not reach ${serverName(context)} (${describeError(error.cause ?? error)}).`);
  }
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const body: unknown = error.error;
    const fromBody = errorObjectOf(body);
    const type = fromBody.type ?? (typeof error.type === 'string' ? error.type : undefined);
    const vendorMessage = fromBody.message ?? error.message.replace(new RegExp(`^${status ?? ''} `), '');
    const { kind, vendorCode, isRetryable } = classifyAnthropicError({ status, type, message: vendorMessage });
    const retryAfterMs = kind === 'rate-limit' || status === 529 || status === 503 ? anthropicRetryAfterMs(error.headers) : undefined;
    const where = status !== undefined ? `answered HTTP ${status}` : 'sent an error event in the middle of the stream';
    const what =
      `${serverName(context)} ${where}${type ? ` (${type})` : ''}: ${vendorMessage}` +
      (type === 'billing_error' ? ' The account is out of credit: check Plans & Billing in the Anthropic Console; retrying will not help.' : '') +
      (vendorCode === 'context_length_exceeded' ? ' Shorten the prompt, lower maxTokens, or pick a model with a larger context window.' : '') +
      (retryAfterMs !== undefined ? ` The server asked to wait ${retryAfterMs} ms.` : '');
    return new ProviderError({
      kind,
      providerId,
      message: `${providerId}: ${what} ${ADVICE[kind]}`,
      cause: error,
      responseBody: body !== undefined ? JSON.stringify(body) : vendorMessage,
      ...(status !== undefined ? { statusCode: status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(vendorCode !== undefined ? { vendorCode } : {}),
      ...(isRetryable !== undefined ? { isRetryable } : {}),
    });
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return make('invalid-response', `${serverName(context)} answered with a body that is not valid JSON (${describeError(error)}).`);
  }
  if (context.phase === 'stream') {
    return make('network', `the connection broke before the streamed answer was complete (${describeError(error)}).`);
  }
  return make('unknown', `the call failed unexpectedly (${describeError(error)}).`);
}
