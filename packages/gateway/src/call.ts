import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { AuthenticateOk, AuthenticateRefused, GatewayEndpoint, GatewayHooks, TrafficRecord } from './hooks.js';
import type { GatewayMetrics } from './metrics.js';
import { GatewayRequestError, errorBody, toGatewayError, type GatewayError } from './openai-errors.js';
import type { GatewayTracing } from './tracing.js';

/** What every call handler shares: hooks, metrics, tracing, limits, the in-flight count. */
export interface CallServices {
  hooks: GatewayHooks;
  metrics: GatewayMetrics | undefined;
  tracing: GatewayTracing | undefined;
  maxBodyBytes: number;
  /** Calls being answered; the server waits for it to reach 0 on shutdown. */
  inFlight: { count: number; onIdle: (() => void) | undefined };
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** Reads a request body as JSON, refusing one larger than `limit` bytes (413) or not JSON (400). */
export function readJson(incoming: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    incoming.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new GatewayRequestError({ status: 413, message: `The request body is larger than ${limit} bytes.`, code: 'request_too_large', param: 'body' }));
        return;
      }
      chunks.push(chunk);
    });
    incoming.once('end', () => {
      if (failed) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new GatewayRequestError({ message: 'The request body is not valid JSON.', param: 'body', code: 'invalid_json' }));
      }
    });
    incoming.once('error', reject);
  });
}

/** An error as a Response in OpenAI's shape. */
export function errorResponse(error: GatewayError, extraHeaders?: Record<string, string>): Response {
  const headers: Record<string, string> = { ...JSON_HEADERS, ...extraHeaders };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return new Response(errorBody(error), { status: error.status, headers });
}

const REFUSAL: Record<AuthenticateRefused['status'], { type: string; errorClass: string }> = {
  401: { type: 'authentication_error', errorClass: 'unauthorized' },
  403: { type: 'permission_error', errorClass: 'forbidden' },
  429: { type: 'rate_limit_error', errorClass: 'limited' },
};

/** A refusal by the access hooks as an OpenAI-shaped error (401 `authentication_error`, 403 `permission_error`, 429 `rate_limit_error`). */
export function refusalError(result: AuthenticateRefused): GatewayError {
  const refusal = REFUSAL[result.status] ?? REFUSAL[401];
  return {
    status: result.status,
    error: { message: result.message, type: refusal.type, param: null, code: result.code },
    errorClass: refusal.errorClass,
    ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}),
  };
}

/**
 * One call through the gateway, from arrival to its record: timing, who it was charged to, what
 * answered, and the end (metrics, span, `onCallEnd`) exactly once.
 */
export class Call {
  readonly startedAt = performance.now();
  readonly time = Date.now();
  route = '';
  keyId: string | undefined;
  keyName: string | undefined;
  ttftMs: number | undefined;
  /** Set by `keepBodies` when the route keeps bodies: the request's JSON as read. */
  private requestBody: unknown;
  /** True when the route keeps bodies: the handler then passes the response body to `end`. */
  keepsBodies = false;
  private span: Span | undefined;
  private ended = false;

  constructor(
    readonly services: CallServices,
    readonly endpoint: GatewayEndpoint,
    readonly incoming: IncomingMessage,
    readonly outgoing: ServerResponse,
  ) {
    services.inFlight.count++;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /**
   * Runs the `authenticate` hook when there is one; returns a refusal as the Response to send, or
   * undefined when the call may go ahead.
   */
  async authenticate(model: string): Promise<Response | undefined> {
    this.route = model;
    const authenticate = this.services.hooks.authenticate;
    if (!authenticate) return undefined;
    const authorization = this.incoming.headers.authorization;
    const result = await authenticate({ ...(authorization !== undefined ? { authorization } : {}), model, endpoint: this.endpoint });
    if (result.ok) {
      this.keyId = (result as AuthenticateOk).keyId;
      this.keyName = (result as AuthenticateOk).keyName;
      return undefined;
    }
    if (result.keyId !== undefined) this.keyId = result.keyId;
    if (result.keyName !== undefined) this.keyName = result.keyName;
    const error = refusalError(result);
    this.end({ status: result.status, errorClass: error.errorClass, errorMessage: result.message });
    return errorResponse(error);
  }

  /**
   * Asks the `keepBodies` hook about `route` (once, after `authenticate` let the call through) and
   * keeps the request's JSON when it says yes; otherwise nothing is kept.
   */
  keepBodies(route: string, requestBody: unknown): void {
    const keep = this.services.hooks.keepBodies;
    if (keep === undefined || !keep(route)) return;
    this.keepsBodies = true;
    this.requestBody = requestBody;
  }

  /** Starts the call's span, when tracing is on. */
  startSpan(provider: string): void {
    if (this.services.tracing) this.span = this.services.tracing.start(this.endpoint === 'embeddings' ? 'embeddings' : 'chat', this.route, provider, this.time);
  }

  /** A failure before any answer was sent: the error Response, and the record. */
  fail(error: unknown, provider?: string): Response {
    const mapped = toGatewayError(error);
    this.end({ status: mapped.status, errorClass: mapped.errorClass, errorMessage: mapped.error.message, ...(provider ? { provider } : {}) });
    return errorResponse(mapped);
  }

  /** Records the call's end once: metrics, span, then `onCallEnd` after the current I/O. */
  end(fields: Partial<TrafficRecord> & { status: number }, upstreamMs = 0): void {
    if (this.ended) return;
    this.ended = true;
    const services = this.services;
    const latencyMs = this.elapsedMs();
    const record: TrafficRecord = {
      time: this.time,
      ...(this.keyId !== undefined ? { keyId: this.keyId } : {}),
      ...(this.keyName !== undefined ? { keyName: this.keyName } : {}),
      endpoint: this.endpoint,
      route: this.route,
      cacheHit: false,
      stream: false,
      ...(this.keepsBodies ? { requestBody: this.requestBody } : {}),
      ...fields,
      latencyMs,
      overheadMs: Math.max(0, latencyMs - upstreamMs),
      ...(this.ttftMs !== undefined ? { ttftMs: this.ttftMs } : {}),
    };
    services.metrics?.record(record);
    if (this.span) services.tracing!.end(this.span, record);
    const onCallEnd = services.hooks.onCallEnd;
    if (onCallEnd) setImmediate(deliver, services, onCallEnd, record);
    const inFlight = services.inFlight;
    inFlight.count--;
    if (inFlight.count === 0 && inFlight.onIdle) inFlight.onIdle();
  }
}

function deliver(services: CallServices, onCallEnd: (record: TrafficRecord) => void, record: TrafficRecord): void {
  try {
    onCallEnd(record);
  } catch {
    services.metrics?.hookErrors.inc();
  }
}

export { JSON_HEADERS };
