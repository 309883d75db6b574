/**
 * The engine shared by the fake servers that speak OpenAI's chat-completions protocol (OpenAI
 * itself and Azure OpenAI): HTTP plumbing, request recording, counters, faults, validation, the
 * requests-per-minute limit, and JSON and SSE answers. A {@link WireDialect} supplies what differs
 * between vendors: routes, authentication, error bodies, headers and extra response fields.
 * Internal to the testkit; the public entry points are `startFakeOpenAIServer` and
 * `startFakeAzureOpenAIServer`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFakeHttpServer, fakeServerHandle, messageOf, RequestWindow, writeBody, writeHalfBody } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import { describeChatRequest, fakeReplyOf, toolCallDeltas, validateToolFields } from './openai-tools-wire.js';
import type { Fault, HttpErrorFault } from '../faults.js';
import {
  choiceCount,
  chunkWire,
  completionWire,
  echoLastUserMessage,
  errorWire,
  promptTokensOf,
  splitIntoDeltas,
  logprobsWire,
  usageWire,
  type ChatCompletionRequestBody,
  type CompletionIdentity,
  type FakeReply,
} from './openai-wire.js';

/**
 * An `error` chunk in the middle of a streamed answer, as OpenAI sends when a stream fails after
 * it began: `afterChunks` chunks (default 2), then `data: {"error": {...}}`, and the answer ends
 * (no `[DONE]`). A non-streamed request gets the same error as an HTTP 500 instead.
 */
export interface OpenAIStreamErrorFault {
  type: 'stream-error';
  /** Chunks written before the error. Default 2. */
  afterChunks?: number;
  /** Default `The server had an error while processing your request. Sorry about that!`. */
  message?: string;
  /** Default `server_error`. */
  errorType?: string;
}

/** What an OpenAI-compatible fake can be told to fail with: the neutral faults plus a mid-stream error chunk. */
export type OpenAIFault = Fault | OpenAIStreamErrorFault;

/** Makes the answer to a chat-completions request: a text, or a text with finish reason and usage. */
export type FakeResponder = (
  body: ChatCompletionRequestBody,
  request: RecordedRequest,
) => string | FakeReply | Promise<string | FakeReply>;

/** Options every OpenAI-compatible fake accepts. */
export interface OpenAICompatibleServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Milliseconds before the first byte of every answer (errors and faults included; not auth or validation errors). Default 0. */
  latencyMs?: number;
  /** Milliseconds between SSE frames. Default 0 (the whole stream is written at once). */
  streamChunkDelayMs?: number;
  /** Makes the answers. Default: the last user message's text (an echo). */
  responder?: FakeResponder;
  /** A prompt longer than this many words gets a 400 `context_length_exceeded`. Default: no limit. */
  contextWindow?: number;
  /** Share (0–1) of chat requests that fail with `fault`, drawn from a generator seeded with `seed`. Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500. */
  fault?: OpenAIFault;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Requests per minute admitted to chat completions; past it, 429 with `retry-after`. Default: no limit. */
  rpmLimit?: number;
  /** The sliding window `rpmLimit` counts over, in milliseconds (shorten it to test rate limiting quickly). Default 60,000. */
  rpmWindowMs?: number;
  /** Most requests kept in `requests` (the oldest are dropped). Default 10,000. */
  maxRecordedRequests?: number;
  /**
   * Send a reply's reasoning as `reasoning_content` (whole and as streamed deltas), as vLLM (with a
   * reasoning parser) and DeepSeek do. Default false: OpenAI's chat API returns no reasoning text.
   */
  reasoningContent?: boolean;
  /**
   * Cut streamed answer text into deltas of this many characters, as a vendor's tokenizer cuts
   * inside words (`<EMAIL_ADDRESS_1>` arriving as `<EMAIL`, `_ADDRESS`, `_1>`). Default: one word,
   * with its trailing space, per delta.
   */
  streamDeltaChars?: number;
}

