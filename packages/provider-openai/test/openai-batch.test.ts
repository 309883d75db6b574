import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isProviderError, type BatchItemResult, type GenerateRequest, type ProviderError } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createOpenAI, type OpenAIBatchProgress } from '../src/index.js';

const API_KEY = 'sk-batch-test-0123456789abcdef';
const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({ messages: [{ role: 'user', content }], ...extra });
const fast = { pollIntervalMs: 10, maxPollIntervalMs: 40 };

function errorOf(result: BatchItemResult | undefined): ProviderError {
  if (!result || result.ok || !isProviderError(result.error)) throw new Error(`expected a failed item with a ProviderError, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('batchGenerate through the OpenAI Batch API (fake server, real SDK)', () => {
  let server: FakeOpenAIServer;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY, batch: { validatingMs: 20, processingMs: 40 } });
  });
  afterEach(() => {
    server.reset();
    server.setBatchLineFault(undefined);
  });
  afterAll(() => server.close());

  it('uploads JSONL, creates a 24h batch, polls, and maps shuffled results back to request order', async () => {
    const model = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o-mini');
    server.setBatchLineFault(({ customId }) =>
      customId === 'llm-lab-3' ? { type: 'http-error', status: 500 } : customId === 'llm-lab-4' ? { type: 'line-error', code: 'internal_error', message: 'boom' } : undefined,
    );
    const prompts = ['alpha one', 'beta two', 'gamma three', 'delta four', 'epsilon five', 'zeta six'];
    const progress: OpenAIBatchProgress[] = [];
    const results = await model.batchGenerate(
      prompts.map((prompt, index) => ask(prompt, index === 2 ? { temperature: 5 } : { temperature: 0 })),
      { mode: 'api', ...fast, onProgress: (update) => progress.push(update) },
    );

    expect(results.map((result) => result.ok)).toEqual([true, true, false, false, false, true]);
    for (const index of [0, 1, 5]) {
      const result = results[index];
      if (!result?.ok) throw new Error(`item ${index} failed`);
      expect(result.response.text).toBe(prompts[index]);
      expect(result.response.providerId).toBe('openai:gpt-4o-mini');
      // The Batch API costs half the list price.
      const listPrice = model.estimateCost(result.response.usage);
      expect(result.response.cost?.totalUsd).toBeCloseTo((listPrice?.totalUsd ?? NaN) / 2, 15);
    }
    // Invalid locally: never sent.
    expect(errorOf(results[2])).toMatchObject({ kind: 'bad-request' });
    expect(errorOf(results[2]).message).toContain('temperature');
    // An HTTP failure of one line, and a line-level error.
    expect(errorOf(results[3])).toMatchObject({ kind: 'server', statusCode: 500, isRetryable: true });
    expect(errorOf(results[4])).toMatchObject({ kind: 'server', vendorCode: 'internal_error' });
    expect(errorOf(results[4]).message).toContain('boom');

    const upload = server.requests.find((request) => request.method === 'POST' && request.path === '/v1/files');
    expect(String(upload?.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload?.rawBody).toContain('name="purpose"\r\n\r\nbatch');
    const jsonl = upload?.rawBody.split('\n').filter((line) => line.startsWith('{"custom_id"')) ?? [];
    expect(jsonl.map((line) => JSON.parse(line) as { custom_id: string; method: string; url: string; body: { model: string } })).toEqual(
      [0, 1, 3, 4, 5].map((index) => ({
        custom_id: `llm-lab-${index}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompts[index] }], temperature: 0 },
      })),
    );
    const created = server.requests.find((request) => request.method === 'POST' && request.path === '/v1/batches');
    expect(created?.body).toMatchObject({ endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(server.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/content'))).toHaveLength(2);
    expect(progress[progress.length - 1]).toMatchObject({ status: 'completed', total: 5, completed: 3, failed: 2 });
    expect(server.requests.some((request) => request.path === '/v1/chat/completions')).toBe(false);
  });

  it('uses the Batch API when the config says so, and concurrent calls by default', async () => {
    const viaConfig = createOpenAI({ baseURL: server.url, apiKey: API_KEY, batch: { mode: 'api', ...fast } }).chat('gpt-4o');
    const results = await viaConfig.batchGenerate([ask('one'), ask('two')]);
    expect(results.map((result) => (result.ok ? result.response.text : 'failed'))).toEqual(['one', 'two']);
    expect(server.requests.filter((request) => request.path === '/v1/batches')).toHaveLength(1);

    server.reset();
    const byDefault = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o');
    await byDefault.batchGenerate([ask('one'), ask('two')]);
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    // A per-call mode overrides the config.
    server.reset();
    await viaConfig.batchGenerate([ask('three')], { mode: 'concurrent' });
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });

  it('cancels a batch that outlives maxWaitMs and reports every item as a timeout', async () => {
    const slow = await startFakeOpenAIServer({ batch: { validatingMs: 10, processingMs: 60_000 } });
    try {
      const model = createOpenAI({ baseURL: slow.url }).chat('gpt-4o-mini');
      const results = await model.batchGenerate([ask('a'), ask('b')], { mode: 'api', ...fast, maxWaitMs: 200 });
      for (const result of results) {
        const error = errorOf(result);
        expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
        expect(error.message).toContain('200 ms');
        expect(error.message).toMatch(/batch_\w+/);
      }
      expect(slow.requests.some((request) => request.method === 'POST' && /^\/v1\/batches\/[^/]+\/cancel$/.test(request.path))).toBe(true);
      expect(slow.batches[0]?.status).toBe('cancelling');
    } finally {
      await slow.close();
    }
  });

  it('an aborted batch is cancelled at OpenAI and every item is cancelled', async () => {
    const slow = await startFakeOpenAIServer({ batch: { validatingMs: 10, processingMs: 60_000 } });
    try {
      const model = createOpenAI({ baseURL: slow.url }).chat('gpt-4o-mini');
      const controller = new AbortController();
      // Abort once the batch exists at OpenAI (a fixed delay can fire before it is created on a busy machine).
      const watcher = setInterval(() => {
        if (slow.batches.length > 0) {
          clearInterval(watcher);
          controller.abort();
        }
      }, 5);
      const results = await model.batchGenerate([ask('a'), ask('b')], { mode: 'api', ...fast, signal: controller.signal });
      clearInterval(watcher);
      expect(results.map((result) => errorOf(result).kind)).toEqual(['cancelled', 'cancelled']);
      expect(slow.requests.some((request) => request.path.endsWith('/cancel'))).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('records a submitted batch, leaves it running when stopped (keepOnAbort), and attaches to it by id without a second job', async () => {
    const slow = await startFakeOpenAIServer({ batch: { validatingMs: 0, processingMs: 60_000 } });
    try {
      const model = createOpenAI({ baseURL: slow.url }).chat('gpt-4o-mini');
      const controller = new AbortController();
      const recorded: Array<{ batchId: string; itemIds: string[] }> = [];
      const stopped = await model.batchGenerate([ask('one'), ask('two'), ask('three')], {
        mode: 'api',
        ...fast,
        itemIds: ['case-1', 'case-2', 'case-3'],
        keepOnAbort: true,
        signal: controller.signal,
        onSubmitted: (batchId, itemIds) => {
          recorded.push({ batchId, itemIds });
          controller.abort();
        },
      });
      expect(stopped.map((result) => errorOf(result).kind)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(recorded).toEqual([{ batchId: slow.batches[0]?.id, itemIds: ['case-1', 'case-2', 'case-3'] }]);
      expect(slow.requests.some((request) => request.path.endsWith('/cancel'))).toBe(false);

      // Later: the job ended while nobody waited. Attach for two of its items, in another order.
      slow.setBatchProcessingMs(0);
      const attached = await model.batchGenerate([ask('three'), ask('one'), ask('four')], { mode: 'api', ...fast, batchId: recorded[0]!.batchId, itemIds: ['case-3', 'case-1', 'case-4'] });
      expect(attached.slice(0, 2).map((result) => (result.ok ? result.response.text : null))).toEqual(['three', 'one']);
      // An item the job was not submitted with cannot be read from it.
      expect(errorOf(attached[2]).message).toContain('holds no request with this item id');
      expect(slow.batches).toHaveLength(1);
      expect(slow.requests.filter((request) => request.path === '/v1/files')).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('cancels the job and fails every item when recording it fails (a job nobody can find is not left running)', async () => {
    const slow = await startFakeOpenAIServer({ batch: { validatingMs: 0, processingMs: 60_000 } });
    try {
      const model = createOpenAI({ baseURL: slow.url }).chat('gpt-4o-mini');
      const results = await model.batchGenerate([ask('a'), ask('b')], {
        mode: 'api',
        ...fast,
        onSubmitted: () => {
          throw new Error('the database is down');
        },
      });
      for (const result of results) expect(errorOf(result).message).toContain('recording its id failed (the database is down)');
      expect(slow.requests.filter((request) => request.path.endsWith('/cancel'))).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('an expired batch keeps the answers it has and reports the rest as batch_expired timeouts', async () => {
    const expiring = await startFakeOpenAIServer({ batch: { validatingMs: 10, processingMs: 10, expireAfterLines: 2 } });
    try {
      const model = createOpenAI({ baseURL: expiring.url }).chat('gpt-4o-mini');
      const results = await model.batchGenerate([ask('a'), ask('b'), ask('c')], { mode: 'api', ...fast });
      expect(results.map((result) => result.ok)).toEqual([true, true, false]);
      expect(errorOf(results[2])).toMatchObject({ kind: 'timeout', vendorCode: 'batch_expired' });
    } finally {
      await expiring.close();
    }
  });

  it('a rejected upload fails every item with the classified error', async () => {
    const model = createOpenAI({ baseURL: server.url, apiKey: 'sk-wrong-key-0123456789abcdef' }).chat('gpt-4o-mini');
    const results = await model.batchGenerate([ask('a'), ask('b')], { mode: 'api', ...fast });
    for (const result of results) expect(errorOf(result)).toMatchObject({ kind: 'authentication', statusCode: 401 });
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/files']);
  });
});
