import { ProviderError } from '@llm-lab/core';
import { pollWithBackoff } from '@llm-lab/provider-utils';
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchResult } from '@anthropic-ai/sdk/resources/messages/batches';
import type { BuiltAnthropicRequest } from './build-anthropic-request.js';
import type { ResolvedAnthropicSettings } from './anthropic-options.js';

/** What {@link runMessageBatch} needs. */
export interface MessageBatchRun {
  client: Anthropic;
  /** The requests, each with a `custom_id` unique in the batch. */
  items: Array<{ customId: string; body: BuiltAnthropicRequest['body'] }>;
  /** Polling and waiting limits. */
  batch: ResolvedAnthropicSettings['batch'];
  /** Timeout of each HTTP call (create, poll, results), in milliseconds. */
  callTimeoutMs: number;
  /** `<provider>:<model>`, named in errors. */
  providerId: string;
  signal?: AbortSignal | undefined;
  /** Called with the batch as created (or retrieved, when attaching) and after each poll, e.g. for logging progress. */
  onPoll?: (batch: MessageBatch) => void;
  /** Attach to this batch (submitted earlier with the same custom ids) instead of creating one. */
  batchId?: string | undefined;
  /** Called with the new batch's id before polling (awaited); when it throws, the batch is cancelled and the call rejects with its error. */
  onSubmitted?: ((batchId: string, itemIds: string[]) => void | Promise<void>) | undefined;
  /** On abort, leave the batch running (to be attached to again) instead of cancelling it. */
  keepOnAbort?: boolean | undefined;
}

/**
 * Runs requests as one Anthropic Message Batch: creates it, polls its status with a growing wait
 * (provider-utils' pollWithBackoff: from `pollIntervalMs`, half again longer each poll, up to
 * `maxPollIntervalMs`) until it has ended, then reads its JSONL results. Returns each request's result by `custom_id` (results come
 * in no particular order). When the caller aborts, or the batch has not ended within `maxWaitMs`,
 * the batch is cancelled (best effort, so it stops costing) and the call rejects: with the SDK's
 * abort error, or a `timeout` ProviderError. Failures of the HTTP calls reject with the SDK's error.
 */
export async function runMessageBatch(run: MessageBatchRun): Promise<Map<string, MessageBatchResult>> {
  const { client, signal } = run;
  const requestOptions = { signal, timeout: run.callTimeoutMs } as const;
  const startedAt = Date.now();
  // Creating the batch is not abortable: once Anthropic has it we must learn its id, or a cancel
  // arriving mid-request would leave a paid batch running that nobody can cancel. An abort is
  // handled right after, by cancelling the batch.
  let batch =
    run.batchId !== undefined
      ? await client.messages.batches.retrieve(run.batchId, {}, requestOptions)
      : await client.messages.batches.create(
          { requests: run.items.map((item) => ({ custom_id: item.customId, params: item.body })) },
          { timeout: run.callTimeoutMs },
        );
  const cancel = async () => {
    if (signal?.aborted && run.keepOnAbort) return;
    try {
      await client.messages.batches.cancel(batch.id, {}, { timeout: run.callTimeoutMs });
    } catch {
      // Best effort: the batch ends by itself within 24 hours.
    }
  };
  if (run.batchId === undefined && run.onSubmitted) {
    try {
      await run.onSubmitted(batch.id, run.items.map((item) => item.customId));
    } catch (error) {
      await client.messages.batches.cancel(batch.id, {}, { timeout: run.callTimeoutMs }).catch(() => undefined);
      throw error;
    }
  }
  run.onPoll?.(batch);
  const polled = await pollWithBackoff({
    initial: batch,
    isDone: (current) => current.processing_status === 'ended',
    poll: (current) => client.messages.batches.retrieve(current.id, {}, requestOptions),
    pollIntervalMs: run.batch.pollIntervalMs,
    maxPollIntervalMs: run.batch.maxPollIntervalMs,
    // The wait counts from the batch's creation request.
    maxWaitMs: Math.max(0, run.batch.maxWaitMs - (Date.now() - startedAt)),
    signal,
    onPoll: (current) => run.onPoll?.(current),
  }).catch(async (error: unknown) => {
    if (signal?.aborted) await cancel();
    throw error;
  });
  batch = polled.state;
  if (polled.outcome === 'aborted') {
    await cancel();
    throw signal?.reason ?? new Error('aborted');
  }
  if (polled.outcome === 'timed-out') {
    await cancel();
    throw new ProviderError({
      kind: 'timeout',
      providerId: run.providerId,
      message:
        `${run.providerId}: Message Batch ${batch.id} had not ended after ${run.batch.maxWaitMs} ms (config batch.maxWaitMs), so it was cancelled. ` +
        `Raise batch.maxWaitMs (batches may take up to 24 hours), or set batch.mode: concurrent for immediate answers.`,
    });
  }
  const results = new Map<string, MessageBatchResult>();
  const decoder = await client.messages.batches.results(batch.id, {}, requestOptions);
  for await (const line of decoder) results.set(line.custom_id, line.result);
  return results;
}