/** An answer the dialect wants written: status, JSON body and extra headers. */
export interface WireAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What a custom route handler can use to answer. */
export interface RouteContext {
  record: RecordedRequest;
  request: IncomingMessage;
  response: ServerResponse;
  startedAt: number;
  /** True when the body was present but not valid JSON. */
  parseFailed: boolean;
  /** Writes a JSON (or, for a string, raw) body with the dialect's headers. */
  send(answer: WireAnswer, contentType?: string): void;
  /** Runs a chat request through validation and the responder, without HTTP: what the batch runner uses. */
  complete(body: ChatCompletionRequestBody, model?: string): Promise<WireAnswer>;
}

/** Where a request goes. */
export type WireRoute =
  /** Chat completions; `model` is the model the answer reports (default: the body's `model`). */
  | { type: 'chat'; model?: string; requireModel?: boolean }
  /** Any other endpoint, answered by the dialect. */
  | { type: 'handler'; handle(context: RouteContext): void | Promise<void> };

/** What differs between vendors that speak OpenAI's chat-completions protocol. */
export interface WireDialect {
  /** The path the SDK's base URL ends in (`/v1` for OpenAI, empty for an Azure endpoint). */
  urlPath: string;
  /** Headers sent with every answer (after the common ones). */
  headers(context: { startedAt: number; rateLimit: Record<string, string> }): Record<string, string>;
  /** An answer when the request is not authorized; undefined when it is. */
  authorize(request: IncomingMessage): WireAnswer | undefined;
  /** The route of a request; undefined answers `notFound`. `query` holds the URL's query parameters. */
  route(method: string, path: string, query: URLSearchParams): WireRoute | WireAnswer | undefined;
  /** The answer to an unknown route. */
  notFound(method: string, path: string): WireAnswer;
  /** The error body of an `http-error` fault that gives none. */
  errorBody(fault: HttpErrorFault, model: string | undefined): unknown;
  /** Body and headers of the 429 the requests-per-minute limit sends. */
  rateLimited(details: { model: string; limit: number; used: number; waitMs: number }): WireAnswer;
  /** A last check on a valid chat request (e.g. a content filter); an answer refuses it. */
  screen?(body: ChatCompletionRequestBody): WireAnswer | undefined;
  /** Adds vendor fields to a whole completion. */
  decorateCompletion?(completion: Record<string, unknown>, reply: FakeReply): Record<string, unknown>;
  /** Adds vendor frames or fields to the chunks of a stream (before `[DONE]`). */
  decorateChunks?(chunks: Array<Record<string, unknown>>, reply: FakeReply, identity: CompletionIdentity): Array<Record<string, unknown>>;
}

/** The running engine: the public control plus what dialect-specific servers build on. */
export interface OpenAICompatibleServer extends FakeServerControl {
  /** Queues a neutral fault or a mid-stream error chunk ({@link OpenAIStreamErrorFault}). */
  enqueueFault(fault: OpenAIFault): void;
  readonly port: number;
  /** `http://host:port` without the dialect's path. */
  readonly origin: string;
  setResponder(responder: FakeResponder | undefined): void;
  enqueueReply(reply: ScriptedReply): void;
  describeRequest(request: RecordedRequest): NeutralRequestView;
  /** Registers a hook run by `reset()` (dialects keep their own state). */
  onReset(hook: () => void): void;
  /** Changes the server's latency and seeded fault rate from now on (a provider that slows down or starts failing mid-test). */
  setConditions(conditions: ServerConditions): void;
}

/** What {@link OpenAICompatibleServer.setConditions} changes; fields left out stay as they are. */
export interface ServerConditions {
  /** Milliseconds before each answer. */
  latencyMs?: number;
  /** Share (0–1) of chat requests that fail with the server's `fault` (drawn from its seeded generator). */
  faultRate?: number;
}

const JSON_TYPE = 'application/json';

/** `1m3s`, `20s`, `250ms`: OpenAI's format of the `x-ratelimit-reset-*` headers. */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

/**
 * Starts an OpenAI-compatible fake server speaking `dialect`. Resolves once it listens (by
 * default on a free port of 127.0.0.1).
 */
