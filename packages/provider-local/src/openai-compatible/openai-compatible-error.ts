import { ProviderError, abortOutcomeOf, isProviderError, kindForStatus, retryAfterFromHeaders, type CallAbortState, type ProviderErrorKind } from '@llm-lab/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describeError, systemErrorCode } from '../shared/error-details.js';

/** What {@link mapOpenAICompatibleError} needs to know about the failed call. */
export interface OpenAICompatibleErrorContext extends CallAbortState {
  providerId: string;
  baseURL: string;
  phase?: 'request' | 'stream';
}

const ADVICE: Record<ProviderErrorKind, string> = {
  authentication: "Check config.apiKey: the server was started with an API key (e.g. vLLM's --api-key).",
  'rate-limit': 'Wait and retry, or send fewer requests at once.',
  timeout: 'Raise timeoutMs (in the provider config or per call), or check the server load.',
  server: 'The server failed on its side (see its logs); retrying usually helps.',
  'bad-request': 'Fix the request named in the message (is the model name the one the server serves?); retrying the same request will fail again.',
  'content-filter': 'The content filter blocked the prompt or the answer; rephrase the input.',
  network: 'Check that the server is running and reachable at config.baseURL, then retry.',
  'invalid-response': 'The server sent something that is not a valid chat completion; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
};

/**
 * Classifies a failure of an `openai` SDK call to an OpenAI-compatible server as a core
 * ProviderError: cancelled, timeout, HTTP errors by status (429 with the wait from
 * `retry-after`), network (refused or broken connection), invalid-response (not JSON).
 */
export function mapOpenAICompatibleError(error: unknown, context: OpenAICompatibleErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { providerId, baseURL } = context;
  const make = (kind: ProviderErrorKind, what: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${what} ${ADVICE[kind]}`, cause: error, ...extra });

  const stopped = abortOutcomeOf({ ...context, timedOut: context.timedOut || error instanceof APIConnectionTimeoutError }, `the server at ${baseURL}`);
  if (stopped) return make(stopped.kind, stopped.what);
  if (error instanceof APIUserAbortError) return make('cancelled', 'the call was aborted.');
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const code = typeof error.code === 'string' ? error.code : undefined;
    const kind: ProviderErrorKind = code === 'content_filter' ? 'content-filter' : kindForStatus(status);
    const inner = error.error as { message?: unknown } | undefined;
    const vendorMessage = typeof inner?.message === 'string' ? inner.message : error.message.replace(new RegExp(`^${status} `), '');
    const retryAfterMs = kind === 'rate-limit' || status === 503 ? retryAfterFromHeaders((name) => error.headers?.get(name)) : undefined;
    return make(kind, `the server at ${baseURL} answered HTTP ${status}${code ? ` (${code})` : ''}: ${vendorMessage}${retryAfterMs !== undefined ? ` It asked to wait ${retryAfterMs} ms.` : ''}`, {
      statusCode: status,
      responseBody: error.error !== undefined ? JSON.stringify({ error: error.error }) : vendorMessage,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(code !== undefined ? { vendorCode: code } : {}),
    });
  }
  if (error instanceof APIConnectionError) {
    const refused = systemErrorCode(error) === 'ECONNREFUSED';
    return make('network', refused ? `nothing is listening at ${baseURL} (connection refused): is the server running?` : `could not reach the server at ${baseURL} (${describeError(error.cause ?? error)}).`);
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return make('invalid-response', `the server at ${baseURL} answered with a body that is not valid JSON (${describeError(error)}).`);
  }
  if (context.phase === 'stream') return make('network', `the connection broke before the streamed answer was complete (${describeError(error)}).`);
  return make('unknown', `the call failed unexpectedly (${describeError(error)}).`);
}
