import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createFakeHttpServer, fakeServerHandle, messageOf, writeBody, writeHalfBody, type FakeExchange } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import { describeOllamaRequest, toolsOrImagesError } from './ollama-request-view.js';
import type { Fault } from '../faults.js';
import { countWords, splitIntoDeltas } from '../openai/openai-wire.js';
import {
  defaultOllamaErrorMessage,
  echoLastOllamaUserMessage,
  invalidOllamaOption,
  ollamaErrorWire,
  ollamaMessagesOf,
  ollamaTimestamp,
  ollamaToolCallsWire,
  type FakeOllamaReply,
  type OllamaChatRequestBody,
} from './ollama-wire.js';

/** Makes the answer to a `POST /api/chat`: a text, or a text with done reason and counts. */
export type FakeOllamaResponder = (
  body: OllamaChatRequestBody,
  request: RecordedRequest,
) => string | FakeOllamaReply | Promise<string | FakeOllamaReply>;

/** Options of {@link startFakeOllamaServer}. Every option is optional. */
export interface FakeOllamaServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Models the server has pulled, listed by `GET /api/tags`; others get Ollama's 404. Default `llama3.2:latest`, `qwen2.5:0.5b`. A name without a tag means `:latest`. */
  models?: string[];
  /** Milliseconds before the first byte of every chat answer (faults included). Default 0. */
  latencyMs?: number;
  /** Milliseconds between NDJSON lines of a streamed answer. Default 0. */
  streamChunkDelayMs?: number;
  /** Makes the answers. Default: the last user message's content (an echo). */
  responder?: FakeOllamaResponder;
  /** Share (0–1) of chat requests that fail with `fault`, drawn from a generator seeded with `seed`. Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500. */
  fault?: Fault;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Reported by `GET /api/version`. Default `0.12.6`. */
  version?: string;
}

/** A running fake Ollama server. */
export interface FakeOllamaServer extends FakeServerControl {
  /** The base URL, without a path, e.g. `http://127.0.0.1:41234` (what `OLLAMA_HOST` holds). */
  readonly url: string;
  readonly port: number;
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeOllamaResponder | undefined): void;
  /**
   * Makes the next streamed chat answer send `afterChunks` content lines and then Ollama's
   * mid-stream error line `{"error": message}` (status stays 200, as Ollama does once streaming started).
   */
  enqueueStreamError(message: string, afterChunks?: number): void;
  /** Makes the next chat answer with `reply` (text, `tool_calls`, `thinking`) instead of the responder's; queued replies are used in order. */
  enqueueReply(reply: ScriptedReply): void;
  /** Reads a recorded `/api/chat` request back in neutral terms. */
  describeRequest(request: RecordedRequest): NeutralRequestView;
}

const NDJSON_TYPE = 'application/x-ndjson';
const JSON_TYPE = 'application/json; charset=utf-8';
const DEFAULT_MODELS = ['llama3.2:latest', 'qwen2.5:0.5b'];

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** Cuts `text` at the first stop sequence, as Ollama does (the stop sequence is not returned). */
function applyStop(text: string, stop: unknown): { text: string; stopped: boolean } {
  if (!Array.isArray(stop)) return { text, stopped: false };
  let cut = text.length;
  for (const sequence of stop) {
    if (typeof sequence !== 'string' || sequence === '') continue;
    const at = text.indexOf(sequence);
    if (at >= 0 && at < cut) cut = at;
  }
  return { text: text.slice(0, cut), stopped: cut < text.length };
}

/**
 * Starts a local HTTP server that speaks Ollama's native REST API: `POST /api/chat` answered as
 * NDJSON (`stream` true, the default) or one JSON object (`stream: false`) with Ollama's fields
 * (`message` with `thinking` and whole `tool_calls` from scripted replies, `done`, `done_reason`,
 * `prompt_eval_count`, `eval_count` and the nanosecond durations), tool and image checks, `GET /api/tags`, `GET /api/version` and `GET /`; `num_predict` and `stop` applied to
 * the echoed words; Ollama's `{"error": "..."}` bodies for unknown models (404), bad bodies and
 * options (400); and the testkit's neutral faults (queued or at a seeded rate) in Ollama's shape.
 */