export async function startOpenAICompatibleServer(
  dialect: WireDialect,
  given: OpenAICompatibleServerOptions = {},
): Promise<OpenAICompatibleServer> {
  // A copy: setConditions changes the fault rate the fault draws read, not the caller's object.
  const options = { ...given };
  let latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const http = createFakeHttpServer<RecordedRequest, OpenAIFault>(options);
  const window = new RequestWindow(options.rpmLimit, options.rpmWindowMs ?? 60_000);
  http.onReset(() => window.clear());
  let responder: FakeResponder = options.responder ?? echoLastUserMessage;
  const scripted: ScriptedReply[] = [];
  http.onReset(() => {
    scripted.length = 0;
  });
  const reasoningContent = options.reasoningContent === true;
  const idPrefix = randomBytes(8).toString('hex');
  let counter = 0;

  const nextId = () => (++counter).toString(36).padStart(10, '0');

  const rateLimitHeaders = (now: number): Record<string, string> => {
    const limit = options.rpmLimit ?? 10_000;
    const oldest = window.oldest;
    const resetMs = options.rpmLimit !== undefined && oldest !== undefined ? oldest + window.windowMs - now : 6;
    return {
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': String(Math.max(0, limit - window.used)),
      'x-ratelimit-reset-requests': formatReset(resetMs),
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-tokens': '29999000',
      'x-ratelimit-reset-tokens': '2ms',
    };
  };

  const headersFor = (startedAt: number) => dialect.headers({ startedAt, rateLimit: rateLimitHeaders(Date.now()) });

  const sendJson = (response: ServerResponse, answer: WireAnswer, startedAt: number, contentType = JSON_TYPE) => {
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const noRetry = answer.status >= 400 && answer.status < 500 && answer.status !== 429 && answer.status !== 408;
    writeBody(response, answer.status, text, {
      'content-type': contentType,
      ...headersFor(startedAt),
      ...(noRetry ? { 'x-should-retry': 'false' } : {}),
      ...answer.headers,
    });
  };

  /** Checks a chat request the way OpenAI does; returns the 400 answer when it is invalid. */
  const validate = (body: ChatCompletionRequestBody, requireModel: boolean): WireAnswer | undefined => {
    const reject = (param: string, message: string, code: string | null): WireAnswer => ({
      status: 400,
      body: errorWire({ message, type: 'invalid_request_error', param, code }),
    });
    if (requireModel && (typeof body.model !== 'string' || body.model === '')) {
      return reject('model', "Missing required parameter: 'model'.", 'missing_required_parameter');
    }
    if (body.messages === undefined) return reject('messages', "Missing required parameter: 'messages'.", 'missing_required_parameter');
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
    return validateToolFields(body) ?? dialect.screen?.(body);
  };

  /** Returns the 429 answer when the requests-per-minute limit is used up. */
  const admit = (model: string): WireAnswer | undefined => {
    const waitMs = window.admit();
    if (waitMs === undefined || options.rpmLimit === undefined) return undefined;
    http.stats.rateLimited = (http.stats.rateLimited ?? 0) + 1;
    return dialect.rateLimited({ model, limit: options.rpmLimit, used: window.used, waitMs });
  };

  const replyTo = async (body: ChatCompletionRequestBody, record: RecordedRequest): Promise<FakeReply | WireAnswer> => {
    const next = scripted.shift();
    if (next) return fakeReplyOf(next, () => echoLastUserMessage(body));
    try {
      const produced = await responder(body, record);
      return typeof produced === 'string' ? { text: produced } : produced;
    } catch (error) {
      const message = `The fake server's responder failed: ${messageOf(error)}`;
      return { status: 500, body: errorWire({ message, type: 'server_error' }) };
    }
  };

  const identityFor = (model: string): CompletionIdentity => ({
    id: `chatcmpl-${idPrefix.slice(0, 8)}${nextId()}`,
    created: Math.floor(Date.now() / 1000),
    model,
    systemFingerprint: 'fp_fake0001',
  });

  const wholeCompletion = (identity: CompletionIdentity, body: ChatCompletionRequestBody, reply: FakeReply) => {
    const completion = completionWire(identity, body, reply, reasoningContent) as Record<string, unknown>;
    return dialect.decorateCompletion ? dialect.decorateCompletion(completion, reply) : completion;
  };

  /** Writes the answer; with `truncateAfter`, stops after that many frames and destroys the socket; with `streamError`, ends in its error chunk. */
  const answer = async (record: RecordedRequest, model: string, response: ServerResponse, startedAt: number, truncateAfter?: number, streamError?: OpenAIStreamErrorFault) => {
    const body = record.body as ChatCompletionRequestBody;
    const reply = await replyTo(body, record);
    if ('status' in reply) return sendJson(response, reply, startedAt);
    const identity = identityFor(model);
    const failure = streamError
      ? errorWire({ message: streamError.message ?? 'The server had an error while processing your request. Sorry about that!', type: streamError.errorType ?? 'server_error' })
      : undefined;
    if (body.stream !== true) {
      if (failure) return sendJson(response, { status: 500, body: failure }, startedAt);
      const text = JSON.stringify(wholeCompletion(identity, body, reply));
      if (truncateAfter === undefined) return sendJson(response, { status: 200, body: text }, startedAt);
      return writeHalfBody(response, 200, text, { 'content-type': JSON_TYPE, ...headersFor(startedAt) });
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const none = { includeUsage, value: null };
    // Each alternative (`n` > 1) streams in turn, its chunks carrying its `index`.
    const chunks = Array.from({ length: choiceCount(body) }, (_, choice) => {
      const calls = reply.toolCalls ?? [];
      const callDeltas = toolCallDeltas(calls);
      // With tool calls and no text, OpenAI's first delta is the first call's, with `content: null`.
      const first = calls.length > 0 && reply.text === '' ? { role: 'assistant', content: null, ...callDeltas.shift(), refusal: null } : { role: 'assistant', content: '', refusal: null };
      return [
        chunkWire(identity, { delta: first, finishReason: null, index: choice }, none),
        ...(reasoningContent && reply.reasoning !== undefined
          ? splitIntoDeltas(reply.reasoning).map((piece) => chunkWire(identity, { delta: { reasoning_content: piece }, finishReason: null, index: choice }, none))
          : []),
        ...textDeltas(reply.text, options.streamDeltaChars).map((piece, index) =>
          chunkWire(identity, { delta: { content: piece }, finishReason: null, logprobs: pieceLogprobs(body, reply, piece, index), index: choice }, none),
        ),
        ...callDeltas.map((delta) => chunkWire(identity, { delta, finishReason: null, index: choice }, none)),
        chunkWire(identity, { delta: {}, finishReason: reply.finishReason ?? 'stop', index: choice }, none),
      ];
    }).flat() as Array<Record<string, unknown>>;
    if (includeUsage) chunks.push(chunkWire(identity, undefined, { includeUsage, value: usageWire(body, reply) }) as Record<string, unknown>);
    const frames = dialect.decorateChunks ? dialect.decorateChunks(chunks, reply, identity) : chunks;
    const lines = frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`);
    if (failure) lines.splice(streamError?.afterChunks ?? 2, lines.length, `data: ${JSON.stringify(failure)}\n\n`);
    else if (truncateAfter === undefined) lines.push('data: [DONE]\n\n');
    else lines.splice(truncateAfter);
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headersFor(startedAt) };
    return http.writeStream(response, headers, lines, { delayMs: chunkDelayMs, cut: truncateAfter !== undefined });
  };

  const applyFault = (fault: Fault, record: RecordedRequest, model: string, response: ServerResponse, startedAt: number) =>
    http.applyFault(fault, response, {
      latencyMs,
      httpError: (httpFault) => {
        const body = record.body as ChatCompletionRequestBody;
        const errorBody = httpFault.body ?? dialect.errorBody(httpFault, typeof body.model === 'string' ? body.model : model);
        sendJson(response, { status: httpFault.status, body: errorBody, ...(httpFault.headers ? { headers: httpFault.headers } : {}) }, startedAt);
      },
      invalidJson: () =>
        sendJson(response, { status: 200, body: '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, <html>upstream' }, startedAt),
      truncate: (afterChunks) => answer(record, model, response, startedAt, afterChunks),
    });

  const handleChat = async (route: { model?: string; requireModel?: boolean }, context: RouteContext) => {
    const { record, response, startedAt } = context;
    if (context.parseFailed || typeof record.body !== 'object' || record.body === null || Array.isArray(record.body)) {
      return sendJson(response, { status: 400, body: errorWire({ message: INVALID_JSON_MESSAGE, type: 'invalid_request_error' }) }, startedAt);
    }
    const body = record.body as ChatCompletionRequestBody;
    const model = route.model ?? (typeof body.model === 'string' ? body.model : 'the model');
    const limited = admit(model);
    if (limited) return sendJson(response, limited, startedAt);
    const fault = http.nextFault();
    if (fault?.type === 'stream-error') {
      await http.sleep(latencyMs);
      return answer(record, model, response, startedAt, undefined, fault);
    }
    if (fault) return applyFault(fault, record, model, response, startedAt);
    const invalid = validate(body, route.requireModel ?? true);
    if (invalid) return sendJson(response, invalid, startedAt);
    await http.sleep(latencyMs);
    if (http.closed) return;
    return answer(record, model, response, startedAt);
  };

  const complete = async (body: ChatCompletionRequestBody, record: RecordedRequest, model?: string): Promise<WireAnswer> => {
    const invalid = validate(body, model === undefined);
    if (invalid) return invalid;
    const reply = await replyTo(body, record);
    if ('status' in reply) return reply;
    return { status: 200, body: wholeCompletion(identityFor(model ?? String(body.model)), body, reply) };
  };

  await http.listen(
    async ({ request, response, record, url, startedAt, parseError }) => {
      const context: RouteContext = {
        record,
        request,
        response,
        startedAt,
        parseFailed: parseError !== undefined,
        send: (answerToSend, contentType) => sendJson(response, answerToSend, startedAt, contentType),
        complete: (chatBody, model) => complete(chatBody, record, model),
      };
      const refused = dialect.authorize(request);
      if (refused) return sendJson(response, refused, startedAt);
      const route = dialect.route(record.method, url.pathname, url.searchParams);
      if (route === undefined) return sendJson(response, dialect.notFound(record.method, url.pathname), startedAt);
      if ('status' in route) return sendJson(response, route, startedAt);
      if (route.type === 'chat') return handleChat(route, context);
      return route.handle(context);
    },
    (response, error) => sendJson(response, { status: 500, body: errorWire({ message: `The fake server failed: ${messageOf(error)}`, type: 'server_error' }) }, performance.now()),
  );

  return fakeServerHandle(http, {
    get url() {
      return `${http.url}${dialect.urlPath}`;
    },
    get origin() {
      return http.url;
    },
    setConditions(conditions: ServerConditions) {
      if (conditions.latencyMs !== undefined) latencyMs = conditions.latencyMs;
      if (conditions.faultRate !== undefined) options.faultRate = conditions.faultRate;
    },
    setResponder(next: FakeResponder | undefined) {
      responder = next ?? options.responder ?? echoLastUserMessage;
    },
    onReset: (hook: () => void) => http.onReset(hook),
    enqueueReply(reply: ScriptedReply) {
      scripted.push(reply);
    },
    describeRequest: (request: RecordedRequest) => describeChatRequest(request),
  });
}

/** The logprobs of one streamed piece: its own entry of the reply's logprobs, when they were asked for. */
function pieceLogprobs(body: ChatCompletionRequestBody, reply: FakeReply, piece: string, index: number) {
  const whole = logprobsWire(body, reply);
  if (!whole) return null;
  const entry = whole.content[index] ?? { token: piece, logprob: 0, bytes: [], top_logprobs: [] };
  return { content: [entry], refusal: null };
}

/** The text deltas of a streamed answer: words, or pieces of `size` characters. */
function textDeltas(text: string, size: number | undefined): string[] {
  if (size === undefined || size < 1) return splitIntoDeltas(text);
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces;
}
