import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFakeHttpServer, fakeServerHandle, headerOf, messageOf, RequestWindow, writeBody, writeHalfBody, type FakeExchange } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import type { Fault, HttpErrorFault } from '../faults.js';
import { batchCreateError, batchWire, FakeBatchStore, type FakeBatch, type FakeBatchRequest } from './anthropic-batches.js';
import type { AnthropicFault, AnthropicStreamErrorFault } from './anthropic-faults.js';
import { describeAnthropicRequest, toolUseError } from './anthropic-request-view.js';
import {
  anthropicErrorWire,
  defaultAnthropicErrorFor,
  echoLastAnthropicUserMessage,
  inputTokensOf,
  messageWire,
  sseEvent,
  statusForErrorType,
  streamEventsWire,
  type AnthropicErrorBody,
  type FakeAnthropicReply,
  type MessagesRequestBody,
} from './anthropic-wire.js';

/** Makes the answer to a Messages request: a text, or a text with stop reason and usage. */
export type FakeAnthropicResponder = (
  body: MessagesRequestBody,
  request: RecordedRequest,
) => string | FakeAnthropicReply | Promise<string | FakeAnthropicReply>;

/** Options of {@link startFakeAnthropicServer}. Every option is optional. */
export interface FakeAnthropicServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** When set, requests without the key (as `x-api-key`, or `Authorization: Bearer`, which SDK 1.x sends) get Anthropic's 401 `authentication_error`. */
  apiKey?: string;
  /** Milliseconds before the first byte of every Messages answer (errors and faults included; not auth or validation errors). Default 0. */
  latencyMs?: number;
  /** Milliseconds between SSE events. Default 0 (the whole stream is written at once). */
  streamChunkDelayMs?: number;
  /** Makes the answers. Default: the last user message's text (an echo). */
  responder?: FakeAnthropicResponder;
  /** A prompt longer than this many words gets Anthropic's 400 `prompt is too long`. Default: no limit. */
  contextWindow?: number;
  /** Share (0–1) of generations that fail with `fault`, drawn from a generator seeded with `seed` (batch items included). Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500 `api_error`. */
  fault?: AnthropicFault;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Requests per minute admitted to `POST /v1/messages`; past it, 429 `rate_limit_error` with `retry-after`. Default: no limit. */
  rpmLimit?: number;
  /** Milliseconds after creation at which a message batch ends (its results appear). Default 0: ended at the first poll. */
  batchProcessingMs?: number;
  /** `anthropic-version` values accepted. Default `2026-10-21`, `2023-06-01` and `2023-01-01`. */
  anthropicVersions?: string[];
  /** Most requests kept in `requests` (the oldest are dropped). Default 10,000. */
  maxRecordedRequests?: number;
}

/** A running fake Anthropic server. */
export interface FakeAnthropicServer extends FakeServerControl {
  /** Base URL without `/v1` (the Anthropic SDK adds it), e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Message batches created since start or the last `reset()`, oldest first. */
  readonly batches: readonly FakeBatch[];
  /** Makes the next generation fail with `fault` (a Messages call, or one item of the next batch); queued faults are used in order. */
  enqueueFault(fault: AnthropicFault): void;
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeAnthropicResponder | undefined): void;
  /** Makes the next generation answer with `reply` (text, `tool_use` blocks, a `thinking` block) instead of the responder's; queued replies are used in order. */
  enqueueReply(reply: ScriptedReply): void;
  /** Reads a recorded Messages request back in neutral terms. */
  describeRequest(request: RecordedRequest): NeutralRequestView;
  /** Sets how long after its creation a message batch ends (those not ended yet included): hold them with a long time, end them with 0. */
  setBatchProcessingMs(ms: number): void;
}

const JSON_TYPE = 'application/json';
const DEFAULT_VERSIONS = ['2026-10-21', '2023-06-01', '2023-01-01'];
/** API versions from which `temperature`, `top_p` and `top_k` are refused. */
const NO_SAMPLING_VERSIONS = new Set(['2026-10-21']);

/**
 * Checks a Messages body the way Anthropic does (model, max_tokens, messages and their roles,
 * `system` only as a top-level field, sampling parameters: refused from API version 2026-10-21,
 * range-checked before). Returns the `invalid_request_error` message, or undefined when valid.
 */