export async function startFakeOllamaServer(options: FakeOllamaServerOptions = {}): Promise<FakeOllamaServer> {
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.streamChunkDelayMs ?? 0;
  const models = (options.models ?? DEFAULT_MODELS).map(withTag);
  let responder: FakeOllamaResponder = options.responder ?? echoLastOllamaUserMessage;
  const streamErrors: Array<{ message: string; afterChunks: number }> = [];
  const http = createFakeHttpServer(options);
  const scriptedReplies: ScriptedReply[] = [];
  http.onReset(() => {
    streamErrors.length = 0;
    scriptedReplies.length = 0;
  });

  const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    writeBody(response, status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': JSON_TYPE, ...headers });
  };
  const sendError = (response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(response, status, ollamaErrorWire(message), headers);

  /** Checks the body as Ollama does; answers with Ollama's error and returns false when it is invalid. */
  const valid = (body: OllamaChatRequestBody, response: ServerResponse): boolean => {
    if (typeof body.model !== 'string' || body.model === '') {
      sendError(response, 400, 'model is required');
      return false;
    }
    if (body.messages !== undefined && body.messages !== null && !Array.isArray(body.messages)) {
      sendError(response, 400, `json: cannot unmarshal ${typeof body.messages} into Go struct field ChatRequest.messages of type []api.Message`);
      return false;
    }
    const shapeError = toolsOrImagesError(body);
    if (shapeError) {
      sendError(response, 400, shapeError);
      return false;
    }
    const optionError = invalidOllamaOption(body.options);
    if (optionError) {
      sendError(response, 400, optionError);
      return false;
    }
    if (body.format !== undefined && body.format !== null && body.format !== '' && body.format !== 'json' && (typeof body.format !== 'object' || Array.isArray(body.format))) {
      sendError(response, 400, `invalid format: ${JSON.stringify(body.format)}; expected "json" or a valid JSON Schema`);
      return false;
    }
    if (!models.includes(withTag(body.model))) {
      sendError(response, 404, `model '${body.model}' not found`);
      return false;
    }
    return true;
  };

  const finalFields = (body: OllamaChatRequestBody, reply: FakeOllamaReply, text: string, doneReason: string) => {
    const promptEvalCount = reply.promptEvalCount ?? Math.max(1, ollamaMessagesOf(body).reduce((sum, message) => sum + countWords(String(message.content ?? '')), 0));
    const evalCount = reply.evalCount ?? countWords(text);
    const promptEvalDuration = promptEvalCount * 1_250_000;
    const evalDuration = evalCount * 8_000_000;
    const loadDuration = 2_154_458;
    return {
      done_reason: doneReason,
      done: true,
      total_duration: loadDuration + promptEvalDuration + evalDuration + 1_000_000,
      load_duration: loadDuration,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: promptEvalDuration,
      eval_count: evalCount,
      eval_duration: evalDuration,
    };
  };

  /** Writes the answer; with `truncateAfter`, stops after that many lines (or half the body) and destroys the socket. */
  const answer = async (record: RecordedRequest, response: ServerResponse, truncateAfter?: number) => {
    const body = record.body as OllamaChatRequestBody;
    let reply: FakeOllamaReply;
    try {
      const scripted = scriptedReplies.shift();
      if (scripted) {
        const { reasoning, ...rest } = scripted;
        reply = { ...rest, text: scripted.text ?? (scripted.toolCalls?.length ? '' : echoLastOllamaUserMessage(body)), ...(reasoning !== undefined ? { thinking: reasoning } : {}) };
      } else {
        const produced = await responder(body, record);
        reply = typeof produced === 'string' ? { text: produced } : produced;
      }
    } catch (error) {
      return sendError(response, 500, `the fake server's responder failed: ${messageOf(error)}`);
    }
    const model = String(body.model);
    const requestOptions = (typeof body.options === 'object' && body.options !== null ? body.options : {}) as Record<string, unknown>;
    let pieces = splitIntoDeltas(applyStop(reply.text, requestOptions.stop).text);
    let doneReason = reply.doneReason ?? 'stop';
    const numPredict = requestOptions.num_predict;
    if (typeof numPredict === 'number' && numPredict >= 0 && pieces.length > numPredict) {
      pieces = pieces.slice(0, numPredict);
      doneReason = reply.doneReason ?? 'length';
    }
    const text = pieces.join('');
    const final = finalFields(body, reply, text, doneReason);

    const toolCalls = ollamaToolCallsWire(reply);
    if (body.stream === false) {
      const message = {
        role: 'assistant',
        content: text,
        ...(reply.thinking !== undefined ? { thinking: reply.thinking } : {}),
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      };
      const whole = JSON.stringify({ model, created_at: ollamaTimestamp(), message, ...final });
      if (truncateAfter === undefined) return sendJson(response, 200, whole);
      return writeHalfBody(response, 200, whole, { 'content-type': JSON_TYPE });
    }
    const streamError = truncateAfter === undefined ? streamErrors.shift() : undefined;
    const line = (message: Record<string, unknown>) => JSON.stringify({ model, created_at: ollamaTimestamp(), message: { role: 'assistant', content: '', ...message }, done: false });
    // Thinking first, then the content, then the tool calls whole in one line, as Ollama streams them.
    const lines = [
      ...splitIntoDeltas(reply.thinking ?? '').map((piece) => line({ thinking: piece })),
      ...pieces.map((piece) => line({ content: piece })),
      ...(toolCalls.length > 0 ? [line({ tool_calls: toolCalls })] : []),
    ];
    if (streamError) {
      lines.splice(streamError.afterChunks);
      lines.push(JSON.stringify(ollamaErrorWire(streamError.message)));
    } else {
      lines.push(JSON.stringify({ model, created_at: ollamaTimestamp(), message: { role: 'assistant', content: '' }, ...final }));
    }
    if (truncateAfter !== undefined) lines.splice(truncateAfter);
    const framed = lines.map((line) => `${line}\n`);
    return http.writeStream(response, { 'content-type': NDJSON_TYPE }, framed, { delayMs: chunkDelayMs, cut: truncateAfter !== undefined });
  };

  const applyFault = (fault: Fault, record: RecordedRequest, response: ServerResponse) =>
    http.applyFault(fault, response, {
      latencyMs,
      httpError: (httpFault) => {
        if (httpFault.body !== undefined) return sendJson(response, httpFault.status, httpFault.body, httpFault.headers);
        const model = (record.body as OllamaChatRequestBody).model;
        return sendError(response, httpFault.status, httpFault.message ?? defaultOllamaErrorMessage(httpFault.status, typeof model === 'string' ? model : undefined), httpFault.headers);
      },
      invalidJson: () => sendJson(response, 200, '{"model":"broken","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant",<html>upstream'),
      truncate: (afterChunks) => answer(record, response, afterChunks),
    });

  const handleChat = async (record: RecordedRequest, response: ServerResponse) => {
    const body = record.body as OllamaChatRequestBody;
    const fault = http.nextFault();
    if (fault) return applyFault(fault, record, response);
    if (!valid(body, response)) return;
    await http.sleep(latencyMs);
    if (http.closed) return;
    const messages = ollamaMessagesOf(body);
    if (messages.length === 0) {
      // An empty conversation loads the model (or unloads it with keep_alive 0), as Ollama does.
      const doneReason = body.keep_alive === 0 || body.keep_alive === '0' ? 'unload' : 'load';
      return sendJson(response, 200, { model: body.model, created_at: ollamaTimestamp(), message: { role: 'assistant', content: '' }, done_reason: doneReason, done: true });
    }
    return answer(record, response);
  };

  const tags = () => ({
    models: models.map((name, index) => {
      const digest = createHash('sha256').update(name).digest('hex');
      const [family] = name.split(/[:.\d]/);
      return {
        name,
        model: name,
        modified_at: new Date(Date.UTC(2025, 0, 1 + index)).toISOString(),
        size: 1_000_000_000 + index * 1_000_000,
        digest,
        details: { parent_model: '', format: 'gguf', family: family ?? 'llama', families: [family ?? 'llama'], parameter_size: '1.2B', quantization_level: 'Q4_K_M' },
      };
    }),
  });

  const handle = async ({ record, response, parseError }: FakeExchange) => {
    const { method, path, body } = record;
    if (method === 'POST' && path === '/api/chat') {
      if (record.rawBody === '') return sendError(response, 400, 'missing request body');
      if (parseError !== undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
        return sendError(response, 400, `invalid character in request body: ${parseError ?? 'expected a JSON object'}`);
      }
      return handleChat(record, response);
    }
    if (method === 'GET' && path === '/api/tags') return sendJson(response, 200, tags());
    if (method === 'GET' && path === '/api/version') return sendJson(response, 200, { version: options.version ?? '0.12.6' });
    if ((method === 'GET' || method === 'HEAD') && path === '/') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return response.end(method === 'HEAD' ? undefined : 'Ollama is running');
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('404 page not found');
  };

  await http.listen(handle, (response, error) => sendError(response, 500, `the fake server failed: ${messageOf(error)}`));
  return fakeServerHandle(http, {
    enqueueStreamError(message: string, afterChunks = 1) {
      streamErrors.push({ message, afterChunks });
    },
    setResponder(next: FakeOllamaResponder | undefined) {
      responder = next ?? options.responder ?? echoLastOllamaUserMessage;
    },
    enqueueReply(reply: ScriptedReply) {
      scriptedReplies.push(reply);
    },
    describeRequest(request: RecordedRequest): NeutralRequestView {
      return describeOllamaRequest(request.body as OllamaChatRequestBody);
    },
  });
}
