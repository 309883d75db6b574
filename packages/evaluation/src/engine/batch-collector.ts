import { createHash } from 'node:crypto';
import {
  ProviderError,
  type BatchItemResult,
  type BatchStatus,
  type GenerateRequest,
  type GenerateResponse,
  type LanguageModelProvider,
} from '@llm-lab/core';
import type { RunBatchStore } from '../storage-contract.js';
import type { EngineProvider } from './types.js';

/** Options of a {@link BatchCollector}. */
export interface BatchCollectorOptions {
  runId: string;
  /** Where submitted vendor batches are recorded, and found again on resume. */
  store: RunBatchStore;
  signal?: AbortSignal | undefined;
  /** Per-HTTP-call timeout of the batch calls (upload, create, poll, download), ms. */
  timeoutMs?: number | undefined;
  /** Calls at once for a provider without a vendor batch API (its batch runs as concurrent calls). */
  concurrency: number;
  /** Each status poll of a vendor batch, with the label of the provider that submitted it. */
  onBatchStatus?: ((providerId: string, status: BatchStatus) => void) | undefined;
}

interface Waiter {
  key: string;
  request: GenerateRequest;
  /** Every work item waiting for this request (identical requests are sent once). */
  settle: Array<{ resolve: (response: GenerateResponse) => void; reject: (error: unknown) => void }>;
}

/** A stored batch still to be read: its vendor id and the item ids it holds that no flush has read yet. */
interface OpenBatch {
  vendorBatchId: string;
  unread: Set<string>;
}

/**
 * The item id of a request in a vendor batch: a digest of the provider label and the whole
 * request (messages, sampling, tools, and its case id and repeat), so a resumed run, rendering
 * the same cases from the same config, makes the same ids and finds them in the batches it
 * submitted before it stopped. 1–64 characters of `[A-Za-z0-9_-]`, as both vendors require.
 */
export function batchItemKey(providerId: string, request: GenerateRequest): string {
  return `i-${createHash('sha256').update(providerId).update('\u0000').update(JSON.stringify(request)).digest('hex').slice(0, 40)}`;
}

/**
 * Runs a plan's calls through vendor batch APIs (`run.batch`). Each work item's call is held
 * instead of made; when every worker of the executor is waiting on a held call (or has
 * finished), the held calls are sent, one `batchGenerate` per provider (`mode: 'api'`), and each
 * item gets its own answer or failure back. A tool loop's next step is held for the next round.
 *
 * A vendor batch is recorded (run, provider, vendor id, item ids) as soon as the vendor holds it;
 * when the run stops, the batch is left running (`keepOnAbort`), and a resume attaches to it by
 * id for the items it holds, instead of submitting them again. A stored batch is marked `ended`
 * once every item it holds has been read.
 */
