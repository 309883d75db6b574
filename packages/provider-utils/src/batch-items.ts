import { ProviderError, type BatchItemResult, type GenerateRequest, type ProviderWarning } from '@llm-lab/core';

/** A request of a batch that was built and waits for the vendor's answer. */
export interface PendingBatchItem<T> {
  /** Its place in the caller's requests. */
  index: number;
  warnings: ProviderWarning[];
  /** What `build` made of it (the vendor's request line). */
  built: T;
}

/** The bookkeeping of one vendor batch: built items by id, and the results so far. */
export interface BatchItems<T> {
  /** Item id → the item; in request order. */
  pending: Map<string, PendingBatchItem<T>>;
  results: Array<BatchItemResult | undefined>;
  /** Fills every item still without a result with `unresolved(item)`, and returns all results in request order. */
  finish(unresolved: (item: PendingBatchItem<T>) => Error): BatchItemResult[];
}

/**
 * Prepares the requests of a vendor batch (OpenAI's and Azure's Batch API, Gemini's Batch
 * Mode): each request gets its item id (`itemIds[index]`, else `<prefix><index>`) and is built
 * by `build`; a request that fails to build, or repeats an id, fails in its place before anything
 * is sent. Wrong `itemIds` (not one per request) fail every item, and `pending` is empty then.
 */
export function prepareBatchItems<T>(
  requests: readonly GenerateRequest[],
  options: { providerId: string; itemIds?: readonly string[] | undefined; idPrefix: string; build: (request: GenerateRequest) => { built: T; warnings: ProviderWarning[] } },
): BatchItems<T> {
  const { providerId, itemIds } = options;
  const results = new Array<BatchItemResult | undefined>(requests.length);
  const pending = new Map<string, PendingBatchItem<T>>();
  const finish = (unresolved: (item: PendingBatchItem<T>) => Error): BatchItemResult[] => {
    for (const item of pending.values()) results[item.index] ??= { ok: false, error: unresolved(item) };
    return results as BatchItemResult[];
  };
  const badRequest = (message: string) => new ProviderError({ kind: 'bad-request', providerId, message: `${providerId}: ${message}` });
  if (itemIds !== undefined && itemIds.length !== requests.length) {
    const error = badRequest(`itemIds has ${itemIds.length} ids for ${requests.length} requests; give one id per request.`);
    results.fill({ ok: false, error });
    return { pending, results, finish };
  }
  requests.forEach((request, index) => {
    try {
      const { built, warnings } = options.build(request);
      const id = itemIds?.[index] ?? `${options.idPrefix}${index}`;
      if (pending.has(id)) throw badRequest(`item id '${id}' is given twice; item ids must be unique in a batch.`);
      pending.set(id, { index, warnings, built });
    } catch (error) {
      results[index] = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  });
  return { pending, results, finish };
}