export function messagesRequestError(body: MessagesRequestBody, options: { contextWindow?: number | undefined; apiVersion?: string | undefined } = {}): string | undefined {
  const { contextWindow } = options;
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (body.max_tokens === undefined) return 'max_tokens: Field required';
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) return 'max_tokens: Input should be a valid integer';
  if (body.max_tokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
  if (body.messages === undefined) return 'messages: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
  if (body.messages.length === 0) return 'messages: at least one message is required';
  for (const [index, message] of body.messages.entries()) {
    const role = typeof message === 'object' && message !== null ? (message as { role?: unknown }).role : undefined;
    if (role === 'system') {
      return `messages.${index}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`;
    }
    if (role !== 'user' && role !== 'assistant') return `messages.${index}.role: Input should be 'user' or 'assistant'`;
    const content = (message as { content?: unknown }).content;
    if (typeof content !== 'string' && !Array.isArray(content)) return `messages.${index}.content: Input should be a valid list`;
  }
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid list';
  if (NO_SAMPLING_VERSIONS.has(options.apiVersion ?? '2026-10-21')) {
    for (const field of ['temperature', 'top_p', 'top_k'] as const) {
      if (body[field] !== undefined) return `${field}: Extra inputs are not permitted`;
    }
  }
  for (const [field, min, max] of [['temperature', 0, 1], ['top_p', 0, 1]] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'number') return `${field}: Input should be a valid number`;
    if (value < min || value > max) return `${field}: range: ${min}..${max}`;
  }
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0)) {
    return 'top_k: Input should be a non-negative integer';
  }
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string'))) {
    return 'stop_sequences: Input should be a valid list of strings';
  }
  if (contextWindow !== undefined) {
    const tokens = inputTokensOf(body);
    if (tokens + body.max_tokens > contextWindow) {
      return tokens > contextWindow
        ? `prompt is too long: ${tokens} tokens > ${contextWindow} maximum`
        : `input length and \`max_tokens\` exceed context limit: ${tokens} + ${body.max_tokens} > ${contextWindow}, decrease input length or \`max_tokens\` and try again`;
    }
  }
  return undefined;
}

/**
 * Starts a local HTTP server that speaks Anthropic's Messages API: `POST /v1/messages` answered
 * as JSON or as SSE events (message_start … message_stop, with `ping`), with `tool_use` blocks
 * (streamed as `input_json_delta` fragments) and `thinking` blocks (`thinking_delta`, then
 * `signature_delta`) from scripted replies, tool-use checks (a `tool_result` must answer a
 * `tool_use` of the message before it and come first), Anthropic's error bodies
 * and headers (`request-id`, `anthropic-ratelimit-*`, `retry-after`), `x-api-key` and
 * `anthropic-version` checks, request validation (`max_tokens` required, `system` top-level only),
 * a context window, a requests-per-minute limit, the Message Batches endpoints, and injected
 * faults (queued or at a seeded rate), including an `error` event in the middle of a stream.
 * Resolves once it listens on 127.0.0.1 (by default on a free port).
 */
