import {
  ProviderError,
  isProviderError,
  kindForStatus,
  type BatchItemResult,
  type BatchOptions,
  type GenerateRequest,
  type GenerateResponse,
  type ProviderErrorKind,
  type ProviderWarning,
} from '@llm-lab/core';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { pollWithBackoff, prepareBatchItems, type PendingBatchItem } from '@llm-lab/provider-utils';
import type { BuiltOpenAIRequest } from './build-openai-request.js';
import type { OpenAIBatchSettings } from './openai-batch-settings.js';

/** Batch options an OpenAI model accepts on top of the contract's. */
export interface OpenAIBatchOptions extends BatchOptions {
  // `mode` (the contract's): `api` sends the batch through the vendor's Batch API (half price,
  // results within 24 hours); `concurrent` makes one call per request. Default: the provider's
  // `batch.mode` (itself `concurrent` unless configured).
  /** First wait between status polls, in milliseconds. Default: `batch.pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Longest wait between polls (the wait grows 1.5× per poll up to this). Default: `batch.maxPollIntervalMs`. */
  maxPollIntervalMs?: number;
  /** How long to wait for the whole batch before cancelling it. Default: `batch.maxWaitMs`. */
  maxWaitMs?: number;
  /** Called with the job as created (or retrieved, when attaching) and after every status poll, e.g. to show progress. */
  onProgress?: (progress: OpenAIBatchProgress) => void;
}

/** The state of a Batch API job, as the last poll saw it. */
export interface OpenAIBatchProgress {
  batchId: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
}

