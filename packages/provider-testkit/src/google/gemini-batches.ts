/**
 * The Gemini API's Batch Mode for the fake Gemini server, with inlined requests, as the Gemini
 * API documents it and `@google/genai`'s `ai.batches` uses it:
 *
 * - `POST /v1beta/models/{model}:batchGenerateContent` with `{ batch: { displayName, inputConfig:
 *   { requests: { requests: [{ request: GenerateContentRequest, metadata }] } } } }` answers a
 *   long-running operation `{ name: "batches/{id}", metadata: GenerateContentBatch }`;
 * - `GET /v1beta/batches/{id}` shows it move through `BATCH_STATE_PENDING → RUNNING →
 *   SUCCEEDED` (or `CANCELLED`, `EXPIRED`) as time passes; once done, `done: true` and the
 *   output (`inlinedResponses.inlinedResponses[]`, each a `response` or an `error` Status with the
 *   request's `metadata`, in request order) in both `metadata.output` and `response`;
 * - `POST /v1beta/batches/{id}:cancel` answers `{}` and cancels what has not run.
 */
import { randomBytes } from 'node:crypto';
import { googleErrorWire, type GoogleErrorBody } from './gemini-wire.js';

/** A failure injected into one request of a batch: an error Status in its place. */
export type GeminiBatchLineFault = { code: number; message: string; status?: string };

/** Picks the fault of a batch request (by its 0-based index and metadata); undefined lets it succeed. */
export type GeminiBatchLineFaultPicker = (line: { index: number; metadata: unknown; request: unknown }) => GeminiBatchLineFault | undefined;

/** Batch behaviour options of the fake Gemini server. */
export interface FakeGeminiBatchOptions {
  /** Milliseconds a new batch stays `BATCH_STATE_PENDING`. Default 20. */
  pendingMs?: number;
  /** Milliseconds a batch stays `BATCH_STATE_RUNNING` before its results are written. Default 40. */
  processingMs?: number;
  /** Makes every batch expire (`BATCH_STATE_EXPIRED`, no output) instead of running. Default false. */
  expire?: boolean;
  /** Per-request failures. Default: none (requests still fail when invalid, as at Google). */
  lineFault?: GeminiBatchLineFaultPicker;
}