export async function startFakeAnthropicServer(options: FakeAnthropicServerOptions = {}): Promise<FakeAnthropicServer> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const versions = options.anthropicVersions ?? DEFAULT_VERSIONS;
  let responder: FakeAnthropicResponder = options.responder ?? echoLastAnthropicUserMessage;
  const http = createFakeHttpServer<RecordedRequest, AnthropicFault>(options);
  const window = new RequestWindow(options.rpmLimit);
  const idPrefix = randomBytes(6).toString('hex');
  let counter = 0;

  const nextId = (prefix: string) => `${prefix}_01${idPrefix}${(++counter).toString(36).padStart(10, '0')}`;

  const rateLimitHeaders = (now: number): Record<string, string> => {
    const limit = options.rpmLimit ?? 4_000;
    const used = window.used;
    const oldest = window.oldest;
    const resetAt = options.rpmLimit !== undefined && oldest !== undefined ? oldest + window.windowMs : now + 15;
    const reset = new Date(Math.ceil(resetAt / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return {
      'anthropic-ratelimit-requests-limit': String(limit),
      'anthropic-ratelimit-requests-remaining': String(Math.max(0, limit - used)),
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-input-tokens-remaining': '1999000',
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': '400000',
      'anthropic-ratelimit-output-tokens-remaining': '399000',
      'anthropic-ratelimit-output-tokens-reset': reset,
      'anthropic-ratelimit-tokens-limit': '2400000',
      'anthropic-ratelimit-tokens-remaining': '2398000',
      'anthropic-ratelimit-tokens-reset': reset,
    };
  };

  const baseHeaders = (requestId: string): Record<string, string> => ({
    'request-id': requestId,
    'anthropic-organization-id': '00000000-0000-4000-8000-00000000fa4e',
    via: '1.1 google',
    ...rateLimitHeaders(Date.now()),
  });

  const sendJson = (response: ServerResponse, status: number, body: unknown, requestId: string, extraHeaders: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    writeBody(response, status, text, { 'content-type': JSON_TYPE, ...baseHeaders(requestId), ...extraHeaders });
  };

  const sendError = (response: ServerResponse, status: number, type: string, message: string, requestId: string, headers: Record<string, string> = {}) =>
    sendJson(response, status, anthropicErrorWire(type, message, requestId), requestId, headers);

  const authorized = (request: IncomingMessage, response: ServerResponse, requestId: string): boolean => {
    if (options.apiKey === undefined) return true;
    // The API reads `x-api-key` first, then a bearer token.
    const bearer = /^Bearer\s+(\S+)/i.exec(headerOf(request, 'authorization') ?? '')?.[1];
    const key = headerOf(request, 'x-api-key') || bearer;
    if (key === undefined || key === '') {
      sendError(response, 401, 'authentication_error', 'x-api-key header is required', requestId);
      return false;
    }
    if (key !== options.apiKey) {
      sendError(response, 401, 'authentication_error', 'invalid x-api-key', requestId);
      return false;
    }
    return true;
  };

  const versionAccepted = (request: IncomingMessage, response: ServerResponse, requestId: string): boolean => {
    const version = headerOf(request, 'anthropic-version');
    if (version === undefined || version === '') {
      sendError(response, 400, 'invalid_request_error', 'anthropic-version: header is required', requestId);
      return false;
    }
    if (!versions.includes(version)) {
      sendError(response, 400, 'invalid_request_error', `anthropic-version: invalid version '${version}'. Accepted: ${versions.join(', ')}`, requestId);
      return false;
    }
    return true;
  };

  /** The error body and status an HTTP-error fault (or a stream error on a plain call) answers with. */
  const faultError = (fault: HttpErrorFault | AnthropicStreamErrorFault, body: MessagesRequestBody, requestId: string) => {
    if (fault.type === 'stream-error') {
      const type = fault.errorType ?? 'overloaded_error';
      return { status: statusForErrorType(type), body: anthropicErrorWire(type, fault.message ?? 'Overloaded', requestId) as unknown, headers: {} };
    }
    const errorBody =
      fault.body ??
      defaultAnthropicErrorFor({
        status: fault.status,
        code: fault.code,
        message: fault.message,
        errorType: fault.errorType,
        model: typeof body.model === 'string' ? body.model : undefined,
        requestId,
      });
    return { status: fault.status, body: errorBody as unknown, headers: fault.headers ?? {} };
  };

  const scriptedReplies: ScriptedReply[] = [];
  const produceReply = async (body: MessagesRequestBody, record: RecordedRequest): Promise<FakeAnthropicReply> => {
    const scripted = scriptedReplies.shift();
    if (scripted) return { ...scripted, text: scripted.text ?? (scripted.toolCalls?.length ? '' : echoLastAnthropicUserMessage(body)) };
    const produced = await responder(body, record);
    return typeof produced === 'string' ? { text: produced } : produced;
  };

  /** Answers 429 and returns false when the requests-per-minute limit is used up. */
  const admit = (response: ServerResponse, requestId: string): boolean => {
    const waitMs = window.admit();
    if (waitMs === undefined) return true;
    http.stats.rateLimited = (http.stats.rateLimited ?? 0) + 1;
    sendError(
      response,
      429,
      'rate_limit_error',
      `This request would exceed the rate limit for your organization of ${options.rpmLimit} requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.`,
      requestId,
      { 'retry-after': String(Math.ceil(waitMs / 1000)) },
    );
    return false;
  };

  /** Writes the events; with `cut`, the connection is lost after the last one instead of ending. */
  const writeEvents = (response: ServerResponse, requestId: string, events: string[], cut = false) =>
    http.writeStream(response, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...baseHeaders(requestId) }, events, { delayMs: chunkDelayMs, cut });

  /** Writes the answer to a valid Messages request, applying a truncating or mid-stream fault. */
  const answer = async (record: RecordedRequest, response: ServerResponse, requestId: string, fault?: Fault | AnthropicStreamErrorFault) => {
    const body = record.body as MessagesRequestBody;
    let reply: FakeAnthropicReply;
    try {
      reply = await produceReply(body, record);
    } catch (error) {
      return sendError(response, 500, 'api_error', `The fake server's responder failed: ${messageOf(error)}`, requestId);
    }
    const id = nextId('msg');
    if (body.stream !== true) {
      const text = JSON.stringify(messageWire(id, body, reply));
      if (fault?.type !== 'truncate-stream') return sendJson(response, 200, text, requestId);
      return writeHalfBody(response, 200, text, { 'content-type': JSON_TYPE, ...baseHeaders(requestId) });
    }
    const events = streamEventsWire(id, body, reply);
    if (fault?.type === 'truncate-stream') return writeEvents(response, requestId, events.slice(0, fault.afterChunks ?? 2), true);
    if (fault?.type === 'stream-error') {
      const error = anthropicErrorWire(fault.errorType ?? 'overloaded_error', fault.message ?? 'Overloaded', requestId);
      return writeEvents(response, requestId, [...events.slice(0, fault.afterEvents ?? 3), sseEvent(error)]);
    }
    return writeEvents(response, requestId, events);
  };

  const handleMessages = async (record: RecordedRequest, response: ServerResponse, requestId: string) => {
    const body = record.body as MessagesRequestBody;
    if (!admit(response, requestId)) return;
    const fault = http.nextFault();
    if (fault?.type === 'stream-error' && body.stream !== true) {
      await http.sleep(latencyMs);
      const error = faultError(fault, body, requestId);
      return sendJson(response, error.status, error.body, requestId);
    }
    // A stream error or a truncation is applied to a valid request's answer; the other faults answer now.
    if (fault && fault.type !== 'stream-error' && fault.type !== 'truncate-stream') {
      return http.applyFault(fault, response, {
        latencyMs,
        httpError: (httpFault) => {
          const error = faultError(httpFault, body, requestId);
          sendJson(response, error.status, error.body, requestId, error.headers);
        },
        invalidJson: () => sendJson(response, 200, '{"id": "msg_broken", "type": "message", "content": [{"type": "text", <html>upstream', requestId),
        truncate: () => undefined, // not reached: a truncating fault is applied after validation, below
      });
    }
    const invalid = messagesRequestError(body, { contextWindow: options.contextWindow, apiVersion: String(record.headers['anthropic-version']) }) ?? toolUseError(body);
    if (invalid !== undefined) return sendError(response, 400, 'invalid_request_error', invalid, requestId);
    await http.sleep(latencyMs);
    if (http.closed) return;
    return answer(record, response, requestId, fault);
  };

  let batchProcessingMs = options.batchProcessingMs ?? 0;
  const batches = new FakeBatchStore(async (request: FakeBatchRequest, fault, batch) => {
    if (fault?.type === 'http-error' || fault?.type === 'stream-error') {
      const error = faultError(fault, request.params, nextId('req'));
      const errorBody = error.body as Partial<AnthropicErrorBody>;
      return { error: errorBody.type === 'error' && errorBody.error ? (errorBody as AnthropicErrorBody) : anthropicErrorWire('api_error', JSON.stringify(error.body)) };
    }
    const invalid = messagesRequestError(request.params, { contextWindow: options.contextWindow, apiVersion: batch.apiVersion });
    if (invalid !== undefined) return { error: anthropicErrorWire('invalid_request_error', invalid) };
    const record: RecordedRequest = { method: 'BATCH', path: '/v1/messages', headers: {}, body: request.params, rawBody: JSON.stringify(request.params), receivedAt: Date.now() };
    return { reply: await produceReply(request.params, record), messageId: nextId('msg') };
  });

  const handleBatchCreate = async (record: RecordedRequest, response: ServerResponse, requestId: string) => {
    // A fault that is not an HTTP error (hang, reset, invalid JSON) applies to the create call itself.
    const first = http.peekQueuedFault();
    if (first && first.type !== 'http-error' && first.type !== 'stream-error') {
      http.nextFault();
      if (first.type === 'hang') return;
      if (first.type === 'reset' || first.type === 'truncate-stream') {
        response.socket?.destroy();
        return;
      }
      return sendJson(response, 200, '{"id": "msgbatch_broken", "type": "message_batch", <html>', requestId);
    }
    const invalid = batchCreateError(record.body);
    if (invalid !== undefined) return sendError(response, 400, 'invalid_request_error', invalid, requestId);
    const requests = (record.body as { requests: FakeBatchRequest[] }).requests;
    const createdAt = Date.now();
    const batch: FakeBatch = {
      id: nextId('msgbatch'),
      requests,
      createdAt,
      endsAt: createdAt + batchProcessingMs,
      apiVersion: String(record.headers['anthropic-version']),
      itemFaults: requests.map(() => http.nextFault()),
    };
    batches.add(batch);
    return sendJson(response, 200, batchWire({ ...batch }, http.url), requestId);
  };

  const handleBatchRoute = async (method: string, path: string, response: ServerResponse, requestId: string): Promise<boolean> => {
    const match = /^\/v1\/messages\/batches\/([^/]+)(\/results|\/cancel)?$/.exec(path);
    if (!match) return false;
    const [, rawId, action] = match;
    const batch = batches.get(decodeURIComponent(rawId as string));
    const allowed = action === '/cancel' ? method === 'POST' : method === 'GET';
    if (!allowed) return false;
    if (!batch) {
      sendError(response, 404, 'not_found_error', `No message batch found with id '${rawId}'.`, requestId);
      return true;
    }
    if (action === '/cancel' && !batch.results && batch.cancelInitiatedAt === undefined) batch.cancelInitiatedAt = Date.now();
    await batches.refresh(batch);
    if (action !== '/results') {
      sendJson(response, 200, batchWire(batch, http.url), requestId);
      return true;
    }
    if (!batch.results) {
      sendError(response, 400, 'invalid_request_error', `Message Batch ${batch.id} has not yet ended processing; its results are available once processing_status is 'ended'.`, requestId);
      return true;
    }
    // Anthropic does not promise results in request order; the fake writes them reversed so clients must match by custom_id.
    const lines = [...batch.results].reverse().map((line) => `${JSON.stringify(line)}\n`).join('');
    response.writeHead(200, { 'content-type': 'application/binary', 'content-length': Buffer.byteLength(lines), ...baseHeaders(requestId) });
    response.end(lines);
    return true;
  };

  const handle = async ({ request, response, record, parseError }: FakeExchange) => {
    const requestId = nextId('req');
    const { method, path, body } = record;
    if (!authorized(request, response, requestId)) return;
    if (!versionAccepted(request, response, requestId)) return;
    const isPost = method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/batches');
    if (isPost && (parseError !== undefined || typeof body !== 'object' || body === null || Array.isArray(body))) {
      return sendError(response, 400, 'invalid_request_error', 'There was an issue with your request body: it is not a valid JSON object.', requestId);
    }
    if (isPost && path === '/v1/messages') return handleMessages(record, response, requestId);
    if (isPost) return handleBatchCreate(record, response, requestId);
    if (await handleBatchRoute(method, path, response, requestId)) return;
    return sendError(response, 404, 'not_found_error', `Not Found: ${method} ${path}`, requestId);
  };

  http.onReset(() => {
    scriptedReplies.length = 0;
    window.clear();
    batches.clear();
  });
  await http.listen(handle, (response, error) => sendError(response, 500, 'api_error', `The fake server failed: ${messageOf(error)}`, 'req_fake_failure'));
  return fakeServerHandle(http, {
    get batches() {
      return batches.list();
    },
    setResponder(next: FakeAnthropicResponder | undefined) {
      responder = next ?? options.responder ?? echoLastAnthropicUserMessage;
    },
    enqueueReply(reply: ScriptedReply) {
      scriptedReplies.push(reply);
    },
    describeRequest(request: RecordedRequest): NeutralRequestView {
      return describeAnthropicRequest(request.body as MessagesRequestBody);
    },
    setBatchProcessingMs(ms: number) {
      batchProcessingMs = ms;
      for (const batch of batches.list()) if (!batch.results) batch.endsAt = batch.createdAt + ms;
    },
  });
}
