/**
 * A small fake Text Generation Inference server for this plugin's tests (and the repository's
 * packaging tests). It speaks TGI's native wire format (`POST /generate`, `POST /generate_stream`,
 * `GET /info`, `GET /health`), checks parameters the way TGI's router does, and implements the
 * testkit's vendor-neutral `FakeServerControl`, turning the testkit's `faults` into TGI's error
 * bodies — which is all `describeProviderConformance` needs to drive it. The HTTP plumbing
 * (recording, counters, fault queue, streaming, `close()`) comes from the testkit's
 * `createFakeHttpServer`; this file holds only TGI's wire format.
 */
import type { ServerResponse } from 'node:http';
import {
  countWords,
  createFakeHttpServer,
  fakeServerHandle,
  messageOf,
  writeBody,
  writeHalfBody,
  type Fault,
  type FakeExchange,
  type FakeServerControl,
  type NeutralRequestView,
  type RecordedRequest,
  type ScriptedReply,
} from '@llm-lab/provider-testkit';

/** TGI's finish reasons. */
export type FakeTgiFinishReason = 'length' | 'eos_token' | 'stop_sequence';

/** A TGI-only fault: a stream that starts, then reports an error as a `data:` event (how TGI reports failures mid-stream). */
export interface StreamErrorFault {
  type: 'stream-error';
  /** Default `generation`. */
  errorType?: string;
  message?: string;
  /** Token events sent before the error. Default 1. */
  afterTokens?: number;
}

/** What the fake can be told to fail with: any testkit fault, or a TGI stream error. */
export type FakeTgiFault = Fault | StreamErrorFault;

/** The body TGI receives. */
export interface FakeTgiRequestBody {
  inputs?: unknown;
  parameters?: Record<string, unknown>;
}

/** Makes the generated text for a request. Default: the `inputs` (an echo). */
export type FakeTgiResponder = (body: FakeTgiRequestBody) => string;

export interface FakeTgiServerOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401 (as TGI started with `--api-key`). */
  apiKey?: string;
  /** `model_id` in `/info`. Default `HuggingFaceH4/zephyr-7b-beta`. */
  modelId?: string;
  /** Default 4096. */
  maxInputTokens?: number;
  /** Default 8192. */
  maxTotalTokens?: number;
  responder?: FakeTgiResponder;
  /** Milliseconds between stream events. Default 0. */
  streamChunkDelayMs?: number;
  /** Leave `input_length` out of the final stream event, as TGI before 2.0 did. */
  omitInputLength?: boolean;
}

export interface FakeTgiServer extends FakeServerControl {
  /** The server's root, e.g. `http://127.0.0.1:41234` (TGI has no path prefix). */
  readonly url: string;
  enqueueFault(fault: FakeTgiFault): void;
  setResponder(responder: FakeTgiResponder | undefined): void;
}

const ERROR_TYPE_BY_STATUS: Record<number, [string, string]> = {
  400: ['validation', 'Input validation error'],
  422: ['validation', 'Input validation error'],
  424: ['generation', 'Request failed during generation'],
  429: ['overloaded', 'Model is overloaded'],
  500: ['incomplete_generation', 'Incomplete generation'],
  503: ['overloaded', 'Service unavailable'],
};

/** Splits text into token-like pieces that keep their leading whitespace, so they concatenate back to the text. */
function piecesOf(text: string): string[] {
  const pieces = text.match(/\s*\S+|\s+$/g) ?? [];
  return pieces.length > 0 ? pieces : text === '' ? [] : [text];
}

/** Applies `stop` and `max_new_tokens` the way TGI does: the stop sequence stays in the text. */
function generate(text: string, parameters: Record<string, unknown>): { pieces: string[]; finish: FakeTgiFinishReason } {
  let pieces = piecesOf(text);
  const stops = Array.isArray(parameters.stop) ? parameters.stop.filter((stop): stop is string => typeof stop === 'string' && stop !== '') : [];
  let finish: FakeTgiFinishReason = 'eos_token';
  let soFar = '';
  for (const [index, piece] of pieces.entries()) {
    soFar += piece;
    const hit = stops.map((stop) => ({ stop, at: soFar.indexOf(stop) })).filter((found) => found.at >= 0).sort((a, b) => a.at - b.at)[0];
    if (hit) {
      const end = hit.at + hit.stop.length;
      const before = soFar.length - piece.length;
      pieces = [...pieces.slice(0, index), piece.slice(0, end - before)];
      finish = 'stop_sequence';
      break;
    }
  }
  const limit = typeof parameters.max_new_tokens === 'number' ? parameters.max_new_tokens : 100;
  if (pieces.length > limit) {
    pieces = pieces.slice(0, limit);
    finish = 'length';
  }
  return { pieces, finish };
}