/** What the Batch API runner needs from the chat model that owns it. */
export interface OpenAIBatchContext {
  client: OpenAI;
  providerId: string;
  settings: OpenAIBatchSettings;
  /**
   * The chat endpoint as the vendor's Batch API names it, in each line's `url` and the batch's
   * `endpoint`: `/v1/chat/completions` at OpenAI, `/chat/completions` at Azure OpenAI (whose lines
   * name a global-batch deployment as their model).
   */
  endpoint: string;
  /** Per-HTTP-call timeout (upload, create, poll, download), in milliseconds. */
  callTimeoutMs: number;
  /** Validates and builds one request body; throws a ProviderError for an invalid request. */
  build(request: GenerateRequest): BuiltOpenAIRequest;
  /** Turns a chat completion body into a contract response. */
  toResponse(completion: unknown, warnings: ProviderWarning[], startedAt: number): GenerateResponse;
  /** Classifies an SDK failure of a Batch API call. */
  mapError(error: unknown, signal: AbortSignal | undefined): ProviderError;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
const CUSTOM_ID_PREFIX = 'llm-lab-';

interface ResultLine {
  custom_id?: unknown;
  response?: { status_code?: unknown; body?: unknown } | null;
  error?: { code?: unknown; message?: unknown } | null;
}

/**
 * Runs chat requests through OpenAI's Batch API (or Azure OpenAI's, which is the same API under
 * the resource's `/openai` path, see {@link OpenAIBatchContext.endpoint}): writes them as JSONL (one line per valid
 * request, `custom_id` = its index), uploads the file (purpose `batch`), creates the batch
 * (`/v1/chat/completions`, window `24h`), polls its status with a growing interval until it ends
 * or `maxWaitMs` passes (then it is cancelled), downloads the output and error files, and maps
 * every result line back to its request by `custom_id`. Returns one result per request, in
 * request order: invalid requests fail before anything is sent, per-line failures become
 * ProviderErrors in their place, and a failure of the batch itself fails every item it holds.
 * Costs are scaled by `settings.priceFactor` (the Batch API's discount).
 */
export async function runOpenAIBatch(
  context: OpenAIBatchContext,
  requests: readonly GenerateRequest[],
  options: OpenAIBatchOptions = {},
): Promise<BatchItemResult[]> {
  const { client, providerId, settings } = context;
  const { pending, results, finish } = prepareBatchItems(requests, {
    providerId,
    itemIds: options.itemIds,
    idPrefix: CUSTOM_ID_PREFIX,
    build: (request) => {
      const { body, warnings } = context.build(request);
      return { built: body, warnings };
    },
  });
  const lines = [...pending].map(([customId, item]) => JSON.stringify({ custom_id: customId, method: 'POST', url: context.endpoint, body: item.built }));
  if (pending.size === 0) return results as BatchItemResult[];

  const signal = options.signal;
  const call = { timeout: context.callTimeoutMs, ...(signal ? { signal } : {}) };
  const fail = (kind: ProviderErrorKind, message: string, extra: { vendorCode?: string; cause?: unknown } = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${message}`, ...extra });
  const startedAt = performance.now();
  let batchId: string | undefined;
  try {
    let batch: Awaited<ReturnType<OpenAI['batches']['retrieve']>>;
    if (options.batchId !== undefined) {
      // Attach: the job was submitted earlier (by a run that stopped); read it, pay nothing again.
      batchId = options.batchId;
      batch = await client.batches.retrieve(options.batchId, call);
    } else {
      const file = await client.files.create(
        { file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'llm-lab-batch.jsonl', { type: 'application/jsonl' }), purpose: 'batch' },
        call,
      );
      // Creating the job is not abortable: once OpenAI has it we must learn its id, or a cancel
      // arriving mid-request would leave a paid job running that nobody can cancel. An abort is
      // handled right after, by cancelling the job (or, with keepOnAbort, leaving it to be attached to).
      batch = await client.batches.create(
        // Azure's `/chat/completions` is not in the SDK's list of OpenAI endpoints; the wire takes any string.
        { input_file_id: file.id, endpoint: context.endpoint as '/v1/chat/completions', completion_window: '24h', metadata: { source: 'llm-lab' } },
        { timeout: context.callTimeoutMs },
      );
      batchId = batch.id;
      if (options.onSubmitted) {
        try {
          await options.onSubmitted(batch.id, [...pending.keys()]);
        } catch (error) {
          await client.batches.cancel(batch.id, { timeout: context.callTimeoutMs }).catch(() => undefined);
          const failure = fail('bad-request', `Batch API job ${batch.id} was cancelled: recording its id failed (${error instanceof Error ? error.message : String(error)}).`, { cause: error });
          return finish(() => failure);
        }
      }
    }
    const maxWaitMs = options.maxWaitMs ?? settings.maxWaitMs;
    const report = (current: typeof batch) => {
      const counts = { total: current.request_counts?.total ?? 0, completed: current.request_counts?.completed ?? 0, failed: current.request_counts?.failed ?? 0 };
      options.onProgress?.({ batchId: current.id, status: current.status, ...counts });
      // The contract counts every item with an outcome as completed; OpenAI counts failures apart.
      options.onBatchStatus?.({ batchId: current.id, status: current.status, total: counts.total, completed: counts.completed + counts.failed, failed: counts.failed });
    };
    report(batch);
    const polled = await pollWithBackoff({
      initial: batch,
      isDone: (current) => TERMINAL.has(current.status),
      poll: (current) => client.batches.retrieve(current.id, call),
      pollIntervalMs: options.pollIntervalMs ?? settings.pollIntervalMs,
      maxPollIntervalMs: options.maxPollIntervalMs ?? settings.maxPollIntervalMs,
      // The wait counts from the upload, as the job's cost does.
      maxWaitMs: Math.max(0, maxWaitMs - (performance.now() - startedAt)),
      signal,
      onPoll: report,
    });
    batch = polled.state;
    if (polled.outcome === 'aborted' && options.keepOnAbort) {
      return finish(() => fail('cancelled', `the caller stopped waiting; Batch API job ${batch.id} keeps running, to be picked up again.`));
    }
    if (polled.outcome !== 'done') {
      // Stop paying for work nobody will read; a failed cancel must not hide why we stopped.
      await client.batches.cancel(batch.id, { timeout: context.callTimeoutMs }).catch(() => undefined);
      const error =
        polled.outcome === 'aborted'
          ? fail('cancelled', `the batch was cancelled by the caller; Batch API job ${batch.id} was asked to cancel.`)
          : fail(
              'timeout',
              `Batch API job ${batch.id} did not finish within ${maxWaitMs} ms (status '${batch.status}', ${batch.request_counts?.completed ?? 0}/${batch.request_counts?.total ?? pending.size} done), so it was cancelled. ` +
                `Raise batch.maxWaitMs (the Batch API may take up to 24 hours), or use batch mode 'concurrent' for quick answers.`,
            );
      return finish(() => error);
    }
    if (batch.status === 'failed') {
      const errors = batch.errors?.data ?? [];
      const listed = errors
        .slice(0, 5)
        .map((error) => `${error.line != null ? `line ${error.line}: ` : ''}${error.code ?? 'error'}: ${error.message ?? ''}`)
        .join('; ');
      const error = fail(
        'bad-request',
        `Batch API job ${batch.id} failed validation${listed ? ` (${listed}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''})` : ''}. Fix the requests named; sending the same batch again will fail again.`,
        errors[0]?.code ? { vendorCode: errors[0].code } : {},
      );
      return finish(() => error);
    }
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await (await client.files.content(fileId, call)).text();
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        let line: ResultLine;
        try {
          line = JSON.parse(raw) as ResultLine;
        } catch (error) {
          throw fail('invalid-response', `a line of result file ${fileId} of Batch API job ${batch.id} is not JSON.`, { cause: error });
        }
        const item = typeof line.custom_id === 'string' ? pending.get(line.custom_id) : undefined;
        if (!item || results[item.index]) continue;
        results[item.index] = resultOf(context, line, item, startedAt, batch.id);
      }
    }
    const missing = (status: string): Error =>
      status === 'expired'
        ? fail('timeout', `Batch API job ${batch.id} expired (24 h window) before this request ran. Send it again.`, { vendorCode: 'batch_expired' })
        : status === 'cancelled'
          ? fail('cancelled', `Batch API job ${batch.id} was cancelled before this request ran.`, { vendorCode: 'batch_cancelled' })
          : options.batchId !== undefined
          ? fail('invalid-response', `Batch API job ${batch.id} holds no request with this item id; it was attached to by id, so only the items it was submitted with can be read from it.`)
          : fail('invalid-response', `Batch API job ${batch.id} ended '${status}' but its result files hold no line for this request.`);
    return finish(() => missing(batch.status));
  } catch (error) {
    const mapped = isProviderError(error) ? error : context.mapError(error, signal);
    const where = batchId ? ` (Batch API job ${batchId})` : '';
    const wrapped = where
      ? new ProviderError({
          kind: mapped.kind,
          providerId,
          message: `${mapped.message}${where}`,
          isRetryable: mapped.isRetryable,
          cause: mapped,
          ...(mapped.statusCode !== undefined ? { statusCode: mapped.statusCode } : {}),
          ...(mapped.responseBody !== undefined ? { responseBody: mapped.responseBody } : {}),
          ...(mapped.retryAfterMs !== undefined ? { retryAfterMs: mapped.retryAfterMs } : {}),
          ...(mapped.vendorCode !== undefined ? { vendorCode: mapped.vendorCode } : {}),
        })
      : mapped;
    return finish(() => wrapped);
  }
}

/** The contract result of one line of a batch's output or error file. */
function resultOf(context: OpenAIBatchContext, line: ResultLine, item: PendingBatchItem<unknown>, startedAt: number, batchId: string): BatchItemResult {
  const { providerId } = context;
  const response = line.response;
  if (response && response.status_code === 200) {
    try {
      const generated = context.toResponse(response.body, item.warnings, startedAt);
      const cost = generated.cost && {
        inputUsd: generated.cost.inputUsd * context.settings.priceFactor,
        outputUsd: generated.cost.outputUsd * context.settings.priceFactor,
        totalUsd: generated.cost.totalUsd * context.settings.priceFactor,
      };
      return { ok: true, response: { ...generated, ...(cost ? { cost } : {}) } };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  if (response && typeof response.status_code === 'number') {
    const status = response.status_code;
    const vendor = (response.body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
    const code = typeof vendor?.code === 'string' ? vendor.code : undefined;
    const kind: ProviderErrorKind = code === 'content_filter' ? 'content-filter' : kindForStatus(status);
    return {
      ok: false,
      error: new ProviderError({
        kind,
        providerId,
        statusCode: status,
        responseBody: JSON.stringify(response.body),
        ...(code ? { vendorCode: code } : {}),
        message: `${providerId}: request ${line.custom_id as string} of Batch API job ${batchId} failed with HTTP ${status}: ${typeof vendor?.message === 'string' ? vendor.message : 'no message'}.`,
      }),
    };
  }
  const code = typeof line.error?.code === 'string' ? line.error.code : undefined;
  const kind: ProviderErrorKind = code === 'batch_expired' ? 'timeout' : code === 'batch_cancelled' ? 'cancelled' : 'server';
  return {
    ok: false,
    error: new ProviderError({
      kind,
      providerId,
      ...(code ? { vendorCode: code } : {}),
      message: `${providerId}: request ${line.custom_id as string} of Batch API job ${batchId} failed (${code ?? 'error'}): ${typeof line.error?.message === 'string' ? line.error.message : 'no message'}.`,
    }),
  };
}
