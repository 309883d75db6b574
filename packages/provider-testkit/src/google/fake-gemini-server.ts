import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeServerControl, FakeServerStats, RecordedRequest } from '../fake-server-control.js';
import { seededRandom, type Fault, type HttpErrorFault } from '../faults.js';
import {
  apiKeyInvalidWire,
  contentsOf,
  defaultGoogleErrorFor,
  echoLastUserContent,
  formatGoogleJson,
  generateContentResponseWire,
  geminiPromptTokensOf,
  googleErrorWire,
  modelWire,
  streamChunksWire,
  type FakeGeminiReply,
  type GeminiBlockReason,
  type GeminiFinishReason,
  type GeminiResponseIdentity,
  type GenerateContentRequestBody,
  type GoogleErrorBody,
} from './gemini-wire.js';

/** A request as the fake Gemini server received it, with its query parameters (`alt`, `key`, `pageSize`...). */
export interface GeminiRecordedRequest extends RecordedRequest {
  query: Record<string, string>;
  /** The model named in a `generateContent` path, e.g. `gemini-2.5-flash`. */
  model?: string;
}

/** Makes the answer to a `generateContent` request: a text, or a full {@link FakeGeminiReply}. */
export type FakeGeminiResponder = (
  body: GenerateContentRequestBody,
  request: GeminiRecordedRequest,
) => string | FakeGeminiReply | Promise<string | FakeGeminiReply>;

/** A safety block the server applies to the next generation request. */
export type GeminiSafetyBlock =
  /** The prompt is refused: no candidates, `promptFeedback.blockReason`. */
  | { type: 'prompt'; blockReason?: GeminiBlockReason }
  /** The answer is stopped: `finishReason` (default `SAFETY`) after `partialText` (default none). */
  | { type: 'response'; finishReason?: GeminiFinishReason; partialText?: string };

/** Options of {@link startFakeGeminiServer}. Every option is optional. */
export interface FakeGeminiServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** When set, requests without this key (header `x-goog-api-key` or query `key`) fail as Google fails them. */
  apiKey?: string;
  /** Milliseconds before the first byte of every answer (errors and faults included; not auth or validation errors). Default 0. */
  latencyMs?: number;
  /** Milliseconds between SSE frames. Default 0 (the whole stream is written at once). */
  streamChunkDelayMs?: number;
  /** Makes the answers. Default: the last user content's text (an echo). */
  responder?: FakeGeminiResponder;
  /** Prompts containing any of these words (case-insensitive) are refused with `promptFeedback.blockReason: SAFETY`. */
  blockPromptsContaining?: string[];
  /** A prompt longer than this many words gets Google's 400 about the input token count. Default: no limit. */
  contextWindow?: number;
  /** Share (0–1) of generation requests that fail with `fault`, drawn from a generator seeded with `seed`. Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500. */
  fault?: Fault;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Model ids listed by `GET /v1beta/models`. Default gemini-2.5-pro, gemini-2.5-flash, gemini-2.5-flash-lite, gemini-2.0-flash. */
  models?: string[];
  /** When true, generating with a model not in `models` gets Google's 404 NOT_FOUND. Default false. */
  rejectUnknownModels?: boolean;
  /** Most requests kept in `requests` (the oldest are dropped). Default 10,000. */
  maxRecordedRequests?: number;
}

/** A running fake Gemini API server. */
export interface FakeGeminiServer extends FakeServerControl {
  /** The base URL for `httpOptions.baseUrl`, e.g. `http://127.0.0.1:41234` (the SDK adds `/v1beta`). */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly GeminiRecordedRequest[];
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeGeminiResponder | undefined): void;
  /** Makes the next generation request (after any queued fault) blocked for safety. */
  enqueueSafetyBlock(block: GeminiSafetyBlock): void;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const DEFAULT_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash'];
