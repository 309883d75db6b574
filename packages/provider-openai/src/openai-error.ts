import { ProviderError, describeError, abortOutcomeOf, isProviderError, kindForStatus, retryAfterFromHeaders, type CallAbortState, type ProviderErrorKind } from '@llm-lab/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/** What {@link mapOpenAIError} needs to know about the failed call. */
export interface OpenAIErrorContext extends CallAbortState {
  /** `<provider>:<model>` of the failing provider. */
  providerId: string;
  /** The server called, named in connection messages. */
  baseURL: string;
  /** Whether `baseURL` is OpenAI's own API (decides how the server is named). */
  isOpenAIHost: boolean;
  /** `stream` when the failure came while reading a streamed answer. */
  phase?: 'request' | 'stream';
}

/** Parses OpenAI's reset durations (`1m3s`, `6.5s`, `250ms`) into milliseconds. */
export function parseOpenAIDuration(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let consumed = '';
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * (unit[match[2] as string] as number);
    consumed += match[0];
  }
  return consumed === text.trim() && consumed !== '' ? Math.round(total) : undefined;
}

/** The wait a 429 asks for: `retry-after-ms`, `retry-after`, else OpenAI's `x-ratelimit-reset-*` headers. */
function retryAfterOf(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => headers.get(name);
  const standard = retryAfterFromHeaders(get);
  if (standard !== undefined) return standard;
  const resets = [parseOpenAIDuration(get('x-ratelimit-reset-requests')), parseOpenAIDuration(get('x-ratelimit-reset-tokens'))].filter(
    (value): value is number => value !== undefined,
  );
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

const ADVICE: Record<ProviderErrorKind, string> = {
  authentication: 'Check the API key (config apiKey or OPENAI_API_KEY) and that it belongs to the organization and project configured.',
  'rate-limit': 'Wait and retry, or send fewer requests at once.',
  timeout: 'Raise timeoutMs (in the provider config or per call), or check the server load.',
  server: 'The server failed on its side; retrying usually helps.',
  'bad-request': 'Fix the request named in the message; retrying the same request will fail again.',
  'content-filter': 'The content filter blocked the prompt or the answer; rephrase the input.',
  network: 'Check that the server is reachable at baseURL (and any proxy), then retry.',
  'invalid-response': 'The server sent something that is not a valid chat completion; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
};

function serverName(context: OpenAIErrorContext): string {
  return context.isOpenAIHost ? 'the OpenAI API' : `the server at ${context.baseURL}`;
}


/**
 * Classifies any failure of an OpenAI SDK call as a core ProviderError: cancelled (the caller's
 * signal), timeout (the call's deadline or the SDK's), authentication (401/403), rate-limit (429,
 * with the wait from the headers; `insufficient_quota` is not retryable), server (5xx),
 * content-filter (code `content_filter`), bad-request (other 4xx, keeping the vendor code, e.g.
 * `context_length_exceeded`), network (no connection, or a stream cut off), invalid-response
 * (a body that is not JSON or not a completion). The vendor's error body is kept as
 * `responseBody`; messages name the provider and say what to do, and never hold the API key.
 */
export function mapOpenAIError(error: unknown, context: OpenAIErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { providerId } = context;
  const make = (kind: ProviderErrorKind, what: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${what} ${ADVICE[kind]}`, cause: error, ...extra });

  const stopped = abortOutcomeOf({ ...context, timedOut: context.timedOut || error instanceof APIConnectionTimeoutError }, serverName(context));
  if (stopped) return make(stopped.kind, stopped.what);
  if (error instanceof APIUserAbortError) return make('cancelled', 'the call was aborted.');
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const code = typeof error.code === 'string' ? error.code : undefined;
    let kind = kindForStatus(status);
    if (code === 'content_filter') kind = 'content-filter';
    const vendorMessage =
      error.error && typeof (error.error as { message?: unknown }).message === 'string'
        ? (error.error as { message: string }).message
        : error.message.replace(new RegExp(`^${status} `), '');
    const responseBody = error.error !== undefined ? JSON.stringify({ error: error.error }) : vendorMessage;
    const retryAfterMs = kind === 'rate-limit' || status === 503 ? retryAfterOf(error.headers) : undefined;
    const quota = code === 'insufficient_quota';
    const what =
      `${serverName(context)} answered HTTP ${status}${code ? ` (${code})` : ''}: ${vendorMessage}` +
      (quota ? ' The account is out of quota: check billing and limits in the OpenAI dashboard; retrying will not help.' : '') +
      (code === 'context_length_exceeded' ? ' Shorten the prompt or pick a model with a larger context window.' : '') +
      (retryAfterMs !== undefined ? ` The server asked to wait ${retryAfterMs} ms.` : '');
    return make(kind, what, {
      statusCode: status,
      responseBody,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(code !== undefined ? { vendorCode: code } : {}),
      ...(quota ? { isRetryable: false } : {}),
    });
  }
  if (error instanceof APIConnectionError) {
    return make('network', `could not reach ${serverName(context)} (${describeError(error.cause ?? error)}).`);
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return make('invalid-response', `${serverName(context)} answered with a body that is not valid JSON (${describeError(error)}).`);
  }
  if (context.phase === 'stream') {
    return make('network', `the connection broke before the streamed answer was complete (${describeError(error)}).`);
  }
  return make('unknown', `the call failed unexpectedly (${describeError(error)}).`);
}
