import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createFakeBatchStore, type BatchLineFaultPicker, type FakeBatchOptions } from './fake-openai-batches.js';
import { answerCompletions, type FakePromptLogprob } from './fake-openai-completions.js';
import { answerEmbeddings } from './fake-openai-embeddings.js';
import {
  startOpenAICompatibleServer,
  type FakeResponder,
  type OpenAICompatibleServerOptions,
  type OpenAIFault,
  type ServerConditions,
  type WireAnswer,
  type WireDialect,
} from './openai-compatible-server.js';
import { defaultErrorFor, errorWire, maskApiKey } from './openai-wire.js';
import { fakeServerHandle } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';

export type { FakeResponder, OpenAIFault, OpenAIStreamErrorFault, ServerConditions } from './openai-compatible-server.js';

/** Options of {@link startFakeOpenAIServer}. Every option is optional. */
export interface FakeOpenAIServerOptions extends OpenAICompatibleServerOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. Default `gpt-4o-mini`, `gpt-4o`, `gpt-4.1-mini`. */
  models?: string[];
  /** How batches progress and fail (Batch API). */
  batch?: FakeBatchOptions;
  /** The log-probability of each prompt token echoed by `POST /v1/completions` (default: a deterministic hash). */
  promptLogprob?: FakePromptLogprob;
}

/** A running fake OpenAI server. */
export interface FakeOpenAIServer extends FakeServerControl {
  /** Queues a neutral fault or a mid-stream error chunk (`stream-error`). */
  enqueueFault(fault: OpenAIFault): void;
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeResponder | undefined): void;
  /** Changes latency and the seeded fault rate from now on (a provider that slows down or starts failing mid-test). */
  setConditions(conditions: ServerConditions): void;
  /** Makes the next chat request answer with `reply` (tool calls, reasoning, fixed text) instead of the responder's answer. */
  enqueueReply(reply: ScriptedReply): void;
  /** Reads a recorded chat request back in neutral terms. */
  describeRequest(request: RecordedRequest): NeutralRequestView;
  /** Replaces the per-line batch fault picker (`undefined` restores `batch.lineFault`). */
  setBatchLineFault(picker: BatchLineFaultPicker | undefined): void;
  /** The batch objects created so far (as `GET /v1/batches/{id}` last showed them). */
  readonly batches: ReadonlyArray<Record<string, unknown>>;
  /** Sets how long batches stay `in_progress` (those already running included): hold them with a long time, end them with 0. */
  setBatchProcessingMs(ms: number): void;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'];
const MODEL_CREATED = 1_715_367_049;

const NO_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

/** The OpenAI dialect of the shared engine: `/v1` routes, bearer keys, OpenAI's error bodies and headers. */
function openAIDialect(options: FakeOpenAIServerOptions, batches: ReturnType<typeof createFakeBatchStore>): WireDialect {
  const models = options.models ?? DEFAULT_MODELS;
  const idPrefix = randomBytes(8).toString('hex');
  const json = (body: unknown): WireAnswer => ({ status: 200, body });
  return {
    urlPath: '/v1',
    headers: ({ startedAt, rateLimit }) => ({
      'x-request-id': `req_${idPrefix}${randomBytes(8).toString('hex')}`,
      'openai-processing-ms': String(Math.max(1, Math.round(performance.now() - startedAt))),
      'openai-version': '2020-10-01',
      'openai-organization': 'user-fake',
      ...rateLimit,
    }),
    authorize(request: IncomingMessage) {
      if (options.apiKey === undefined) return undefined;
      const header = request.headers.authorization;
      if (header === undefined || !/^Bearer\s+\S/i.test(header)) {
        return { status: 401, body: errorWire({ message: NO_KEY_MESSAGE, type: 'invalid_request_error' }) };
      }
      const key = header.replace(/^Bearer\s+/i, '').trim();
      if (key === options.apiKey) return undefined;
      return {
        status: 401,
        body: errorWire({
          message: `Incorrect API key provided: ${maskApiKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        }),
      };
    },
    route(method, path) {
      if (method === 'POST' && path === '/v1/chat/completions') return { type: 'chat' };
      if (method === 'POST' && path === '/v1/completions') {
        return { type: 'handler', handle: (context) => context.send(answerCompletions(context.parseFailed ? undefined : context.record.body, options.promptLogprob)) };
      }
      if (method === 'POST' && path === '/v1/embeddings') {
        return { type: 'handler', handle: (context) => context.send(answerEmbeddings(context.parseFailed ? undefined : context.record.body)) };
      }
      if (method === 'GET' && path === '/v1/models') {
        return json({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'system' })) });
      }
      const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(path);
      if (method === 'GET' && modelMatch) {
        const id = decodeURIComponent(modelMatch[1] as string);
        if (models.includes(id)) return json({ id, object: 'model', created: MODEL_CREATED, owned_by: 'system' });
        return { status: 404, body: defaultErrorFor({ status: 404, code: 'model_not_found', model: id }) };
      }
      return batches.route(method, path);
    },
    notFound: (method, path) => ({ status: 404, body: errorWire({ message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' }) }),
    errorBody: (fault, model) =>
      defaultErrorFor({ status: fault.status, code: fault.code, message: fault.message, errorType: fault.errorType, param: fault.param, model }),
    rateLimited: ({ model, limit, used, waitMs }) => {
      const seconds = Math.ceil(waitMs / 1000);
      return {
        status: 429,
        body: errorWire({
          message: `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit ${limit}, Used ${used}, Requested 1. Please try again in ${seconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          type: 'requests',
          code: 'rate_limit_exceeded',
        }),
        headers: { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(0, Math.round(waitMs))) },
      };
    },
  };
}

/**
 * Starts a local HTTP server that speaks OpenAI's wire protocol: chat completions (JSON and SSE
 * answers with OpenAI's fields and headers), the legacy completions endpoint with echoed prompt
 * log-probabilities (as vLLM serves it), `GET /v1/models`, embeddings (deterministic vectors),
 * the Files and Batch APIs (uploads, batches that progress over time, JSONL results in any order,
 * injectable per-line failures), API-key checks, request validation, a context window, a
 * requests-per-minute limit, and injected faults (queued or at a seeded rate). Resolves once it
 * listens on 127.0.0.1 (by default on a free port).
 */
export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const batches = createFakeBatchStore(options.batch);
  const engine = await startOpenAICompatibleServer(openAIDialect(options, batches), options);
  return fakeServerHandle(engine, {
    get batches() {
      return batches.list();
    },
    setResponder: (responder: FakeResponder | undefined) => engine.setResponder(responder),
    setConditions: (conditions: ServerConditions) => engine.setConditions(conditions),
    enqueueReply: (reply: ScriptedReply) => engine.enqueueReply(reply),
    describeRequest: (request: RecordedRequest) => engine.describeRequest(request),
    setBatchLineFault: (picker: BatchLineFaultPicker | undefined) => batches.setLineFault(picker),
    setBatchProcessingMs: (ms: number) => batches.setProcessingMs(ms),
  });
}
