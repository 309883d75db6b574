/**
 * The fake server's Message Batches store: batches as Anthropic's Message Batches API describes
 * them (POST /v1/messages/batches, GET /v1/messages/batches/{id}, its `results_url` as JSONL,
 * POST …/cancel), ending `processingMs` after creation.
 */
import type { AnthropicFault } from './anthropic-faults.js';
import type { AnthropicErrorBody, FakeAnthropicReply, MessagesRequestBody } from './anthropic-wire.js';
import { anthropicErrorWire, messageWire } from './anthropic-wire.js';

/** One request inside a batch, as sent. */
export interface FakeBatchRequest {
  custom_id: string;
  params: MessagesRequestBody;
}

/** The outcome of one batch request, as a results line carries it. */
export type FakeBatchResult =
  | { type: 'succeeded'; message: ReturnType<typeof messageWire> }
  | { type: 'errored'; error: AnthropicErrorBody }
  | { type: 'canceled' }
  | { type: 'expired' };

/** A batch held by the fake server. */
export interface FakeBatch {
  id: string;
  requests: FakeBatchRequest[];
  createdAt: number;
  /** `Date.now()` at which processing ends (unless cancelled earlier). */
  endsAt: number;
  cancelInitiatedAt?: number;
  endedAt?: number;
  /** The `anthropic-version` the batch was created with (it decides how each request is validated). */
  apiVersion: string;
  /** The fault drawn for each request when the batch was created (an injected per-item failure), if any. */
  itemFaults: Array<AnthropicFault | undefined>;
  /** Set once processing has ended, in request order. */
  results?: Array<{ custom_id: string; result: FakeBatchResult }>;
}

/** What the store needs from the server to produce one request's result. */
export type BatchItemProducer = (request: FakeBatchRequest, fault: AnthropicFault | undefined, batch: FakeBatch) => Promise<
  { reply: FakeAnthropicReply; messageId: string } | { error: AnthropicErrorBody }
>;

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Checks a create-batch body; returns the error message Anthropic would send, or undefined when valid. */
export function batchCreateError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'requests: Field required';
  const requests = (body as { requests?: unknown }).requests;
  if (requests === undefined) return 'requests: Field required';
  if (!Array.isArray(requests)) return 'requests: Input should be a valid list';
  if (requests.length === 0) return 'requests: List should have at least 1 item after validation, not 0';
  if (requests.length > 100_000) return 'requests: List should have at most 100000 items';
  const seen = new Set<string>();
  for (const [index, request] of requests.entries()) {
    if (typeof request !== 'object' || request === null) return `requests.${index}: Input should be a valid dictionary`;
    const { custom_id: customId, params } = request as { custom_id?: unknown; params?: unknown };
    if (typeof customId !== 'string') return `requests.${index}.custom_id: Field required`;
    if (!CUSTOM_ID.test(customId)) return `requests.${index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
    if (seen.has(customId)) return `requests.${index}.custom_id: Duplicate custom_id '${customId}'. Each request in a batch needs a unique custom_id.`;
    seen.add(customId);
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return `requests.${index}.params: Field required`;
  }
  return undefined;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The `message_batch` object for a batch. */
export function batchWire(batch: FakeBatch, baseUrl: string) {
  const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  if (batch.results) {
    for (const { result } of batch.results) counts[result.type] += 1;
  } else {
    counts.processing = batch.requests.length;
  }
  return {
    id: batch.id,
    type: 'message_batch' as const,
    processing_status: batch.results ? ('ended' as const) : batch.cancelInitiatedAt !== undefined ? ('canceling' as const) : ('in_progress' as const),
    request_counts: counts,
    ended_at: iso(batch.endedAt),
    created_at: iso(batch.createdAt) as string,
    expires_at: iso(batch.createdAt + 24 * 3_600_000) as string,
    archived_at: null,
    cancel_initiated_at: iso(batch.cancelInitiatedAt),
    results_url: batch.results ? `${baseUrl}/v1/messages/batches/${batch.id}/results` : null,
  };
}

/**
 * Ends the batch when its time has come (or it was cancelled): produces each request's result
 * once, through `produce`, and records it. Concurrent callers share one computation.
 */
export class FakeBatchStore {
  private readonly batches = new Map<string, FakeBatch>();
  private readonly finishing = new Map<string, Promise<void>>();

  constructor(private readonly produce: BatchItemProducer) {}

  add(batch: FakeBatch): void {
    this.batches.set(batch.id, batch);
  }

  get(id: string): FakeBatch | undefined {
    return this.batches.get(id);
  }

  /** Every batch, oldest first. */
  list(): FakeBatch[] {
    return [...this.batches.values()];
  }

  clear(): void {
    this.batches.clear();
    this.finishing.clear();
  }

  /** Brings the batch up to date: ends it when `now` is past its end or it is being cancelled. */
  async refresh(batch: FakeBatch, now: number = Date.now()): Promise<void> {
    if (batch.results) return;
    if (now < batch.endsAt && batch.cancelInitiatedAt === undefined) return;
    let pending = this.finishing.get(batch.id);
    if (!pending) {
      pending = this.finish(batch);
      this.finishing.set(batch.id, pending);
    }
    await pending;
  }

  private async finish(batch: FakeBatch): Promise<void> {
    const results: NonNullable<FakeBatch['results']> = [];
    for (const [index, request] of batch.requests.entries()) {
      if (batch.cancelInitiatedAt !== undefined) {
        results.push({ custom_id: request.custom_id, result: { type: 'canceled' } });
        continue;
      }
      let outcome: Awaited<ReturnType<BatchItemProducer>>;
      try {
        outcome = await this.produce(request, batch.itemFaults[index], batch);
      } catch (error) {
        const message = `The fake server's responder failed: ${error instanceof Error ? error.message : String(error)}`;
        outcome = { error: anthropicErrorWire('api_error', message) };
      }
      results.push({
        custom_id: request.custom_id,
        result:
          'error' in outcome
            ? { type: 'errored', error: outcome.error }
            : { type: 'succeeded', message: messageWire(outcome.messageId, request.params, outcome.reply, 'batch') },
      });
    }
    batch.results = results;
    batch.endedAt = Date.now();
  }
}