export class BatchCollector {
  private readonly held = new Map<string, Map<string, Waiter>>();
  private readonly providers = new Map<string, LanguageModelProvider>();
  private waiting = 0;
  private workers = 0;
  private open: Promise<Map<string, OpenBatch[]>> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: BatchCollectorOptions) {}

  /** The provider as the executor's work items see it: its `generate` holds the call for the next batch. */
  wrap(engineProvider: EngineProvider): EngineProvider {
    const inner = engineProvider.provider;
    const label = engineProvider.label;
    this.providers.set(label, inner);
    const held: LanguageModelProvider = {
      contractVersion: inner.contractVersion,
      id: inner.id,
      provider: inner.provider,
      model: inner.model,
      generate: (request) => this.hold(label, request),
      streamGenerate: () => {
        throw new ProviderError({ kind: 'bad-request', providerId: inner.id, message: `${inner.id}: a batch run does not stream; run without --stream.` });
      },
      batchGenerate: (requests, options) => inner.batchGenerate(requests, options),
      getModelInfo: () => inner.getModelInfo(),
      estimateCost: (usage) => inner.estimateCost(usage),
    };
    return { ...engineProvider, provider: held };
  }

  /** A worker of the executor started taking work items. */
  workerStarted(): void {
    this.workers++;
  }

  /** A worker stopped: the held calls may be all that is left. */
  workerEnded(): void {
    this.workers--;
    this.maybeFlush();
  }

  /** Waits for the batches in flight (they settle their items; a stopped run leaves the vendor batches running). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private hold(label: string, request: GenerateRequest): Promise<GenerateResponse> {
    return new Promise((resolve, reject) => {
      if (this.options.signal?.aborted) {
        reject(new ProviderError({ kind: 'cancelled', providerId: label, message: `${label}: the run was stopped.` }));
        return;
      }
      const key = batchItemKey(label, request);
      let queue = this.held.get(label);
      if (!queue) this.held.set(label, (queue = new Map()));
      const waiter = queue.get(key);
      if (waiter) waiter.settle.push({ resolve, reject });
      else queue.set(key, { key, request, settle: [{ resolve, reject }] });
      this.waiting++;
      this.maybeFlush();
    });
  }

  private maybeFlush(): void {
    if (this.waiting === 0 || this.waiting < this.workers) return;
    const round = [...this.held.entries()];
    this.held.clear();
    this.waiting = 0;
    if (this.options.signal?.aborted) {
      // A stopped run submits nothing more: the held calls are dropped (a resume makes them).
      for (const [label, queue] of round) {
        const error = new ProviderError({ kind: 'cancelled', providerId: label, message: `${label}: the run was stopped.` });
        for (const waiter of queue.values()) for (const { reject } of waiter.settle) reject(error);
      }
      return;
    }
    for (const [label, queue] of round) {
      const sending = this.send(label, [...queue.values()]).catch((error: unknown) => {
        for (const waiter of queue.values()) for (const { reject } of waiter.settle) reject(error);
      });
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    }
  }

  /** The run's stored batches not yet read to the end, by provider label (read once). */
  private openBatches(): Promise<Map<string, OpenBatch[]>> {
    this.open ??= this.options.store.listBatches(this.options.runId, 'submitted').then((stored) => {
      const byLabel = new Map<string, OpenBatch[]>();
      for (const batch of stored) {
        const list = byLabel.get(batch.providerId) ?? [];
        list.push({ vendorBatchId: batch.vendorBatchId, unread: new Set(batch.itemKeys) });
        byLabel.set(batch.providerId, list);
      }
      return byLabel;
    });
    return this.open;
  }

  /** Sends one provider's held calls: attached to the stored batches that hold them, the rest as one new batch. */
  private async send(label: string, waiters: Waiter[]): Promise<void> {
    const open = (await this.openBatches()).get(label) ?? [];
    const groups = new Map<OpenBatch | undefined, Waiter[]>();
    for (const waiter of waiters) {
      const stored = open.find((batch) => batch.unread.has(waiter.key));
      const group = groups.get(stored) ?? [];
      group.push(waiter);
      groups.set(stored, group);
    }
    await Promise.all([...groups.entries()].map(([stored, group]) => this.sendGroup(label, group, stored)));
  }

  private async sendGroup(label: string, group: Waiter[], stored: OpenBatch | undefined): Promise<void> {
    const { store, runId, signal } = this.options;
    const provider = this.providers.get(label) as LanguageModelProvider;
    const keys = group.map((waiter) => waiter.key);
    let submitted: string | undefined = stored?.vendorBatchId;
    const results: BatchItemResult[] = await provider.batchGenerate(
      group.map((waiter) => waiter.request),
      {
        mode: 'api',
        itemIds: keys,
        keepOnAbort: true,
        concurrency: this.options.concurrency,
        ...(stored ? { batchId: stored.vendorBatchId } : {}),
        ...(signal ? { signal } : {}),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        onSubmitted: async (vendorBatchId, itemIds) => {
          submitted = vendorBatchId;
          await store.recordBatch({ runId, providerId: label, vendorBatchId, itemKeys: itemIds });
        },
        ...(this.options.onBatchStatus ? { onBatchStatus: (status: BatchStatus) => this.options.onBatchStatus?.(label, status) } : {}),
      },
    );
    group.forEach((waiter, index) => {
      const result = results[index];
      for (const { resolve, reject } of waiter.settle) {
        if (result?.ok) resolve(result.response);
        else reject(result?.error ?? new ProviderError({ kind: 'invalid-response', providerId: label, message: `${label}: the batch returned no result for this request.` }));
      }
    });
    if (submitted === undefined || signal?.aborted) return;
    // Read to the end: a resume need not attach to it again.
    if (stored) for (const key of keys) stored.unread.delete(key);
    if (!stored || stored.unread.size === 0) await store.updateBatchStatus(runId, submitted, 'ended');
  }
}
