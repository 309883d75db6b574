import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeServerControl, FakeServerStats, RecordedRequest } from '../fake-server-control.js';
import { seededRandom, type Fault, type HttpErrorFault } from '../faults.js';
import {
  chunkWire,
  completionWire,
  defaultErrorFor,
  echoLastUserMessage,
  errorWire,
  maskApiKey,
  promptTokensOf,
  splitIntoDeltas,
  usageWire,
  type ChatCompletionRequestBody,
  type CompletionIdentity,
  type FakeReply,
  type OpenAIErrorBody,
} from './openai-wire.js';

/** Makes the answer to a chat-completions request: a text, or a text with finish reason and usage. */
export type FakeResponder = (
  body: ChatCompletionRequestBody,
  request: RecordedRequest,
) => string | FakeReply | Promise<string | FakeReply>;

/** Options of {@link startFakeOpenAIServer}. Every option is optional. */
export interface FakeOpenAIServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /** Milliseconds before the first byte of every answer (errors and faults included; not auth or validation errors). Default 0. */
  latencyMs?: number;
  /** Milliseconds between SSE frames. Default 0 (the whole stream is written at once). */
  streamChunkDelayMs?: number;
  /** Makes the answers. Default: the last user message's text (an echo). */
  responder?: FakeResponder;
  /** A prompt longer than this many words gets OpenAI's 400 `context_length_exceeded`. Default: no limit. */
  contextWindow?: number;
  /** Share (0–1) of chat requests that fail with `fault`, drawn from a generator seeded with `seed`. Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500. */
  fault?: Fault;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Requests per minute admitted to chat completions; past it, 429 with `retry-after`. Default: no limit. */
  rpmLimit?: number;
  /** Ids listed by `GET /v1/models`. Default `gpt-4o-mini`, `gpt-4o`, `gpt-4.1-mini`. */
  models?: string[];
  /** Most requests kept in `requests` (the oldest are dropped). Default 10,000. */
  maxRecordedRequests?: number;
}

/** A running fake OpenAI server. */
export interface FakeOpenAIServer extends FakeServerControl {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeResponder | undefined): void;
}

const JSON_TYPE = 'application/json';
const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'];
const MODEL_CREATED = 1_715_367_049;

/** `1m3s`, `20s`, `250ms`: OpenAI's format of the `x-ratelimit-reset-*` headers. */
function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Starts a local HTTP server that speaks OpenAI's chat-completions wire protocol: JSON and SSE
 * answers with OpenAI's fields and headers, `GET /v1/models`, API-key checks, request validation,
 * a context window, a requests-per-minute limit, and injected faults (queued or at a seeded rate).
 * Resolves once it listens on 127.0.0.1 (by default on a free port).
 */