type BatchState = 'BATCH_STATE_PENDING' | 'BATCH_STATE_RUNNING' | 'BATCH_STATE_SUCCEEDED' | 'BATCH_STATE_FAILED' | 'BATCH_STATE_CANCELLED' | 'BATCH_STATE_EXPIRED';
const DONE = new Set<BatchState>(['BATCH_STATE_SUCCEEDED', 'BATCH_STATE_FAILED', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_EXPIRED']);

interface BatchRecord {
  id: string;
  model: string;
  displayName: string;
  state: BatchState;
  createdAtMs: number;
  runningAtMs?: number;
  createTime: string;
  updateTime: string;
  endTime?: string;
  requests: Array<{ request: Record<string, unknown>; metadata: unknown }>;
  output?: Array<Record<string, unknown>>;
  succeeded: number;
  failed: number;
  running?: Promise<void>;
}

/** Answers one inlined request as `generateContent` would: a GenerateContentResponse, or an error body. */
export type GeminiInlineAnswer = (request: Record<string, unknown>, model: string) => Promise<{ response: unknown } | { error: GoogleErrorBody }>;

/** A route's answer: an HTTP status and a JSON body. */
export interface GeminiBatchAnswer {
  status: number;
  body: unknown;
}

const BATCH_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):batchGenerateContent$/;
const GET_PATH = /^\/(v1beta|v1|v1alpha)\/batches\/([^/:]+)$/;
const CANCEL_PATH = /^\/(v1beta|v1|v1alpha)\/batches\/([^/:]+):cancel$/;
const NOT_FOUND = () => googleErrorWire(404, 'Requested entity was not found.');

/** The batches of one fake Gemini server and the routes that serve them. */
export function createGeminiBatchStore(options: FakeGeminiBatchOptions, answerInline: GeminiInlineAnswer) {
  const batches = new Map<string, BatchRecord>();
  let lineFault = options.lineFault;
  let processingMs = options.processingMs ?? 40;
  const iso = () => new Date().toISOString();

  const wire = (record: BatchRecord): Record<string, unknown> => {
    const total = record.requests.length;
    const done = DONE.has(record.state);
    const output = record.output ? { inlinedResponses: { inlinedResponses: record.output } } : undefined;
    const metadata = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
      model: `models/${record.model}`,
      displayName: record.displayName,
      createTime: record.createTime,
      updateTime: record.updateTime,
      ...(record.endTime ? { endTime: record.endTime } : {}),
      batchStats: {
        requestCount: String(total),
        ...(done ? { successfulRequestCount: String(record.succeeded), failedRequestCount: String(record.failed) } : { pendingRequestCount: String(total - record.succeeded - record.failed) }),
      },
      state: record.state,
      name: `batches/${record.id}`,
      ...(output ? { output } : {}),
    };
    return {
      name: `batches/${record.id}`,
      metadata,
      ...(done ? { done: true } : {}),
      ...(done && output ? { response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...output } } : {}),
    };
  };

  const run = async (record: BatchRecord, cancelled: () => boolean) => {
    const output: Array<Record<string, unknown>> = [];
    for (const [index, { request, metadata }] of record.requests.entries()) {
      const meta = metadata === undefined ? {} : { metadata };
      if (cancelled()) break;
      const fault = lineFault?.({ index, metadata, request });
      if (fault) {
        output.push({ error: { code: fault.code, message: fault.message, ...(fault.status ? { status: fault.status } : {}) }, ...meta });
        record.failed += 1;
        continue;
      }
      const answer = await answerInline(request, record.model);
      if ('response' in answer) {
        output.push({ response: answer.response, ...meta });
        record.succeeded += 1;
      } else {
        output.push({ error: { code: answer.error.error.code, message: answer.error.error.message }, ...meta });
        record.failed += 1;
      }
    }
    record.output = output;
    record.endTime = record.updateTime = iso();
    record.state = cancelled() ? 'BATCH_STATE_CANCELLED' : 'BATCH_STATE_SUCCEEDED';
  };

  /** Moves a batch on as time has passed since it was created. */
  const advance = async (record: BatchRecord) => {
    const now = Date.now();
    if (record.state === 'BATCH_STATE_PENDING' && now - record.createdAtMs >= (options.pendingMs ?? 20)) {
      if (options.expire) {
        record.state = 'BATCH_STATE_EXPIRED';
        record.endTime = record.updateTime = iso();
        return;
      }
      record.state = 'BATCH_STATE_RUNNING';
      record.runningAtMs = now;
      record.updateTime = iso();
    }
    if (record.state === 'BATCH_STATE_RUNNING' && record.runningAtMs !== undefined && now - record.runningAtMs >= processingMs) {
      record.running ??= run(record, () => false);
      await record.running;
    }
  };

  const create = (model: string, body: unknown): GeminiBatchAnswer => {
    const invalid = (message: string): GeminiBatchAnswer => ({ status: 400, body: googleErrorWire(400, message) });
    const batch = (body as { batch?: unknown } | null)?.batch as Record<string, unknown> | undefined;
    if (typeof batch !== 'object' || batch === null) return invalid('* BatchGenerateContentRequest.batch: batch is required\n');
    if (typeof batch.displayName !== 'string' || batch.displayName === '') return invalid('* BatchGenerateContentRequest.batch.display_name: display_name is required\n');
    const requests = ((batch.inputConfig as { requests?: { requests?: unknown } } | undefined)?.requests?.requests ?? undefined) as unknown;
    if (!Array.isArray(requests) || requests.length === 0) return invalid('* BatchGenerateContentRequest.batch.input_config: either requests or file_name must be set\n');
    for (const [index, item] of requests.entries()) {
      const request = (item as { request?: unknown } | null)?.request;
      if (typeof request !== 'object' || request === null) return invalid(`* BatchGenerateContentRequest.batch.input_config.requests.requests[${index}].request: request is required\n`);
    }
    const created = iso();
    const record: BatchRecord = {
      id: randomBytes(12).toString('hex'),
      model,
      displayName: batch.displayName,
      state: 'BATCH_STATE_PENDING',
      createdAtMs: Date.now(),
      createTime: created,
      updateTime: created,
      requests: requests.map((item) => ({ request: (item as { request: Record<string, unknown> }).request, metadata: (item as { metadata?: unknown }).metadata })),
      succeeded: 0,
      failed: 0,
    };
    batches.set(record.id, record);
    return { status: 200, body: wire(record) };
  };

  return {
    /** Replaces the per-request fault picker (`undefined` restores `batch.lineFault`). */
    setLineFault(picker: GeminiBatchLineFaultPicker | undefined) {
      lineFault = picker ?? options.lineFault;
    },
    /** Sets how long batches stay running (those already running included): hold them with a long time, end them with 0. */
    setProcessingMs(ms: number) {
      processingMs = ms;
    },
    /** Every batch's operation, as `GET /v1beta/batches/{id}` shows it now, oldest first. */
    list: () => [...batches.values()].map(wire),
    /** The answer to a Batch Mode request, or undefined for other paths. */
    async route(method: string, path: string, body: unknown): Promise<GeminiBatchAnswer | undefined> {
      const createMatch = BATCH_PATH.exec(path);
      if (method === 'POST' && createMatch) return create(createMatch[2] as string, body);
      const getMatch = GET_PATH.exec(path);
      if (method === 'GET' && getMatch) {
        const record = batches.get(getMatch[2] as string);
        if (!record) return { status: 404, body: NOT_FOUND() };
        await advance(record);
        return { status: 200, body: wire(record) };
      }
      const cancelMatch = CANCEL_PATH.exec(path);
      if (method === 'POST' && cancelMatch) {
        const record = batches.get(cancelMatch[2] as string);
        if (!record) return { status: 404, body: NOT_FOUND() };
        if (DONE.has(record.state)) return { status: 400, body: googleErrorWire(400, `Batch batches/${record.id} is already in a terminal state (${record.state}).`) };
        // What has not run is cancelled; a batch whose results are being written finishes them.
        if (record.running) await record.running;
        else {
          record.state = 'BATCH_STATE_CANCELLED';
          record.endTime = record.updateTime = iso();
        }
        return { status: 200, body: {} };
      }
      return undefined;
    },
  };
}
