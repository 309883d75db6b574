import { isProviderError, ProviderError, type ProviderErrorKind } from '@llm-lab/core';

/**
 * Failures that say the provider itself is unwell, and so count towards opening its circuit
 * breaker: server errors (5xx), network failures, timeouts and invalid responses (a cut-off
 * stream, a body that is not JSON). Rate limits do not count: a 429 means the provider is healthy
 * but busy, which the rate limiter, the adaptive concurrency and retry-after handle; opening the
 * breaker would turn a run at the limit into failed cases. Authentication, bad requests and
 * content filtering are about the request or the account, not the provider's health; a
 * cancellation says nothing either way.
 */
const HEALTH_FAILURE: Record<ProviderErrorKind, boolean> = {
  server: true,
  network: true,
  timeout: true,
  'invalid-response': true,
  'rate-limit': false,
  authentication: false,
  'bad-request': false,
  'content-filter': false,
  cancelled: false,
  unknown: false,
};

/** True when the failure counts against the provider's health (see {@link HEALTH_FAILURE}). */
export function isHealthFailure(error: ProviderError): boolean {
  return HEALTH_FAILURE[error.kind];
}

/**
 * True when another provider may succeed where this one failed: everything but a bad request, a
 * content-filter block (the fallback would answer a different question, or be blocked too) and a
 * cancellation. An authentication failure does fall back: the fallback has its own key.
 */
export function shouldFallBack(error: ProviderError): boolean {
  return error.kind !== 'bad-request' && error.kind !== 'content-filter' && error.kind !== 'cancelled';
}

/** Any thrown value as a ProviderError of `providerId` (kind `unknown` for anything unclassified). */
export function toProviderError(error: unknown, providerId: string): ProviderError {
  if (isProviderError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError({ kind: 'unknown', providerId, message: `${providerId}: the call failed unexpectedly (${message}).`, cause: error });
}

/**
 * A copy of `error` that carries `attempts`, the calls made to providers before giving up (the
 * engine stores it with the failed result); with more than one, its message also says how many
 * were made over how long.
 */
export function withAttempts(error: ProviderError, attempts: number, elapsedMs: number): ProviderError {
  const message = attempts <= 1 ? error.message : `${error.message} (gave up after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s)`;
  return copyWith(error, message, attempts);
}

/** A copy of `error` carrying `attempts` (calls made across a provider and its fallbacks), its message unchanged. */
export function withAttemptCount(error: ProviderError, attempts: number): ProviderError {
  return error.attempts === attempts ? error : copyWith(error, error.message, attempts);
}

function copyWith(error: ProviderError, message: string, attempts: number): ProviderError {
  return new ProviderError({
    kind: error.kind,
    providerId: error.providerId,
    statusCode: error.statusCode,
    responseBody: error.responseBody,
    retryAfterMs: error.retryAfterMs,
    vendorCode: error.vendorCode,
    isRetryable: error.isRetryable,
    attempts,
    message,
    cause: error,
  });
}