export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const maxRecorded = options.maxRecordedRequests ?? 10_000;
  const models = options.models ?? DEFAULT_MODELS;
  let responder: FakeResponder = options.responder ?? echoLastUserMessage;
  let random = seededRandom(options.seed ?? 1);
  const queuedFaults: Fault[] = [];
  const recorded: RecordedRequest[] = [];
  const stats: FakeServerStats = { requests: 0, inFlight: 0, maxInFlight: 0, connections: 0 };
  const admitted: number[] = [];
  const timers = new Map<NodeJS.Timeout, () => void>();
  const idPrefix = randomBytes(8).toString('hex');
  let counter = 0;
  let closed = false;

  const sleep = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.set(timer, resolve);
        });

  const nextId = () => (++counter).toString(36).padStart(10, '0');

  const rateLimitHeaders = (now: number): Record<string, string> => {
    const limit = options.rpmLimit ?? 10_000;
    const used = options.rpmLimit === undefined ? 1 : admitted.length;
    const oldest = admitted[0];
    const resetMs = options.rpmLimit !== undefined && oldest !== undefined ? oldest + 60_000 - now : 6;
    return {
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': String(Math.max(0, limit - used)),
      'x-ratelimit-reset-requests': formatReset(resetMs),
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-tokens': '29999000',
      'x-ratelimit-reset-tokens': '2ms',
    };
  };

  const baseHeaders = (startedAt: number): Record<string, string> => ({
    'x-request-id': `req_${idPrefix}${randomBytes(8).toString('hex')}`,
    'openai-processing-ms': String(Math.max(1, Math.round(performance.now() - startedAt))),
    'openai-version': '2020-10-01',
    'openai-organization': 'user-fake',
    ...rateLimitHeaders(Date.now()),
  });

  const sendJson = (
    response: ServerResponse,
    status: number,
    body: unknown,
    startedAt: number,
    extraHeaders: Record<string, string> = {},
  ) => {
    if (response.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      ...baseHeaders(startedAt),
      ...extraHeaders,
    });
    response.end(text);
  };

  const sendError = (
    response: ServerResponse,
    status: number,
    body: OpenAIErrorBody,
    startedAt: number,
    headers: Record<string, string> = {},
  ) => sendJson(response, status, body, startedAt, status >= 500 ? headers : { 'x-should-retry': 'false', ...headers });

  const authorized = (request: IncomingMessage, response: ServerResponse, startedAt: number): boolean => {
    if (options.apiKey === undefined) return true;
    const header = request.headers.authorization;
    if (header === undefined || !/^Bearer\s+\S/i.test(header)) {
      sendError(
        response,
        401,
        errorWire({
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          type: 'invalid_request_error',
        }),
        startedAt,
      );
      return false;
    }
    const key = header.replace(/^Bearer\s+/i, '').trim();
    if (key !== options.apiKey) {
      sendError(
        response,
        401,
        errorWire({
          message: `Incorrect API key provided: ${maskApiKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        }),
        startedAt,
      );
      return false;
    }
    return true;
  };

  const nextFault = (): Fault | undefined => {
    const queued = queuedFaults.shift();
    if (queued) return queued;
    if (options.faultRate !== undefined && options.faultRate > 0 && random() < options.faultRate) {
      return options.fault ?? { type: 'http-error', status: 500 };
    }
    return undefined;
  };

  /** Checks the request the way OpenAI does; answers 400 and returns false when it is invalid. */
  const valid = (body: ChatCompletionRequestBody, response: ServerResponse, startedAt: number): boolean => {
    const reject = (param: string, message: string, code: string | null) => {
      sendError(response, 400, errorWire({ message, type: 'invalid_request_error', param, code }), startedAt);
      return false;
    };
    if (typeof body.model !== 'string' || body.model === '') {
      return reject('model', "Missing required parameter: 'model'.", 'missing_required_parameter');
    }
    if (body.messages === undefined) {
      return reject('messages', "Missing required parameter: 'messages'.", 'missing_required_parameter');
    }
    if (!Array.isArray(body.messages)) {
      return reject('messages', "Invalid type for 'messages': expected an array, but got an object instead.", 'invalid_type');
    }
    if (body.messages.length === 0) {
      return reject('messages', "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'empty_array');
    }
    const ranges: Array<[string, number, number]> = [['temperature', 0, 2], ['top_p', 0, 1], ['presence_penalty', -2, 2], ['frequency_penalty', -2, 2]];
    for (const [param, min, max] of ranges) {
      const value = body[param];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number') {
        return reject(param, `Invalid type for '${param}': expected a decimal, but got a ${typeof value} instead.`, 'invalid_type');
      }
      if (value > max) return reject(param, `Invalid '${param}': decimal above maximum value. Expected a value <= ${max}, but got ${value} instead.`, 'decimal_above_max_value');
      if (value < min) return reject(param, `Invalid '${param}': decimal below minimum value. Expected a value >= ${min}, but got ${value} instead.`, 'decimal_below_min_value');
    }
    if (options.contextWindow !== undefined) {
      const promptTokens = promptTokensOf(body);
      if (promptTokens > options.contextWindow) {
        return reject(
          'messages',
          `This model's maximum context length is ${options.contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
          'context_length_exceeded',
        );
      }
    }
    return true;
  };

  /** Answers 429 and returns false when the requests-per-minute limit is used up. */
  const admit = (response: ServerResponse, model: string, startedAt: number): boolean => {
    if (options.rpmLimit === undefined) return true;
    const now = Date.now();
    while (admitted.length > 0 && (admitted[0] as number) <= now - 60_000) admitted.shift();
    if (admitted.length < options.rpmLimit) {
      admitted.push(now);
      return true;
    }
    const waitMs = (admitted[0] as number) + 60_000 - now;
    const seconds = Math.ceil(waitMs / 1000);
    sendError(
      response,
      429,
      errorWire({
        message: `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit ${options.rpmLimit}, Used ${admitted.length}, Requested 1. Please try again in ${seconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type: 'requests',
        code: 'rate_limit_exceeded',
      }),
      startedAt,
      { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(0, Math.round(waitMs))) },
    );
    return false;
  };

  const applyFault = async (fault: Fault, record: RecordedRequest, response: ServerResponse, startedAt: number) => {
    const body = record.body as ChatCompletionRequestBody;
    switch (fault.type) {
      case 'hang':
        return; // the response stays open until the client gives up or close() ends it
      case 'reset':
        response.socket?.destroy();
        return;
      case 'http-error':
        await sleep(latencyMs);
        return sendHttpError(fault, body, response, startedAt);
      case 'invalid-json':
        await sleep(latencyMs);
        return sendJson(response, 200, '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, <html>upstream', startedAt);
      case 'truncate-stream':
        await sleep(latencyMs);
        return answer(record, response, startedAt, fault.afterChunks ?? 2);
      default: {
        const exhaustive: never = fault;
        return exhaustive;
      }
    }
  };

  const sendHttpError = (fault: HttpErrorFault, body: ChatCompletionRequestBody, response: ServerResponse, startedAt: number) => {
    const errorBody =
      fault.body ??
      defaultErrorFor({
        status: fault.status,
        code: fault.code,
        message: fault.message,
        errorType: fault.errorType,
        param: fault.param,
        model: typeof body.model === 'string' ? body.model : undefined,
      });
    sendJson(response, fault.status, errorBody, startedAt, fault.headers);
  };

  /** Writes the answer; with `truncateAfter`, stops after that many frames and destroys the socket. */
  const answer = async (record: RecordedRequest, response: ServerResponse, startedAt: number, truncateAfter?: number) => {
    const body = record.body as ChatCompletionRequestBody;
    let reply: FakeReply;
    try {
      const produced = await responder(body, record);
      reply = typeof produced === 'string' ? { text: produced } : produced;
    } catch (error) {
      const message = `The fake server's responder failed: ${error instanceof Error ? error.message : String(error)}`;
      return sendError(response, 500, errorWire({ message, type: 'server_error' }), startedAt);
    }
    const identity: CompletionIdentity = {
      id: `chatcmpl-${idPrefix.slice(0, 8)}${nextId()}`,
      created: Math.floor(Date.now() / 1000),
      model: String(body.model),
      systemFingerprint: 'fp_fake0001',
    };
    if (body.stream !== true) {
      const text = JSON.stringify(completionWire(identity, body, reply));
      if (truncateAfter === undefined) return sendJson(response, 200, text, startedAt);
      response.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...baseHeaders(startedAt) });
      response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
      return;
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const frames: unknown[] = [
      chunkWire(identity, { delta: { role: 'assistant', content: '', refusal: null }, finishReason: null }, { includeUsage, value: null }),
      ...splitIntoDeltas(reply.text).map((piece) =>
        chunkWire(identity, { delta: { content: piece }, finishReason: null }, { includeUsage, value: null }),
      ),
      chunkWire(identity, { delta: {}, finishReason: reply.finishReason ?? 'stop' }, { includeUsage, value: null }),
      ...(includeUsage ? [chunkWire(identity, undefined, { includeUsage, value: usageWire(body, reply) })] : []),
    ];
    const lines = frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`);
    if (truncateAfter === undefined) lines.push('data: [DONE]\n\n');
    else lines.splice(truncateAfter);
    if (response.destroyed) return;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...baseHeaders(startedAt),
    });
    if (chunkDelayMs <= 0) {
      if (truncateAfter === undefined) response.end(lines.join(''));
      else response.write(lines.join(''), () => response.socket?.destroy());
      return;
    }
    for (const [index, line] of lines.entries()) {
      if (index > 0) await sleep(chunkDelayMs);
      if (response.destroyed || closed) return;
      response.write(line);
    }
    if (truncateAfter === undefined) response.end();
    else response.write('', () => response.socket?.destroy());
  };

  const handleChat = async (record: RecordedRequest, response: ServerResponse, startedAt: number) => {
    const body = record.body as ChatCompletionRequestBody;
    if (!admit(response, typeof body.model === 'string' ? body.model : 'the model', startedAt)) return;
    const fault = nextFault();
    if (fault) return applyFault(fault, record, response, startedAt);
    if (!valid(body, response, startedAt)) return;
    await sleep(latencyMs);
    if (closed) return;
    return answer(record, response, startedAt);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const startedAt = performance.now();
    stats.requests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    response.on('close', () => {
      stats.inFlight -= 1;
    });
    const rawBody = await readBody(request);
    let body: unknown;
    let parseFailed = false;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        parseFailed = true;
      }
    }
    const path = (request.url ?? '/').split('?')[0] as string;
    const method = request.method ?? 'GET';
    const record: RecordedRequest = { method, path, headers: { ...request.headers }, body, rawBody, receivedAt: Date.now() };
    recorded.push(record);
    if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);

    if (!authorized(request, response, startedAt)) return;
    if (method === 'POST' && path === '/v1/chat/completions') {
      if (parseFailed || typeof body !== 'object' || body === null || Array.isArray(body)) {
        return sendError(
          response,
          400,
          errorWire({
            message:
              "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            type: 'invalid_request_error',
          }),
          startedAt,
        );
      }
      return handleChat(record, response, startedAt);
    }
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(response, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'system' })) }, startedAt);
    }
    const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (method === 'GET' && modelMatch) {
      const id = decodeURIComponent(modelMatch[1] as string);
      if (models.includes(id)) return sendJson(response, 200, { id, object: 'model', created: MODEL_CREATED, owned_by: 'system' }, startedAt);
      return sendError(response, 404, defaultErrorFor({ status: 404, code: 'model_not_found', model: id }), startedAt);
    }
    return sendError(response, 404, errorWire({ message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' }), startedAt);
  };

  const server = createServer({ keepAlive: true }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      const message = `The fake server failed: ${error instanceof Error ? error.message : String(error)}`;
      sendError(response, 500, errorWire({ message, type: 'server_error' }), performance.now());
    });
  });
  server.on('connection', () => {
    stats.connections += 1;
  });
  // Longer than undici's default idle time so the client, not the server, closes idle sockets.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/v1`;

  return {
    url,
    port: address.port,
    get requests() {
      return recorded;
    },
    stats,
    enqueueFault(fault: Fault) {
      queuedFaults.push(fault);
    },
    setResponder(next: FakeResponder | undefined) {
      responder = next ?? options.responder ?? echoLastUserMessage;
    },
    reset() {
      recorded.length = 0;
      queuedFaults.length = 0;
      admitted.length = 0;
      stats.requests = 0;
      stats.maxInFlight = stats.inFlight;
      stats.connections = 0;
      random = seededRandom(options.seed ?? 1);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
