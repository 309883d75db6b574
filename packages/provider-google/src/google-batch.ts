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
import type { BatchJob, GenerateContentResponse, GoogleGenAI, InlinedRequest } from '@google/genai';
import { pollWithBackoff, prepareBatchItems, type BatchSettings } from '@llm-lab/provider-utils';
import type { BuiltGoogleRequest } from './build-google-request.js';

/** Batch options a Gemini model accepts on top of the contract's. */
export interface GoogleBatchOptions extends BatchOptions {
  /** First wait between status polls, in milliseconds. Default: `batch.pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Longest wait between polls. Default: `batch.maxPollIntervalMs`. */
  maxPollIntervalMs?: number;
  /** How long to wait for the whole batch before cancelling it. Default: `batch.maxWaitMs`. */
  maxWaitMs?: number;
}

/** What the Batch Mode runner needs from the chat model that owns it. */
export interface GoogleBatchContext {
  client: GoogleGenAI;
  providerId: string;
  model: string;
  settings: BatchSettings;
  /** Validates and builds one request; throws a ProviderError for an invalid request. */
  build(request: GenerateRequest): BuiltGoogleRequest;
  /** Turns a GenerateContentResponse into a contract response (throws for a blocked answer). */
  toResponse(response: GenerateContentResponse, warnings: ProviderWarning[], startedAt: number): GenerateResponse;
  /** Classifies an SDK failure of a Batch Mode call. */
  mapError(error: unknown, signal: AbortSignal | undefined): ProviderError;
}

/** The Gemini API's limit on the inlined requests of one batch (larger batches need an uploaded file). */
export const GEMINI_INLINE_BATCH_LIMIT_BYTES = 20_000_000;
const TERMINAL = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED']);
const KEY_PREFIX = 'llm-lab-';

/**
 * Runs Gemini requests through the Gemini API's Batch Mode with inlined requests
 * (`models.batchGenerateContent` via `ai.batches.create`): each valid request goes in with its
 * item id as `metadata.key`; the job is polled (`ai.batches.get`) with a growing interval until
 * it ends or `maxWaitMs` passes (then it is cancelled); its inlined responses are mapped back by
 * key. One result per request, in request order: invalid requests fail before anything is
 * sent, a per-request error Status becomes a ProviderError in its place, and a failure of the job
 * itself (failed, expired, cancelled) fails every item it holds. Costs are scaled by
 * `settings.priceFactor` (Batch Mode's discount). A batch whose inlined requests exceed 20 MB is
 * refused before sending: lower `run.batchSize`.
 */
