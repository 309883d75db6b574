/**
 * OpenAI's Files and Batch APIs for the fake server: multipart uploads (`POST /v1/files`), file
 * metadata and content, and batches that move through `validating → in_progress → finalizing →
 * completed` (or `failed`, `expired`, `cancelling → cancelled`) as time passes, writing their
 * results as JSONL output and error files in an arbitrary (seeded) order, as OpenAI does.
 */
import { randomBytes } from 'node:crypto';
import { seededRandom, type HttpErrorFault } from '../faults.js';
import { answerEmbeddings } from './fake-openai-embeddings.js';
import type { RouteContext, WireAnswer, WireRoute } from './openai-compatible-server.js';
import { defaultErrorFor, errorWire, type ChatCompletionRequestBody } from './openai-wire.js';

/** A failure injected into one line of a batch: an HTTP error answer, or a line-level `error` with no response. */
export type BatchLineFault = HttpErrorFault | { type: 'line-error'; code: string; message: string };

/** Picks the fault of a batch line (by its `custom_id` and 0-based line index); undefined lets it succeed. */
export type BatchLineFaultPicker = (line: { customId: string; index: number; body: unknown }) => BatchLineFault | undefined;

/** Batch behaviour options of the fake OpenAI server. */
export interface FakeBatchOptions {
  /** Milliseconds a new batch stays `validating`. Default 30. */
  validatingMs?: number;
  /** Milliseconds a batch stays `in_progress` before its results are written. Default 60. */
  processingMs?: number;
  /** Makes the batch expire after this many lines were run: the rest get a `batch_expired` line error. Default: never. */
  expireAfterLines?: number;
  /** Per-line failures. Default: none (lines still fail when their request is invalid, as at OpenAI). */
  lineFault?: BatchLineFaultPicker;
  /** Seed of the order results are written in. Default 1. */
  seed?: number;
}

/** Where a vendor serves the Files and Batch APIs: OpenAI's `/v1` routes, or Azure OpenAI's `/openai` ones. */
export interface BatchRoutes {
  /** Path prefix of `/files` and `/batches`. Default `/v1`. */
  prefix?: string;
  /** The `endpoint` values a batch accepts (each line's `url` must equal it). Default OpenAI's `/v1/chat/completions` and `/v1/embeddings`. */
  endpoints?: string[];
  /** The chat endpoint among them. Default `/v1/chat/completions`. */
  chatEndpoint?: string;
  /** Maps a line's `body.model` to the model that answers (Azure: a deployment name); undefined fails validation with `notFound`'s message. */
  resolveModel?: (model: unknown) => string | undefined;
  /** The validation error for a model `resolveModel` does not know. */
  unknownModel?: (model: unknown) => { code: string; message: string };
}

type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

interface StoredFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  expires_at: number | null;
  status_details: null;
  content: string;
}

interface InputLine {
  custom_id: string;
  method: string;
  url: string;
  body: Record<string, unknown>;
}

interface BatchRecord {
  wire: Record<string, unknown> & { id: string; status: BatchStatus; request_counts: { total: number; completed: number; failed: number } };
  createdAtMs: number;
  inProgressAtMs?: number;
  lines: InputLine[];
  running?: Promise<void>;
}

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];
const ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings'];
const now = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const invalid = (message: string, param: string | null = null, code: string | null = null, status = 400): WireAnswer => ({
  status,
  body: errorWire({ message, type: 'invalid_request_error', param, code }),
});

/** The parts of a `multipart/form-data` body: field name → value (and file name for files). */
function parseMultipart(contentType: string | undefined, raw: string): Map<string, { value: string; filename?: string }> {
  const parts = new Map<string, { value: string; filename?: string }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return parts;
  for (const section of raw.split(`--${marker}`)) {
    const split = section.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = section.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const value = section.slice(split + 4).replace(/\r\n$/, '');
    parts.set(name, filename !== undefined ? { value, filename } : { value });
  }
  return parts;
}

