import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createFakeHttpServer, fakeServerHandle, messageOf, writeBody, writeHalfBody, type FakeExchange } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import { describeGeminiRequest, functionCallingError } from './gemini-request-view.js';
import { createGeminiBatchStore, type FakeGeminiBatchOptions, type GeminiBatchLineFaultPicker } from './gemini-batches.js';
import type { Fault, HttpErrorFault } from '../faults.js';
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
  /** How Batch Mode batches progress and fail. */
  batch?: FakeGeminiBatchOptions;
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
  /** Makes the next generation answer with `reply` (text, whole `functionCall` parts, a thought part) instead of the responder's; queued replies are used in order. */
  enqueueReply(reply: ScriptedReply): void;
  /** Reads a recorded `generateContent` request back in neutral terms. */
  describeRequest(request: RecordedRequest): NeutralRequestView;
  /** The Batch Mode operations created so far, as `GET /v1beta/batches/{id}` shows them now. */
  readonly batches: ReadonlyArray<Record<string, unknown>>;
  /** Replaces the per-request batch fault picker (`undefined` restores `batch.lineFault`). */
  setBatchLineFault(picker: GeminiBatchLineFaultPicker | undefined): void;
  /** Sets how long batches stay running (those already running included): hold them with a long time, end them with 0. */
  setBatchProcessingMs(ms: number): void;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const DEFAULT_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash'];
const GENERATE_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const MODELS_PATH = /^\/(v1beta|v1|v1alpha)\/models$/;
const MODEL_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+)$/;

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
 * `GET /v1beta/models`, API-key checks (`x-goog-api-key`), request validation (function calling
 * included), whole `functionCall` parts, thought parts and several candidates (`candidateCount`)
 * from scripted replies, safety blocks
 * (a refused prompt or a `SAFETY` finish) and injected faults turned into Google's error bodies
 * (`{"error":{"code","message","status","details"}}`, with `RetryInfo` on a 429 that asks for
 * a wait). Resolves once it listens on 127.0.0.1 (by default on a free port).
 */