const GENERATE_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const MODELS_PATH = /^\/(v1beta|v1|v1alpha)\/models$/;
const MODEL_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+)$/;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The wait an HTTP-error fault asks for, from its `retry-after-ms` or `retry-after` header. */
function faultRetryMs(fault: HttpErrorFault): number | undefined {
  const headers = fault.headers ?? {};
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms)) return ms;
  const seconds = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(seconds)) return seconds * 1000;
  return undefined;
}

/**
 * Starts a local HTTP server that speaks the Gemini API (generativelanguage v1beta) as the
 * `@google/genai` SDK uses it: `POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse` (SSE frames `data: {GenerateContentResponse}\r\n\r\n`),
 * `GET /v1beta/models`, API-key checks (`x-goog-api-key`), request validation, safety blocks
 * (a refused prompt or a `SAFETY` finish) and injected faults turned into Google's error bodies
 * (`{"error":{"code","message","status","details"}}`, with `RetryInfo` on a 429 that asks for
 * a wait). Resolves once it listens on 127.0.0.1 (by default on a free port).
 */
export async function startFakeGeminiServer(options: FakeGeminiServerOptions = {}): Promise<FakeGeminiServer> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const maxRecorded = options.maxRecordedRequests ?? 10_000;
  const models = options.models ?? DEFAULT_MODELS;
  const blockedWords = (options.blockPromptsContaining ?? []).map((word) => word.toLowerCase());
  let responder: FakeGeminiResponder = options.responder ?? echoLastUserContent;
  let random = seededRandom(options.seed ?? 1);
  const queuedFaults: Fault[] = [];
  const queuedBlocks: GeminiSafetyBlock[] = [];
  const recorded: GeminiRecordedRequest[] = [];
  const stats: FakeServerStats = { requests: 0, inFlight: 0, maxInFlight: 0, connections: 0 };
  const timers = new Map<NodeJS.Timeout, () => void>();
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

  const baseHeaders = (startedAt: number): Record<string, string> => ({
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
    'server-timing': `gfet4t7; dur=${Math.max(1, Math.round(performance.now() - startedAt))}`,
    'x-content-type-options': 'nosniff',
  });

  const sendJson = (response: ServerResponse, status: number, body: unknown, startedAt: number, extraHeaders: Record<string, string> = {}) => {
    if (response.destroyed) return;
    const text = typeof body === 'string' ? body : formatGoogleJson(body);
    response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...baseHeaders(startedAt), ...extraHeaders });
    response.end(text);
  };

  const sendError = (response: ServerResponse, body: GoogleErrorBody, startedAt: number, headers: Record<string, string> = {}) =>
    sendJson(response, body.error.code, body, startedAt, headers);

  const authorized = (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number): boolean => {
    if (options.apiKey === undefined) return true;
    const header = record.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? record.query.key;
    if (key === undefined || key === '') {
      sendError(response, defaultGoogleErrorFor({ status: 403 }), startedAt);
      return false;
    }
    if (key !== options.apiKey) {
      sendError(response, apiKeyInvalidWire(), startedAt);
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

  /** Checks the request the way the Gemini API does; answers 400 and returns false when it is invalid. */
  const valid = (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number): boolean => {
    const body = record.body as GenerateContentRequestBody;
    const reject = (message: string) => {
      sendError(response, googleErrorWire(400, message), startedAt);
      return false;
    };
    if (options.rejectUnknownModels && record.model !== undefined && !models.includes(record.model)) {
      sendError(response, defaultGoogleErrorFor({ status: 404, model: record.model }), startedAt);
      return false;
    }
    if (body.contents === undefined || (Array.isArray(body.contents) && body.contents.length === 0)) {
      return reject('* GenerateContentRequest.contents: contents is not specified\n');
    }
    if (!Array.isArray(body.contents)) {
      return reject('Invalid JSON payload received. Unknown name "contents": Proto field is not repeating, cannot start list.');
    }
    for (const [index, content] of contentsOf(body).entries()) {
      if (content.role !== 'user' && content.role !== 'model') {
        return reject(`Please use a valid role: user, model. (contents[${index}].role was '${content.role}')`);
      }
    }
    const config = body.generationConfig ?? {};
    const ranges: Array<[string, number, number]> = [['temperature', 0, 2], ['topP', 0, 1]];
    for (const [field, min, max] of ranges) {
      const value = config[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || value < min || value > max) {
        return reject(`* GenerateContentRequest.generation_config.${field === 'topP' ? 'top_p' : field}: must be in the range [${min.toFixed(1)}, ${max.toFixed(1)}]\n`);
      }
    }
    const maxOutput = config.maxOutputTokens;
    if (maxOutput !== undefined && (typeof maxOutput !== 'number' || !Number.isInteger(maxOutput) || maxOutput < 1)) {
      return reject('* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive.\n');
    }
    if (options.contextWindow !== undefined) {
      const promptTokens = geminiPromptTokensOf(body);
      if (promptTokens > options.contextWindow) {
        return reject(`The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${options.contextWindow}).`);
      }
    }
    return true;
  };

  const sendHttpError = (fault: HttpErrorFault, record: GeminiRecordedRequest, response: ServerResponse, startedAt: number) => {
    const retryAfterMs = faultRetryMs(fault);
    const body =
      fault.body ??
      defaultGoogleErrorFor({
        status: fault.status,
        reason: fault.code,
        ...(fault.message !== undefined ? { message: fault.message } : {}),
        ...(record.model !== undefined ? { model: record.model } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    sendJson(response, fault.status, typeof body === 'string' ? body : formatGoogleJson(body), startedAt, fault.headers);
  };

  const applyFault = async (fault: Fault, record: GeminiRecordedRequest, response: ServerResponse, startedAt: number, stream: boolean) => {
    switch (fault.type) {
      case 'hang':
        return; // the response stays open until the client gives up or close() ends it
      case 'reset':
        response.socket?.destroy();
        return;
      case 'http-error':
        await sleep(latencyMs);
        return sendHttpError(fault, record, response, startedAt);
      case 'invalid-json':
        await sleep(latencyMs);
        return sendJson(response, 200, '{\n  "candidates": [\n    {\n      "content": <html>upstream', startedAt);
      case 'truncate-stream':
        await sleep(latencyMs);
        return answer(record, response, startedAt, stream, fault.afterChunks ?? 2);
      default: {
        const exhaustive: never = fault;
        return exhaustive;
      }
    }
  };

  const produceReply = async (record: GeminiRecordedRequest): Promise<FakeGeminiReply> => {
    const body = record.body as GenerateContentRequestBody;
    const block = queuedBlocks.shift();
    if (block?.type === 'prompt') return { text: '', blockReason: block.blockReason ?? 'SAFETY' };
    if (block?.type === 'response') return { text: block.partialText ?? '', finishReason: block.finishReason ?? 'SAFETY' };
    if (blockedWords.length > 0) {
      const words = contentsOf(body).flatMap((content) => content.text.toLowerCase().split(/\W+/));
      if (words.some((word) => blockedWords.includes(word))) return { text: '', blockReason: 'SAFETY' };
    }
    const produced = await responder(body, record);
    return typeof produced === 'string' ? { text: produced } : produced;
  };

  /** Writes the answer; with `truncateAfter`, stops after that many frames (or half the body) and destroys the socket. */
  const answer = async (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number, stream: boolean, truncateAfter?: number) => {
    const body = record.body as GenerateContentRequestBody;
    let reply: FakeGeminiReply;
    try {
      reply = await produceReply(record);
    } catch (error) {
      const message = `The fake server's responder failed: ${error instanceof Error ? error.message : String(error)}`;
      return sendError(response, googleErrorWire(500, message), startedAt);
    }
    const identity: GeminiResponseIdentity = { responseId: randomBytes(12).toString('base64url'), modelVersion: record.model ?? 'gemini-2.5-flash' };
    if (!stream) {
      const text = formatGoogleJson(generateContentResponseWire(identity, body, reply));
      if (truncateAfter === undefined) return sendJson(response, 200, text, startedAt);
      response.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...baseHeaders(startedAt) });
      response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
      return;
    }
    const chunks = streamChunksWire(identity, body, reply);
    if (record.query.alt !== 'sse') {
      // Without alt=sse Gemini streams one JSON array of responses.
      return sendJson(response, 200, formatGoogleJson(chunks), startedAt);
    }
    const frames = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`);
    if (truncateAfter !== undefined) frames.splice(truncateAfter);
    if (response.destroyed) return;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...baseHeaders(startedAt) });
    if (chunkDelayMs <= 0) {
      if (truncateAfter === undefined) response.end(frames.join(''));
      else response.write(frames.join(''), () => response.socket?.destroy());
      return;
    }
    for (const [index, frame] of frames.entries()) {
      if (index > 0) await sleep(chunkDelayMs);
      if (response.destroyed || closed) return;
      response.write(frame);
    }
    if (truncateAfter === undefined) response.end();
    else response.write('', () => response.socket?.destroy());
  };

  const handleGenerate = async (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number, stream: boolean) => {
    const fault = nextFault();
    if (fault) return applyFault(fault, record, response, startedAt, stream);
    if (!valid(record, response, startedAt)) return;
    await sleep(latencyMs);
    if (closed) return;
    return answer(record, response, startedAt, stream);
  };

  const listModels = (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number) => {
    const pageSize = Math.max(1, Math.min(1000, Number(record.query.pageSize) || 50));
    const offset = Number(record.query.pageToken ?? 0) || 0;
    const page = models.slice(offset, offset + pageSize);
    const next = offset + pageSize < models.length ? String(offset + pageSize) : undefined;
    return sendJson(response, 200, { models: page.map(modelWire), ...(next !== undefined ? { nextPageToken: next } : {}) }, startedAt);
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
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const path = decodeURIComponent(url.pathname);
    const method = request.method ?? 'GET';
    const generate = GENERATE_PATH.exec(path);
    const record: GeminiRecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: { ...request.headers },
      body,
      rawBody,
      receivedAt: Date.now(),
      ...(generate ? { model: generate[2] as string } : {}),
    };
    recorded.push(record);
    if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);

    if (!authorized(record, response, startedAt)) return;
    if (method === 'POST' && generate) {
      if (parseFailed || typeof body !== 'object' || body === null || Array.isArray(body)) {
        return sendError(response, googleErrorWire(400, `Invalid JSON payload received. Unexpected token.\n${rawBody.slice(0, 40)}\n^`), startedAt);
      }
      return handleGenerate(record, response, startedAt, generate[3] === 'streamGenerateContent');
    }
    if (method === 'GET' && MODELS_PATH.test(path)) return listModels(record, response, startedAt);
    const modelMatch = MODEL_PATH.exec(path);
    if (method === 'GET' && modelMatch) {
      const id = modelMatch[2] as string;
      if (models.includes(id)) return sendJson(response, 200, modelWire(id), startedAt);
      return sendError(response, googleErrorWire(404, `models/${id} is not found for API version ${modelMatch[1]}, or is not supported for getModel.`), startedAt);
    }
    // Google's front end answers unknown paths with an HTML 404.
    return sendJson(response, 404, `<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p>The requested URL <code>${path}</code> was not found on this server.</p></html>`, startedAt, {
      'content-type': 'text/html; charset=UTF-8',
    });
  };

  const server = createServer({ keepAlive: true }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      const message = `The fake server failed: ${error instanceof Error ? error.message : String(error)}`;
      sendError(response, googleErrorWire(500, message), performance.now());
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

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    get requests() {
      return recorded;
    },
    stats,
    enqueueFault(fault: Fault) {
      queuedFaults.push(fault);
    },
    enqueueSafetyBlock(block: GeminiSafetyBlock) {
      queuedBlocks.push(block);
    },
    setResponder(next: FakeGeminiResponder | undefined) {
      responder = next ?? options.responder ?? echoLastUserContent;
    },
    reset() {
      recorded.length = 0;
      queuedFaults.length = 0;
      queuedBlocks.length = 0;
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
