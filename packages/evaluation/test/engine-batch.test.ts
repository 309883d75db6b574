import { describe, expect, it } from '@jest/globals';
import { MockProvider, ProviderError, type BatchItemResult, type BatchOptions, type GenerateRequest } from '@llm-lab/core';
import { executePlan, planRun, type EngineProvider, type NewResult, type RunBatchStore } from '../src/index.js';
import { makeConfig, MemoryStore, writeQuestions } from './helpers.js';

// The executor's batch mode (run.batch) with a provider that plays a vendor batch API: it counts
// the batches it is given, "submits" each one (onSubmitted), and can be stopped after submitting.

interface SentBatch {
  size: number;
  itemIds: string[];
  batchId: string | undefined;
  mode: BatchOptions['mode'];
}

/** A mock model whose batchGenerate acts like a vendor batch API: submit (recorded), then answer. */
class BatchingMock extends MockProvider {
  readonly sent: SentBatch[] = [];
  /** When set, the batch is submitted and then the caller is stopped (as a run killed mid-batch). */
  stopAfterSubmit: AbortController | undefined;
  private submitted = 0;

  override async batchGenerate(requests: GenerateRequest[], options: BatchOptions = {}): Promise<BatchItemResult[]> {
    this.sent.push({ size: requests.length, itemIds: options.itemIds ?? [], batchId: options.batchId, mode: options.mode });
    if (options.batchId === undefined) {
      this.submitted += 1;
      await options.onSubmitted?.(`vb-${this.model}-${this.submitted}`, options.itemIds ?? []);
    }
    this.stopAfterSubmit?.abort();
    if (options.signal?.aborted) {
      const error = new ProviderError({ kind: 'cancelled', providerId: this.id, message: 'stopped' });
      return requests.map(() => ({ ok: false, error }));
    }
    return Promise.all(requests.map(async (request) => ({ ok: true as const, response: await this.generate(request) })));
  }
}

class MemoryBatchStore implements RunBatchStore {
  readonly rows: Array<{ runId: string; providerId: string; vendorBatchId: string; itemKeys: string[]; status: 'submitted' | 'ended'; createdAt: Date }> = [];
  async recordBatch(batch: { runId: string; providerId: string; vendorBatchId: string; itemKeys: string[] }): Promise<void> {
    if (!this.rows.some((row) => row.runId === batch.runId && row.vendorBatchId === batch.vendorBatchId)) this.rows.push({ ...batch, status: 'submitted', createdAt: new Date() });
  }
  async listBatches(runId: string, status?: 'submitted' | 'ended') {
    return this.rows.filter((row) => row.runId === runId && (status === undefined || row.status === status));
  }
  async updateBatchStatus(runId: string, vendorBatchId: string, status: 'submitted' | 'ended'): Promise<void> {
    for (const row of this.rows) if (row.runId === runId && row.vendorBatchId === vendorBatchId) row.status = status;
  }
}

const config = makeConfig({ dataset: { path: 'cases.jsonl' }, prompts: ['Q: {{question}}'], evaluators: [{ type: 'equals', value: '{{answer}}' }] });
const comparable = ({ latencyMs: _latency, queueMs: _queue, timeToFirstTokenMs: _ttft, ...rest }: NewResult) => rest;
const sorted = (rows: NewResult[]) => rows.map(comparable).sort((a, b) => a.caseIndex - b.caseIndex || a.providerId.localeCompare(b.providerId));

