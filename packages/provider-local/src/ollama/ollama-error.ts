import { ProviderError, isProviderError, kindForStatus, retryAfterFromHeaders, type ProviderErrorKind, abortOutcomeOf, type CallAbortState } from '@llm-lab/core';
import { describeError, systemErrorCode } from '../shared/error-details.js';

/** What {@link mapOllamaError} needs to know about the failed call. */
export interface OllamaErrorContext extends CallAbortState {
  /** `<provider>:<model>` of the failing provider. */
  providerId: string;
  /** The Ollama model name, named in "not found" advice. */
  model: string;
  /** The Ollama server called. */
  baseURL: string;
  /** `stream` when the failure came while reading the answer. */
  phase?: 'request' | 'stream';
}

/** An HTTP error answer from Ollama, before classification. */
export class OllamaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
  ) {
    super(`HTTP ${status}`);
    this.name = 'OllamaHttpError';
  }
}

/** An `{"error": "..."}` line inside an NDJSON stream that had already started. */
export class OllamaStreamError extends Error {
  constructor(readonly vendorMessage: string) {
    super(vendorMessage);
    this.name = 'OllamaStreamError';
  }
}

const ADVICE: Record<ProviderErrorKind, string> = {
  authentication: 'Check the headers configured for the proxy in front of Ollama (config.headers).',
  'rate-limit': 'Ollama (or its proxy) is busy: wait and retry, or send fewer requests at once (or raise OLLAMA_NUM_PARALLEL / OLLAMA_MAX_QUEUE).',
  timeout: 'Raise timeoutMs (in the provider config or per call); a first call can be slow while Ollama loads the model.',
  server: 'Ollama failed on its side (see `ollama serve` logs); retrying usually helps.',
  'bad-request': 'Fix the request named in the message; retrying the same request will fail again.',
  'content-filter': 'The prompt or answer was blocked; rephrase the input.',
  network: 'Check that Ollama is running and reachable, then retry.',
  'invalid-response': 'Ollama sent something that is not a valid chat answer; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
};

/** The `error` text of an Ollama error body, or the body itself when it is not Ollama's JSON. */
export function ollamaErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error;
    }
  } catch {
    // not JSON: the body is the message
  }
  return body.trim() || '(empty body)';
}

/**
 * Classifies any failure of a call to Ollama as a core ProviderError: cancelled (the caller's
 * signal), timeout (the deadline), a model that is not pulled (404 → bad-request saying
 * `ollama pull <model>`), other HTTP errors by status (400 bad-request, 401/403 authentication,
 * 429 rate-limit with the wait from `retry-after`, 5xx server), an error line in the stream
 * (server), Ollama not running (connection refused → network naming the URL), a broken
 * connection (network) and a body that is not JSON (invalid-response).
 */
export function mapOllamaError(error: unknown, context: OllamaErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { providerId, baseURL } = context;
  const make = (kind: ProviderErrorKind, what: string, extra: Partial<ConstructorParameters<typeof ProviderError>[0]> = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${what} ${ADVICE[kind]}`, cause: error, ...extra });

  const stopped = abortOutcomeOf(context, `Ollama at ${baseURL}`);
  if (stopped) return make(stopped.kind, stopped.what);
  if (error instanceof OllamaHttpError) {
    const vendorMessage = ollamaErrorMessage(error.body);
    const status = error.status;
    if (status === 404 && /not found/i.test(vendorMessage)) {
      return new ProviderError({
        kind: 'bad-request',
        providerId,
        statusCode: status,
        responseBody: error.body,
        vendorCode: 'model_not_found',
        cause: error,
        message: `${providerId}: Ollama at ${baseURL} does not have the model '${context.model}' (${vendorMessage}). Pull it with \`ollama pull ${context.model}\`, or check the name with \`ollama list\`.`,
      });
    }
    const kind = kindForStatus(status);
    const retryAfterMs = kind === 'rate-limit' || status === 503 ? retryAfterFromHeaders((name) => error.headers.get(name)) : undefined;
    return make(kind, `Ollama at ${baseURL} answered HTTP ${status}: ${vendorMessage}.${retryAfterMs !== undefined ? ` It asked to wait ${retryAfterMs} ms.` : ''}`, {
      statusCode: status,
      responseBody: error.body,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (error instanceof OllamaStreamError) {
    return make('server', `Ollama at ${baseURL} reported an error in the middle of the streamed answer: ${error.vendorMessage}.`, {
      responseBody: JSON.stringify({ error: error.vendorMessage }),
    });
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return make('invalid-response', `Ollama at ${baseURL} answered with a body that is not valid JSON (${describeError(error)}).`);
  }
  const code = systemErrorCode(error);
  if (code === 'ECONNREFUSED') {
    return make('network', `Ollama isn't running at ${baseURL} (connection refused). Start it with \`ollama serve\` (or the Ollama app), or point config.baseURL / OLLAMA_HOST at where it runs.`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return make('network', `the host of ${baseURL} could not be resolved (${code}). Check config.baseURL / OLLAMA_HOST.`);
  }
  if (context.phase === 'stream' || error instanceof TypeError) {
    return make('network', `the connection to Ollama at ${baseURL} broke before the answer was complete (${describeError(error)}).`);
  }
  return make('unknown', `the call to Ollama at ${baseURL} failed unexpectedly (${describeError(error)}).`);
}
