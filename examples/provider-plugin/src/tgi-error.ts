import { ProviderError, abortOutcomeOf, isProviderError, kindForStatus, retryAfterFromHeaders, type ProviderErrorKind } from '@llm-lab/core';
import type { TgiErrorBody } from './tgi-wire.js';

/** What {@link mapTgiError} needs to know about the failed call. */
export interface TgiErrorContext {
  providerId: string;
  baseURL: string;
  /** The caller's signal: aborted means the caller cancelled. */
  signal?: AbortSignal | undefined;
  /** True when the call's own deadline fired. */
  timedOut: boolean;
  timeoutMs: number;
  /** Whether the failure came before the answer started or while reading it. */
  phase: 'request' | 'stream';
}

/** TGI's `error_type` → the contract's kind. Unknown types fall back to the HTTP status. */
const KIND_BY_ERROR_TYPE: Record<string, ProviderErrorKind> = {
  validation: 'bad-request',
  overloaded: 'rate-limit',
  generation: 'server',
  incomplete_generation: 'server',
};

/** Reads TGI's `{ error, error_type }` from a body, or undefined when it is not one. */
export function parseTgiErrorBody(text: string): TgiErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as TgiErrorBody).error === 'string') {
      const { error, error_type } = parsed as TgiErrorBody;
      return typeof error_type === 'string' ? { error, error_type } : { error };
    }
  } catch {
    // not JSON: the caller reports the raw text
  }
  return undefined;
}

const ADVICE: Partial<Record<ProviderErrorKind, string>> = {
  authentication: "Check the provider's apiKey (sent as a bearer token).",
  'rate-limit': 'The server is at its concurrency limit (max_concurrent_requests); lower run.concurrency or retry later.',
  server: 'Retrying usually helps; if it persists, check the TGI server logs.',
  'bad-request': 'Fix the request (prompt length, max tokens, sampling settings) and run again.',
};

/**
 * Turns an HTTP error answer from TGI into a ProviderError: `error_type` decides the kind
 * (validation → bad-request, overloaded → rate-limit, generation and incomplete_generation →
 * server), the status decides it otherwise. The wait comes from `retry-after` when present.
 */
export function mapTgiHttpError(status: number, headers: Headers, bodyText: string, context: TgiErrorContext): ProviderError {
  const body = parseTgiErrorBody(bodyText);
  const kind = (body?.error_type !== undefined ? KIND_BY_ERROR_TYPE[body.error_type] : undefined) ?? kindForStatus(status);
  const retryAfterMs = retryAfterFromHeaders((name) => headers.get(name));
  const detail = body?.error ?? (bodyText.trim().slice(0, 300) || '(empty body)');
  return new ProviderError({
    kind,
    providerId: context.providerId,
    statusCode: status,
    responseBody: bodyText.slice(0, 2000),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(body?.error_type !== undefined ? { vendorCode: body.error_type } : {}),
    message: `${context.providerId}: TGI at ${context.baseURL} answered ${status}${body?.error_type ? ` (${body.error_type})` : ''}: ${detail} ${ADVICE[kind] ?? ''}`.trim(),
  });
}

/** Turns a `data: {"error": …}` event inside a stream into a ProviderError (there is no status). */
export function mapTgiStreamError(body: TgiErrorBody, context: TgiErrorContext): ProviderError {
  const kind = (body.error_type !== undefined ? KIND_BY_ERROR_TYPE[body.error_type] : undefined) ?? 'server';
  return new ProviderError({
    kind,
    providerId: context.providerId,
    responseBody: JSON.stringify(body),
    ...(body.error_type !== undefined ? { vendorCode: body.error_type } : {}),
    message: `${context.providerId}: TGI at ${context.baseURL} reported an error in the stream${body.error_type ? ` (${body.error_type})` : ''}: ${body.error} ${ADVICE[kind] ?? ''}`.trim(),
  });
}

/**
 * Classifies a failure that has no HTTP answer: the caller's abort → cancelled, the call's
 * deadline → timeout, anything else from fetch (refused, reset, cut off) → network.
 * A ProviderError passes through unchanged.
 */
export function mapTgiTransportError(error: unknown, context: TgiErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const stopped = abortOutcomeOf(context, `TGI at ${context.baseURL}`);
  if (stopped) {
    const advice = stopped.kind === 'timeout' ? " Raise timeoutMs in the provider's config (or the run's), or check the server's load." : '';
    return new ProviderError({ kind: stopped.kind, providerId: context.providerId, message: `${context.providerId}: ${stopped.what}${advice}`, cause: error });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const reason = [error instanceof Error ? error.message : String(error), cause?.message].filter(Boolean).join(': ');
  return new ProviderError({
    kind: 'network',
    providerId: context.providerId,
    message:
      context.phase === 'request'
        ? `${context.providerId}: could not reach TGI at ${context.baseURL} (${reason}). Check that the server is running and baseURL is right.`
        : `${context.providerId}: the connection to TGI at ${context.baseURL} broke while reading the answer (${reason}). Retrying usually helps.`,
    cause: error,
  });
}