/** Starts the fake on 127.0.0.1 (a free port). */
export async function startFakeTgiServer(options: FakeTgiServerOptions = {}): Promise<FakeTgiServer> {
  const modelId = options.modelId ?? 'HuggingFaceH4/zephyr-7b-beta';
  const maxInput = options.maxInputTokens ?? 4096;
  const maxTotal = options.maxTotalTokens ?? 8192;
  const echo: FakeTgiResponder = (body) => String(body.inputs ?? '');
  let responder = options.responder ?? echo;
  const replies: ScriptedReply[] = [];
  const http = createFakeHttpServer<RecordedRequest, FakeTgiFault>({ host: '127.0.0.1' });

  const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    writeBody(response, status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  const sendError = (response: ServerResponse, status: number, error: string, errorType: string, headers: Record<string, string> = {}) =>
    sendJson(response, status, { error, error_type: errorType }, headers);

  /** TGI's router checks; returns the error message, or undefined when the parameters are valid. */
  const validate = (inputs: string, parameters: Record<string, unknown>): string | undefined => {
    const { temperature, top_p, top_k, max_new_tokens, stop, seed } = parameters;
    if (temperature !== undefined && (typeof temperature !== 'number' || temperature <= 0)) return '`temperature` must be strictly positive';
    if (top_p !== undefined && (typeof top_p !== 'number' || top_p <= 0 || top_p >= 1)) return '`top_p` must be > 0.0 and < 1.0';
    if (top_k !== undefined && (typeof top_k !== 'number' || top_k <= 0)) return '`top_k` must be strictly positive';
    if (max_new_tokens !== undefined && (typeof max_new_tokens !== 'number' || max_new_tokens <= 0)) return '`max_new_tokens` must be strictly positive';
    if (Array.isArray(stop) && stop.length > 4) return `\`stop\` supports up to 4 stop sequences. Given: ${stop.length}`;
    if (seed !== undefined && (typeof seed !== 'number' || seed < 0)) return '`seed` must be a positive integer';
    const inputTokens = countWords(inputs);
    if (inputTokens > maxInput) return `\`inputs\` must have less than ${maxInput} tokens. Given: ${inputTokens}`;
    if (inputTokens + Number(max_new_tokens ?? 0) > maxTotal) return `\`inputs\` tokens + \`max_new_tokens\` must be <= ${maxTotal}. Given: ${inputTokens} \`inputs\` tokens and ${Number(max_new_tokens)} \`max_new_tokens\``;
    return undefined;
  };

  const tokenEvent = (index: number, text: string, special = false) => ({ id: 1000 + index, text, logprob: -0.25, special });

  const answer = async (record: RecordedRequest, response: ServerResponse, stream: boolean, fault?: FakeTgiFault) => {
    const body = record.body as FakeTgiRequestBody;
    const inputs = String(body.inputs);
    const parameters = body.parameters ?? {};
    const scripted = replies.shift();
    const { pieces, finish } = generate(scripted?.text ?? responder(body), parameters);
    const generatedText = pieces.join('');
    const generatedTokens = pieces.length + (finish === 'eos_token' ? 1 : 0);
    const inputLength = countWords(inputs);
    const seed = typeof parameters.seed === 'number' ? parameters.seed : null;
    if (!stream) {
      const text = JSON.stringify({
        generated_text: generatedText,
        details: { finish_reason: finish, generated_tokens: generatedTokens, seed, prefill: [], tokens: pieces.map((piece, index) => tokenEvent(index, piece)) },
      });
      const headers = { 'x-prompt-tokens': String(inputLength), 'x-generated-tokens': String(generatedTokens), 'x-compute-type': 'fake', 'x-model-id': modelId };
      if (fault?.type !== 'truncate-stream') return sendJson(response, 200, text, headers);
      return writeHalfBody(response, 200, text, { 'content-type': 'application/json', ...headers });
    }
    const details = { finish_reason: finish, generated_tokens: generatedTokens, ...(options.omitInputLength ? {} : { input_length: inputLength }), seed };
    const events = pieces.map((piece, index) => ({ index: index + 1, token: tokenEvent(index, piece), generated_text: null as string | null, details: null as unknown }));
    if (finish === 'eos_token') events.push({ index: events.length + 1, token: tokenEvent(events.length, '</s>', true), generated_text: null, details: null });
    const last = events[events.length - 1];
    if (last) Object.assign(last, { generated_text: generatedText, details });
    let lines = events.map((event) => `data:${JSON.stringify(event)}\n\n`);
    if (fault?.type === 'invalid-json') lines = ['data:{"index":1,"token":{"id":1,<html>\n\n'];
    if (fault?.type === 'truncate-stream') lines = lines.slice(0, fault.afterChunks ?? 2);
    if (fault?.type === 'stream-error') {
      const error = { error: fault.message ?? 'Request failed during generation: Server error: CUDA out of memory', error_type: fault.errorType ?? 'generation' };
      lines = [...lines.slice(0, fault.afterTokens ?? 1), `data:${JSON.stringify(error)}\n\n`];
    }
    const headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-compute-type': 'fake' };
    return http.writeStream(response, headers, lines, { delayMs: options.streamChunkDelayMs ?? 0, cut: fault?.type === 'truncate-stream' });
  };

  const handleGenerate = async (record: RecordedRequest, response: ServerResponse, stream: boolean) => {
    const fault = http.nextFault();
    if (fault?.type === 'hang') return;
    if (fault?.type === 'reset') return void response.socket?.destroy();
    if (fault?.type === 'http-error') {
      const [errorType, message] = ERROR_TYPE_BY_STATUS[fault.status] ?? (fault.status === 401 ? ['authentication', 'Unauthorized'] : ['generation', 'Error']);
      const body = fault.body ?? { error: fault.message ?? message, error_type: fault.errorType ?? errorType };
      return sendJson(response, fault.status, body, fault.headers);
    }
    if (fault?.type === 'invalid-json' && !stream) return sendJson(response, 200, '{"generated_text": "half an answ<html>');
    const body = record.body as FakeTgiRequestBody | undefined;
    if (typeof body?.inputs !== 'string' || body.inputs === '') {
      return sendError(response, 422, 'Failed to deserialize the JSON body into the target type: missing field `inputs`', 'validation');
    }
    const invalid = validate(body.inputs, body.parameters ?? {});
    if (invalid) return sendError(response, 422, `Input validation error: ${invalid}`, 'validation');
    return answer(record, response, stream, fault);
  };

  const handle = async ({ request, response, record }: FakeExchange) => {
    const { method, path } = record;
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(response, 401, 'Unauthorized', 'authentication');
    }
    if (method === 'POST' && (path === '/generate' || path === '/generate_stream')) return handleGenerate(record, response, path === '/generate_stream');
    if (method === 'GET' && path === '/info') {
      return sendJson(response, 200, {
        model_id: modelId,
        model_sha: 'fake0000000000000000000000000000000000000',
        model_pipeline_tag: 'text-generation',
        max_concurrent_requests: 128,
        max_best_of: 2,
        max_stop_sequences: 4,
        max_input_tokens: maxInput,
        max_total_tokens: maxTotal,
        validation_workers: 2,
        max_client_batch_size: 4,
        router: 'text-generation-router',
        version: '3.3.4-fake',
      });
    }
    if (method === 'GET' && path === '/health') return sendJson(response, 200, '');
    return sendJson(response, 404, '');
  };

  await http.listen(handle, (response, error) => sendError(response, 500, `The fake server failed: ${messageOf(error)}`, 'incomplete_generation'));
  return fakeServerHandle(http, {
    setResponder(next: FakeTgiResponder | undefined) {
      responder = next ?? options.responder ?? echo;
    },
    enqueueReply(reply: ScriptedReply) {
      replies.push(reply);
    },
    reset() {
      replies.length = 0;
      http.reset();
    },
    describeRequest(recorded: RecordedRequest): NeutralRequestView {
      const body = recorded.body as FakeTgiRequestBody;
      const grammar = body.parameters?.grammar as { type?: string; value?: Record<string, unknown> } | undefined;
      return {
        messages: [{ role: 'user', text: String(body.inputs ?? ''), images: [], toolCalls: [], toolResults: [] }],
        tools: [],
        json: grammar?.type === 'json',
        ...(grammar?.type === 'json' && grammar.value ? { responseSchema: grammar.value } : {}),
      };
    },
  });
}