export async function runGoogleBatch(context: GoogleBatchContext, requests: readonly GenerateRequest[], options: GoogleBatchOptions = {}): Promise<BatchItemResult[]> {
  const { client, providerId, settings } = context;
  const fail = (kind: ProviderErrorKind, message: string, extra: { vendorCode?: string; cause?: unknown; statusCode?: number } = {}) =>
    new ProviderError({ kind, providerId, message: `${providerId}: ${message}`, ...extra });
  const { pending, results, finish } = prepareBatchItems(requests, {
    providerId,
    itemIds: options.itemIds,
    idPrefix: KEY_PREFIX,
    build: (request) => {
      const { contents, config, warnings } = context.build(request);
      return { built: { contents, config }, warnings };
    },
  });
  const inlined: InlinedRequest[] = [...pending].map(([key, item]) => ({ ...item.built, metadata: { key } }));
  if (pending.size === 0) return results as BatchItemResult[];
  const size = Buffer.byteLength(JSON.stringify(inlined));
  if (options.batchId === undefined && size > GEMINI_INLINE_BATCH_LIMIT_BYTES) {
    const error = fail('bad-request', `the batch's ${pending.size} requests take ${(size / 1e6).toFixed(1)} MB, over the Gemini API's 20 MB limit for inlined batch requests; send fewer per batch (run.batchSize).`);
    return finish(() => error);
  }

  const signal = options.signal;
  const startedAt = performance.now();
  let name: string | undefined;
  try {
    let job: BatchJob;
    if (options.batchId !== undefined) {
      // Attach: the job was submitted earlier (by a run that stopped); read it, pay nothing again.
      name = options.batchId;
      job = await client.batches.get({ name, config: { ...(signal ? { abortSignal: signal } : {}) } });
    } else {
      // Creating the job is not abortable: once Google has it we must learn its name, or a cancel
      // arriving mid-request would leave a paid job running that nobody can cancel.
      job = await client.batches.create({ model: context.model, src: inlined, config: { displayName: `llm-lab ${providerId} (${pending.size} requests)` } });
      name = job.name ?? '';
      if (options.onSubmitted) {
        try {
          await options.onSubmitted(name, [...pending.keys()]);
        } catch (error) {
          await client.batches.cancel({ name }).catch(() => undefined);
          const failure = fail('bad-request', `Batch Mode job ${name} was cancelled: recording its name failed (${error instanceof Error ? error.message : String(error)}).`, { cause: error });
          return finish(() => failure);
        }
      }
    }
    const jobName = name;
    const report = (current: BatchJob) => {
      const done = current.dest?.inlinedResponses?.length ?? 0;
      const failed = current.dest?.inlinedResponses?.filter((entry) => entry.error).length ?? 0;
      options.onBatchStatus?.({ batchId: jobName, status: String(current.state ?? 'JOB_STATE_UNSPECIFIED'), total: pending.size, completed: done, failed });
    };
    report(job);
    const maxWaitMs = options.maxWaitMs ?? settings.maxWaitMs;
    const polled = await pollWithBackoff({
      initial: job,
      isDone: (current) => TERMINAL.has(String(current.state)),
      poll: () => client.batches.get({ name: jobName, config: { ...(signal ? { abortSignal: signal } : {}) } }),
      pollIntervalMs: options.pollIntervalMs ?? settings.pollIntervalMs,
      maxPollIntervalMs: options.maxPollIntervalMs ?? settings.maxPollIntervalMs,
      maxWaitMs: Math.max(0, maxWaitMs - (performance.now() - startedAt)),
      signal,
      onPoll: report,
    });
    job = polled.state;
    if (polled.outcome === 'aborted' && options.keepOnAbort) {
      return finish(() => fail('cancelled', `the caller stopped waiting; Batch Mode job ${jobName} keeps running, to be picked up again.`));
    }
    if (polled.outcome !== 'done') {
      await client.batches.cancel({ name: jobName }).catch(() => undefined);
      const error =
        polled.outcome === 'aborted'
          ? fail('cancelled', `the batch was cancelled by the caller; Batch Mode job ${jobName} was asked to cancel.`)
          : fail('timeout', `Batch Mode job ${jobName} did not finish within ${maxWaitMs} ms (state ${String(job.state)}), so it was cancelled. Raise batch.maxWaitMs (Batch Mode may take up to 24 hours), or use batch mode 'concurrent' for quick answers.`);
      return finish(() => error);
    }
    for (const entry of job.dest?.inlinedResponses ?? []) {
      const key = (entry.metadata as { key?: unknown } | undefined)?.key;
      const item = typeof key === 'string' ? pending.get(key) : undefined;
      if (!item || results[item.index]) continue;
      results[item.index] = entryResult(context, entry, key as string, item.warnings, startedAt, jobName);
    }
    const state = String(job.state);
    const missing = (): Error =>
      state === 'JOB_STATE_EXPIRED'
        ? fail('timeout', `Batch Mode job ${jobName} expired before this request ran. Send it again.`, { vendorCode: 'BATCH_STATE_EXPIRED' })
        : state === 'JOB_STATE_CANCELLED'
          ? fail('cancelled', `Batch Mode job ${jobName} was cancelled before this request ran.`, { vendorCode: 'BATCH_STATE_CANCELLED' })
          : state === 'JOB_STATE_FAILED'
            ? fail('server', `Batch Mode job ${jobName} failed${job.error?.message ? `: ${job.error.message}` : ''}.`, { vendorCode: 'BATCH_STATE_FAILED' })
            : options.batchId !== undefined
              ? fail('invalid-response', `Batch Mode job ${jobName} holds no request with this item id; it was attached to by name, so only the items it was submitted with can be read from it.`)
              : fail('invalid-response', `Batch Mode job ${jobName} ended ${state} but its output holds no response for this request.`);
    return finish(missing);
  } catch (error) {
    const mapped = isProviderError(error) ? error : context.mapError(error, signal);
    if (!name) return finish(() => mapped);
    const wrapped = new ProviderError({
      kind: mapped.kind,
      providerId,
      message: `${mapped.message} (Batch Mode job ${name})`,
      isRetryable: mapped.isRetryable,
      cause: mapped,
      ...(mapped.statusCode !== undefined ? { statusCode: mapped.statusCode } : {}),
      ...(mapped.retryAfterMs !== undefined ? { retryAfterMs: mapped.retryAfterMs } : {}),
      ...(mapped.vendorCode !== undefined ? { vendorCode: mapped.vendorCode } : {}),
    });
    return finish(() => wrapped);
  }
}

/** The contract result of one inlined response of a finished job. */
function entryResult(
  context: GoogleBatchContext,
  entry: NonNullable<NonNullable<BatchJob['dest']>['inlinedResponses']>[number],
  key: string,
  warnings: ProviderWarning[],
  startedAt: number,
  jobName: string,
): BatchItemResult {
  if (entry.response) {
    try {
      const generated = context.toResponse(entry.response, warnings, startedAt);
      const factor = context.settings.priceFactor;
      const cost = generated.cost && { inputUsd: generated.cost.inputUsd * factor, outputUsd: generated.cost.outputUsd * factor, totalUsd: generated.cost.totalUsd * factor };
      return { ok: true, response: { ...generated, ...(cost ? { cost } : {}) } };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  const status = entry.error as { code?: unknown; message?: unknown; status?: unknown } | undefined;
  const code = typeof status?.code === 'number' ? status.code : undefined;
  // A Status code is a gRPC code (3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 13 INTERNAL) or an HTTP status.
  const grpc: Record<number, number> = { 3: 400, 5: 404, 7: 403, 8: 429, 13: 500, 14: 503, 4: 504 };
  const httpStatus = code === undefined ? undefined : code >= 100 ? code : grpc[code];
  return {
    ok: false,
    error: new ProviderError({
      kind: httpStatus !== undefined ? kindForStatus(httpStatus) : 'server',
      providerId: context.providerId,
      ...(httpStatus !== undefined ? { statusCode: httpStatus } : {}),
      ...(typeof status?.status === 'string' ? { vendorCode: status.status } : {}),
      message: `${context.providerId}: request ${key} of Batch Mode job ${jobName} failed${code !== undefined ? ` (code ${code})` : ''}: ${typeof status?.message === 'string' ? status.message : 'no message'}.`,
    }),
  };
}