describe('executePlan with batch', () => {
  it('sends rounds of at most `size` held calls, one batch per provider per round, and stores what ordinary calls store', async () => {
    const { dir } = await writeQuestions(10);
    const plan = await planRun({ runId: 'run-b', config, baseDir: dir, providers: ['mock:student', 'mock:echo'], repeat: 1 });
    const student = new BatchingMock('student', { mode: 'field', field: 'answer', accuracy: 0.7, seed: 42 });
    const echo = new BatchingMock('echo', {});
    const batched: EngineProvider[] = [
      { label: 'mock:student', provider: student, settings: {} },
      { label: 'mock:echo', provider: echo, settings: {} },
    ];
    const store = new MemoryStore();
    const batches = new MemoryBatchStore();
    const outcome = await executePlan({ plan, config, baseDir: dir, providers: batched, store, concurrency: 2, batch: { size: 4, store: batches } });
    expect(outcome).toMatchObject({ status: 'completed', executed: 20 });
    const sent = [...student.sent, ...echo.sent];
    expect(sent.every((batch) => batch.mode === 'api' && batch.size <= 4 && batch.batchId === undefined)).toBe(true);
    expect(student.sent.reduce((sum, batch) => sum + batch.size, 0)).toBe(10);
    expect(echo.sent.reduce((sum, batch) => sum + batch.size, 0)).toBe(10);
    // Rounds of 4 held calls over 20 work items: at least 5 rounds, so several batches per provider.
    expect(sent.length).toBeGreaterThanOrEqual(6);
    // Every batch was recorded, and marked ended once read.
    expect(batches.rows).toHaveLength(sent.length);
    expect(batches.rows.every((row) => row.status === 'ended')).toBe(true);

    const plain = new MemoryStore();
    const ordinary: EngineProvider[] = [
      { label: 'mock:student', provider: new MockProvider('student', { mode: 'field', field: 'answer', accuracy: 0.7, seed: 42 }), settings: {} },
      { label: 'mock:echo', provider: new MockProvider('echo', {}), settings: {} },
    ];
    await executePlan({ plan, config, baseDir: dir, providers: ordinary, store: plain, concurrency: 2 });
    expect(sorted(store.results('run-b'))).toEqual(sorted(plain.results('run-b')));
  });

  it('a run stopped after submitting attaches to its recorded batch on resume instead of submitting the items again', async () => {
    const { dir } = await writeQuestions(6);
    const plan = await planRun({ runId: 'run-r', config, baseDir: dir, providers: ['mock:echo'], repeat: 1 });
    const echo = new BatchingMock('echo', {});
    const store = new MemoryStore();
    const batches = new MemoryBatchStore();
    const controller = new AbortController();
    echo.stopAfterSubmit = controller;
    const stopped = await executePlan({
      plan,
      config,
      baseDir: dir,
      providers: [{ label: 'mock:echo', provider: echo, settings: {} }],
      store,
      concurrency: 1,
      signal: controller.signal,
      batch: { size: 10, store: batches },
    });
    expect(stopped.status).toBe('cancelled');
    expect(store.results('run-r')).toHaveLength(0);
    expect(batches.rows.map((row) => [row.vendorBatchId, row.itemKeys.length, row.status])).toEqual([['vb-echo-1', 6, 'submitted']]);

    echo.stopAfterSubmit = undefined;
    const resumed = await executePlan({
      plan,
      config,
      baseDir: dir,
      providers: [{ label: 'mock:echo', provider: echo, settings: {} }],
      store,
      concurrency: 1,
      resume: true,
      batch: { size: 10, store: batches },
    });
    expect(resumed).toMatchObject({ status: 'completed', executed: 6 });
    expect(echo.sent.at(-1)).toMatchObject({ batchId: 'vb-echo-1', size: 6, itemIds: batches.rows[0]?.itemKeys });
    expect(echo.sent.filter((batch) => batch.batchId === undefined)).toHaveLength(1);
    expect(batches.rows[0]?.status).toBe('ended');
  });

  it('refuses a streaming plan and a batch size that is not a positive integer', async () => {
    const { dir } = await writeQuestions(1);
    const streaming = await planRun({ runId: 'run-s', config, baseDir: dir, providers: ['mock:echo'], repeat: 1, stream: true });
    const run = (plan: typeof streaming, size: number) =>
      executePlan({ plan, config, baseDir: dir, providers: [{ label: 'mock:echo', provider: new MockProvider('echo', {}), settings: {} }], store: new MemoryStore(), concurrency: 1, batch: { size, store: new MemoryBatchStore() } });
    await expect(run(streaming, 10)).rejects.toThrow(/batch run cannot/);
    await expect(run({ ...streaming, stream: false }, 0)).rejects.toThrow(/run.batchSize: expected a positive integer, got 0/);
  });
});