/** The files and batches of one fake server, and the routes that serve them. */
export function createFakeBatchStore(options: FakeBatchOptions = {}, routes: BatchRoutes = {}) {
  const prefix = routes.prefix ?? '/v1';
  const endpoints = routes.endpoints ?? ENDPOINTS;
  const chatEndpoint = routes.chatEndpoint ?? '/v1/chat/completions';
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, BatchRecord>();
  let lineFault = options.lineFault;
  let processingMs = options.processingMs ?? 60;

  const publicFile = (file: StoredFile) => {
    const { content: _content, ...wire } = file;
    return wire;
  };

  const storeFile = (filename: string, purpose: string, content: string): StoredFile => {
    const file: StoredFile = {
      id: `file-${hex(12)}`,
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: now(),
      filename,
      purpose,
      status: 'processed',
      expires_at: null,
      status_details: null,
      content,
    };
    files.set(file.id, file);
    return file;
  };

  const noSuchFile = (id: string) => invalid(`No such File object: ${id}`, 'id', null, 404);

  const upload = (context: RouteContext): WireAnswer => {
    const header = context.request.headers['content-type'];
    if (!header?.toLowerCase().startsWith('multipart/form-data')) {
      return invalid('The files endpoint expects a multipart/form-data body with the fields file and purpose.');
    }
    const parts = parseMultipart(header, context.record.rawBody);
    const purpose = parts.get('purpose')?.value;
    const file = parts.get('file');
    if (purpose === undefined) return invalid("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
    if (!PURPOSES.includes(purpose)) {
      return invalid(`'${purpose}' is not one of [${PURPOSES.map((name) => `'${name}'`).join(', ')}] - 'purpose'`, 'purpose', 'invalid_value');
    }
    if (file === undefined) return invalid("Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
    if (purpose === 'batch') {
      const lines = file.value.split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        } catch {
          return invalid(`Invalid file format for Batch API. Line ${index + 1} is not a JSON object. Every line of a batch input file must be a JSON object with custom_id, method, url and body.`, 'file', 'invalid_file_format');
        }
      }
    }
    return { status: 200, body: publicFile(storeFile(file.filename ?? 'upload', purpose, file.value)) };
  };

  /** Checks every input line as OpenAI does while a batch is `validating`; returns the errors. */
  const validateLines = (record: BatchRecord, input: StoredFile) => {
    const errors: Array<{ code: string; message: string; param: string | null; line: number | null }> = [];
    const seen = new Set<string>();
    let model: unknown;
    const lines: InputLine[] = [];
    for (const [index, text] of input.content.split('\n').entries()) {
      if (text.trim() === '') continue;
      const line = index + 1;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const fail = (code: string, message: string, param: string | null) => errors.push({ code, message, param, line });
      if (typeof parsed.custom_id !== 'string' || parsed.custom_id === '') {
        fail('missing_required_parameter', "Missing required parameter: 'custom_id'.", 'custom_id');
        continue;
      }
      if (seen.has(parsed.custom_id)) fail('duplicate_custom_id', `The custom_id '${parsed.custom_id}' is used by more than one request; every custom_id must be unique.`, 'custom_id');
      seen.add(parsed.custom_id);
      if (parsed.method !== 'POST') fail('invalid_method', `Invalid 'method': only POST is supported, got ${JSON.stringify(parsed.method)}.`, 'method');
      if (parsed.url !== record.wire.endpoint) {
        fail('mismatched_endpoint', `The url ${JSON.stringify(parsed.url)} does not match the batch endpoint ${String(record.wire.endpoint)}.`, 'url');
      }
      if (typeof parsed.body !== 'object' || parsed.body === null || Array.isArray(parsed.body)) {
        fail('missing_required_parameter', "Missing required parameter: 'body'.", 'body');
        continue;
      }
      const body = parsed.body as Record<string, unknown>;
      if (routes.resolveModel && routes.resolveModel(body.model) === undefined) {
        const unknown = routes.unknownModel?.(body.model) ?? { code: 'model_not_found', message: `The model ${JSON.stringify(body.model)} does not exist.` };
        fail(unknown.code, unknown.message, 'body.model');
      }
      if (model === undefined) model = body.model;
      else if (body.model !== model) fail('mismatched_model', 'Every request in a batch must use the same model.', 'body.model');
      lines.push({ custom_id: parsed.custom_id, method: String(parsed.method), url: String(parsed.url), body });
    }
    if (lines.length === 0 && errors.length === 0) errors.push({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null });
    return { errors, lines };
  };

  const resultLine = (customId: string, response: { status: number; body: unknown } | null, error: { code: string; message: string } | null) => ({
    id: `batch_req_${hex(12)}`,
    custom_id: customId,
    response: response ? { status_code: response.status, request_id: hex(16), body: response.body } : null,
    error,
  });

  /** Runs the lines, writes the output and error files, and sets the final status. */
  const run = async (record: BatchRecord, context: RouteContext, cancelled: () => boolean) => {
    const outputs: unknown[] = [];
    const failures: unknown[] = [];
    const counts = record.wire.request_counts;
    for (const [index, line] of record.lines.entries()) {
      const expired = options.expireAfterLines !== undefined && index >= options.expireAfterLines;
      if (expired || cancelled()) {
        const code = expired ? 'batch_expired' : 'batch_cancelled';
        const message = expired
          ? 'This request could not be executed before the completion window expired.'
          : 'This request was not executed because the batch was cancelled.';
        failures.push(resultLine(line.custom_id, null, { code, message }));
        counts.failed += 1;
        continue;
      }
      const fault = lineFault?.({ customId: line.custom_id, index, body: line.body });
      let answer: WireAnswer;
      if (fault?.type === 'line-error') {
        failures.push(resultLine(line.custom_id, null, { code: fault.code, message: fault.message }));
        counts.failed += 1;
        continue;
      } else if (fault) {
        answer = { status: fault.status, body: fault.body ?? defaultErrorFor({ ...fault, model: String(line.body.model) }) };
      } else if (line.url !== chatEndpoint && line.url.endsWith('/embeddings')) {
        answer = answerEmbeddings(line.body);
      } else {
        const served = routes.resolveModel?.(line.body.model);
        answer = await context.complete(line.body as ChatCompletionRequestBody, served);
      }
      if (answer.status === 200) {
        outputs.push(resultLine(line.custom_id, answer, null));
        counts.completed += 1;
      } else {
        failures.push(resultLine(line.custom_id, answer, null));
        counts.failed += 1;
      }
    }
    // OpenAI writes results in no particular order: shuffle them, reproducibly.
    const random = seededRandom(options.seed ?? 1);
    const shuffle = (items: unknown[]) => {
      for (let index = items.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [items[index], items[other]] = [items[other], items[index]];
      }
      return items.map((item) => `${JSON.stringify(item)}\n`).join('');
    };
    const id = record.wire.id;
    if (outputs.length > 0) record.wire.output_file_id = storeFile(`${id}_output.jsonl`, 'batch_output', shuffle(outputs)).id;
    if (failures.length > 0) record.wire.error_file_id = storeFile(`${id}_error.jsonl`, 'batch_output', shuffle(failures)).id;
    const at = now();
    if (cancelled()) {
      record.wire.status = 'cancelled';
      record.wire.cancelled_at = at;
    } else if (options.expireAfterLines !== undefined && options.expireAfterLines < record.lines.length) {
      record.wire.status = 'expired';
      record.wire.expired_at = at;
    } else {
      record.wire.status = 'completed';
      record.wire.finalizing_at = at;
      record.wire.completed_at = at;
    }
  };

  /** Moves a batch on as time has passed since it was created. */
  const advance = async (record: BatchRecord, context: RouteContext) => {
    const elapsed = Date.now() - record.createdAtMs;
    const validatingMs = options.validatingMs ?? 30;
    if (record.wire.status === 'validating' && elapsed >= validatingMs) {
      const input = files.get(String(record.wire.input_file_id));
      const { errors, lines } = input ? validateLines(record, input) : { errors: [{ code: 'file_not_found', message: 'The input file was deleted.', param: 'input_file_id', line: null }], lines: [] };
      if (errors.length > 0) {
        record.wire.status = 'failed';
        record.wire.failed_at = now();
        record.wire.errors = { object: 'list', data: errors };
        return;
      }
      record.lines = lines;
      record.wire.request_counts.total = lines.length;
      record.wire.status = 'in_progress';
      record.wire.in_progress_at = now();
      record.inProgressAtMs = Date.now();
    }
    const due = record.inProgressAtMs !== undefined && Date.now() - record.inProgressAtMs >= processingMs;
    if ((record.wire.status === 'in_progress' && due) || record.wire.status === 'cancelling') {
      const cancelling = record.wire.status === 'cancelling';
      if (!cancelling) record.wire.status = 'finalizing';
      record.running ??= run(record, context, () => cancelling);
      await record.running;
    }
  };

  const createBatch = (context: RouteContext): WireAnswer => {
    const body = context.record.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null) return invalid('We could not parse the JSON body of your request.');
    for (const field of ['input_file_id', 'endpoint', 'completion_window']) {
      if (typeof body[field] !== 'string') return invalid(`Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
    }
    const input = files.get(String(body.input_file_id));
    if (!input) return noSuchFile(String(body.input_file_id));
    if (input.purpose !== 'batch') return invalid(`File ${input.id} was uploaded with purpose '${input.purpose}'; a batch input file needs purpose 'batch'.`, 'input_file_id');
    if (!endpoints.includes(String(body.endpoint))) {
      return invalid(`Invalid value for 'endpoint': ${JSON.stringify(body.endpoint)}. Supported values are: ${endpoints.map((e) => `'${e}'`).join(', ')}.`, 'endpoint', 'invalid_value');
    }
    if (body.completion_window !== '24h') {
      return invalid(`Invalid value for 'completion_window': ${JSON.stringify(body.completion_window)}. Supported values are: '24h'.`, 'completion_window', 'invalid_value');
    }
    const created = now();
    const record: BatchRecord = {
      createdAtMs: Date.now(),
      lines: [],
      wire: {
        id: `batch_${hex(12)}`,
        object: 'batch',
        endpoint: body.endpoint,
        errors: null,
        input_file_id: input.id,
        completion_window: '24h',
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: created,
        in_progress_at: null,
        expires_at: created + 86_400,
        finalizing_at: null,
        completed_at: null,
        failed_at: null,
        expired_at: null,
        cancelling_at: null,
        cancelled_at: null,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: (body.metadata as Record<string, string> | undefined) ?? null,
      },
    };
    batches.set(record.wire.id, record);
    return { status: 200, body: record.wire };
  };

  const withBatch = (id: string, then: (record: BatchRecord, context: RouteContext) => Promise<WireAnswer>): WireRoute => ({
    type: 'handler',
    handle: async (context) => {
      const record = batches.get(id);
      context.send(record ? await then(record, context) : invalid(`No batch found with id '${id}'.`, 'batch_id', null, 404));
    },
  });

  return {
    /** Replaces the per-line fault picker (`undefined` restores the one given at start). */
    setLineFault(picker: BatchLineFaultPicker | undefined) {
      lineFault = picker ?? options.lineFault;
    },
    /** Sets how long batches stay `in_progress` (counted from when each went in progress), e.g. to hold them, then let them end. */
    setProcessingMs(ms: number) {
      processingMs = ms;
    },
    /** Every batch's wire object, newest last. */
    list: () => [...batches.values()].map((record) => record.wire),
    /** The route of a Files or Batch API request, or undefined for other paths. */
    route(method: string, path: string): WireRoute | undefined {
      const respond = (make: (context: RouteContext) => WireAnswer): WireRoute => ({ type: 'handler', handle: (context) => context.send(make(context)) });
      if (!path.startsWith(`${prefix}/`)) return undefined;
      const rest = path.slice(prefix.length);
      if (method === 'POST' && rest === '/files') return respond(upload);
      const file = /^\/files\/([^/]+)(\/content)?$/.exec(rest);
      if (method === 'GET' && file) {
        const stored = files.get(decodeURIComponent(file[1] as string));
        if (!stored) return respond(() => noSuchFile(decodeURIComponent(file[1] as string)));
        if (file[2]) return { type: 'handler', handle: (context) => context.send({ status: 200, body: stored.content }, 'application/octet-stream') };
        return respond(() => ({ status: 200, body: publicFile(stored) }));
      }
      if (method === 'POST' && rest === '/batches') return respond(createBatch);
      const batch = /^\/batches\/([^/]+)(\/cancel)?$/.exec(rest);
      if (!batch) return undefined;
      const id = decodeURIComponent(batch[1] as string);
      if (method === 'GET' && !batch[2]) {
        return withBatch(id, async (record, context) => {
          await advance(record, context);
          return { status: 200, body: record.wire };
        });
      }
      if (method === 'POST' && batch[2]) {
        return withBatch(id, async (record) => {
          if (!['validating', 'in_progress'].includes(record.wire.status)) {
            return invalid(`Cannot cancel a batch with status '${record.wire.status}'.`, null, null, 409);
          }
          record.wire.status = 'cancelling';
          record.wire.cancelling_at = now();
          return { status: 200, body: record.wire };
        });
      }
      return undefined;
    },
  };
}