export async function startFakeGeminiServer(options: FakeGeminiServerOptions = {}): Promise<FakeGeminiServer> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const models = options.models ?? DEFAULT_MODELS;
  const blockedWords = (options.blockPromptsContaining ?? []).map((word) => word.toLowerCase());
  let responder: FakeGeminiResponder = options.responder ?? echoLastUserContent;
  const queuedBlocks: GeminiSafetyBlock[] = [];
  const http = createFakeHttpServer<GeminiRecordedRequest>({
    ...options,
    describe: (record, url) => {
      const path = decodeURIComponent(url.pathname);
      const generate = GENERATE_PATH.exec(path);
      return { ...record, path, query: Object.fromEntries(url.searchParams), ...(generate ? { model: generate[2] as string } : {}) };
    },
  });
  const scriptedReplies: ScriptedReply[] = [];
  http.onReset(() => {
    queuedBlocks.length = 0;
    scriptedReplies.length = 0;
  });

  const baseHeaders = (startedAt: number): Record<string, string> => ({
    vary: 'Origin, X-Origin, Referer',
    server: 'scaffolding on HTTPServer2',
    'server-timing': `gfet4t7; dur=${Math.max(1, Math.round(performance.now() - startedAt))}`,
    'x-content-type-options': 'nosniff',
  });

  const sendJson = (response: ServerResponse, status: number, body: unknown, startedAt: number, extraHeaders: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : formatGoogleJson(body);
    writeBody(response, status, text, { 'content-type': JSON_TYPE, ...baseHeaders(startedAt), ...extraHeaders });
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

  /** Checks the request the way the Gemini API does; answers 400 and returns false when it is invalid. */
  const valid = (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number): boolean => {
    const error = invalidity(record.body as GenerateContentRequestBody, record.model);
    if (error) sendError(response, error, startedAt);
    return error === undefined;
  };

  /** What the Gemini API answers an invalid `generateContent` request with; undefined when it is valid. */
  const invalidity = (body: GenerateContentRequestBody, model: string | undefined): GoogleErrorBody | undefined => {
    const reject = (message: string) => googleErrorWire(400, message);
    if (options.rejectUnknownModels && model !== undefined && !models.includes(model)) {
      return defaultGoogleErrorFor({ status: 404, model });
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
    const callingError = functionCallingError(body);
    if (callingError !== undefined) return reject(callingError);
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
    return undefined;
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

  const applyFault = (fault: Fault, record: GeminiRecordedRequest, response: ServerResponse, startedAt: number, stream: boolean) =>
    http.applyFault(fault, response, {
      latencyMs,
      httpError: (httpFault) => sendHttpError(httpFault, record, response, startedAt),
      invalidJson: () => sendJson(response, 200, '{\n  "candidates": [\n    {\n      "content": <html>upstream', startedAt),
      truncate: (afterChunks) => answer(record, response, startedAt, stream, afterChunks),
    });

  const produceReply = async (record: GeminiRecordedRequest): Promise<FakeGeminiReply> => {
    const body = record.body as GenerateContentRequestBody;
    const block = queuedBlocks.shift();
    if (block?.type === 'prompt') return { text: '', blockReason: block.blockReason ?? 'SAFETY' };
    if (block?.type === 'response') return { text: block.partialText ?? '', finishReason: block.finishReason ?? 'SAFETY' };
    if (blockedWords.length > 0) {
      const words = contentsOf(body).flatMap((content) => content.text.toLowerCase().split(/\W+/));
      if (words.some((word) => blockedWords.includes(word))) return { text: '', blockReason: 'SAFETY' };
    }
    const scripted = scriptedReplies.shift();
    if (scripted) {
      const { reasoning, ...rest } = scripted;
      return { ...rest, text: scripted.text ?? (scripted.toolCalls?.length ? '' : echoLastUserContent(body)), ...(reasoning !== undefined ? { thoughts: reasoning } : {}) };
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
      const message = `The fake server's responder failed: ${messageOf(error)}`;
      return sendError(response, googleErrorWire(500, message), startedAt);
    }
    const identity: GeminiResponseIdentity = { responseId: randomBytes(12).toString('base64url'), modelVersion: record.model ?? 'gemini-2.5-flash' };
    if (!stream) {
      const text = formatGoogleJson(generateContentResponseWire(identity, body, reply));
      if (truncateAfter === undefined) return sendJson(response, 200, text, startedAt);
      return writeHalfBody(response, 200, text, { 'content-type': JSON_TYPE, ...baseHeaders(startedAt) });
    }
    const chunks = streamChunksWire(identity, body, reply);
    if (record.query.alt !== 'sse') {
      // Without alt=sse Gemini streams one JSON array of responses.
      return sendJson(response, 200, formatGoogleJson(chunks), startedAt);
    }
    const frames = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`);
    if (truncateAfter !== undefined) frames.splice(truncateAfter);
    const headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...baseHeaders(startedAt) };
    return http.writeStream(response, headers, frames, { delayMs: chunkDelayMs, cut: truncateAfter !== undefined });
  };

  const handleGenerate = async (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number, stream: boolean) => {
    const fault = http.nextFault();
    if (fault) return applyFault(fault, record, response, startedAt, stream);
    if (!valid(record, response, startedAt)) return;
    await http.sleep(latencyMs);
    if (http.closed) return;
    return answer(record, response, startedAt, stream);
  };

  const listModels = (record: GeminiRecordedRequest, response: ServerResponse, startedAt: number) => {
    const pageSize = Math.max(1, Math.min(1000, Number(record.query.pageSize) || 50));
    const offset = Number(record.query.pageToken ?? 0) || 0;
    const page = models.slice(offset, offset + pageSize);
    const next = offset + pageSize < models.length ? String(offset + pageSize) : undefined;
    return sendJson(response, 200, { models: page.map(modelWire), ...(next !== undefined ? { nextPageToken: next } : {}) }, startedAt);
  };

  /** Batch Mode: each inlined request answered as `generateContent` answers it (validation, responder, scripted replies). */
  const batches = createGeminiBatchStore(options.batch ?? {}, async (request, model) => {
    const body = request as GenerateContentRequestBody;
    const error = invalidity(body, model);
    if (error) return { error };
    const reply = await produceReply({ method: 'POST', path: `/v1beta/models/${model}:generateContent`, headers: {}, body, rawBody: JSON.stringify(body), receivedAt: Date.now(), query: {}, model });
    return { response: generateContentResponseWire({ responseId: randomBytes(12).toString('base64url'), modelVersion: model }, body, reply) };
  });

  const handle = async ({ record, response, startedAt, parseError }: FakeExchange<GeminiRecordedRequest>) => {
    const { method, path, body } = record;
    if (!authorized(record, response, startedAt)) return;
    if (parseError === undefined) {
      const batchAnswer = await batches.route(method, path, body);
      if (batchAnswer) return sendJson(response, batchAnswer.status, batchAnswer.body, startedAt);
    }
    const generate = GENERATE_PATH.exec(path);
    if (method === 'POST' && generate) {
      if (parseError !== undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
        return sendError(response, googleErrorWire(400, `Invalid JSON payload received. Unexpected token.\n${record.rawBody.slice(0, 40)}\n^`), startedAt);
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

  await http.listen(handle, (response, error) => sendError(response, googleErrorWire(500, `The fake server failed: ${messageOf(error)}`), performance.now()));
  return fakeServerHandle(http, {
    get batches() {
      return batches.list();
    },
    setBatchLineFault: (picker: GeminiBatchLineFaultPicker | undefined) => batches.setLineFault(picker),
    setBatchProcessingMs: (ms: number) => batches.setProcessingMs(ms),
    enqueueSafetyBlock(block: GeminiSafetyBlock) {
      queuedBlocks.push(block);
    },
    setResponder(next: FakeGeminiResponder | undefined) {
      responder = next ?? options.responder ?? echoLastUserContent;
    },
    enqueueReply(reply: ScriptedReply) {
      scriptedReplies.push(reply);
    },
    describeRequest(request: RecordedRequest): NeutralRequestView {
      return describeGeminiRequest(request.body as GenerateContentRequestBody);
    },
  });
}
