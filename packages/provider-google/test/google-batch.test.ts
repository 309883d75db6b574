import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isProviderError, type BatchItemResult, type GenerateRequest, type ProviderError } from '@llm-lab/core';
import { startFakeGeminiServer, type FakeGeminiServer } from '@llm-lab/provider-testkit';
import { createGoogle, googleProvider } from '../src/index.js';

const API_KEY = 'AIzaSyBatchModeTest0123456789abcdefghij';
const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({ messages: [{ role: 'user', content }], ...extra });
const fast = { pollIntervalMs: 10, maxPollIntervalMs: 40 };

function errorOf(result: BatchItemResult | undefined): ProviderError {
  if (!result || result.ok || !isProviderError(result.error)) throw new Error(`expected a failed item with a ProviderError, got ${JSON.stringify(result)}`);
  return result.error;
}

describe("batchGenerate through the Gemini API's Batch Mode (fake Gemini server, @google/genai)", () => {
  let server: FakeGeminiServer;

  beforeAll(async () => {
    server = await startFakeGeminiServer({ apiKey: API_KEY, batch: { pendingMs: 10, processingMs: 30 } });
  });
  afterEach(() => {
    server.reset();
    server.setBatchLineFault(undefined);
    server.setBatchProcessingMs(30);
  });
  afterAll(() => server.close());

  it('sends inlined requests keyed by item, polls the job, and maps responses and errors back at half price', async () => {
    const model = createGoogle({ baseURL: server.url, apiKey: API_KEY }).chat('gemini-2.5-flash');
    expect(model.getModelInfo().capabilities.batch).toBe(true);
    server.setBatchLineFault(({ index }) => (index === 2 ? { code: 8, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } : undefined));
    const prompts = ['red', 'green', 'blue', 'violet', 'amber'];
    const statuses: string[] = [];
    const results = await model.batchGenerate(
      prompts.map((prompt, index) => ask(prompt, index === 3 ? { temperature: 9 } : { temperature: 0, systemPrompt: 'Echo.' } as Partial<GenerateRequest>)),
      { mode: 'api', ...fast, onBatchStatus: (status) => statuses.push(status.status) },
    );
    expect(results.map((result) => result.ok)).toEqual([true, true, false, false, true]);
    for (const index of [0, 1, 4]) {
      const result = results[index];
      if (!result?.ok) throw new Error(`item ${index} failed`);
      expect(result.response).toMatchObject({ text: prompts[index], providerId: 'google:gemini-2.5-flash' });
      const listPrice = model.estimateCost(result.response.usage);
      expect(result.response.cost?.totalUsd).toBeCloseTo((listPrice?.totalUsd ?? NaN) / 2, 15);
    }
    // One request failed in the job with an error Status, another was invalid and never sent.
    expect(errorOf(results[2])).toMatchObject({ kind: 'rate-limit', statusCode: 429, vendorCode: 'RESOURCE_EXHAUSTED' });
    expect(errorOf(results[2]).message).toContain('Batch Mode job batches/');
    expect(errorOf(results[3])).toMatchObject({ kind: 'bad-request' });

    const created = server.requests.filter((request) => request.method === 'POST' && request.path === '/v1beta/models/gemini-2.5-flash:batchGenerateContent');
    expect(created).toHaveLength(1);
    const batch = (created[0]?.body as { batch: { displayName: string; inputConfig: { requests: { requests: Array<{ request: { contents: unknown }; metadata: { key: string } }> } } } }).batch;
    expect(batch.displayName).toContain('google:gemini-2.5-flash');
    expect(batch.inputConfig.requests.requests.map((item) => item.metadata.key)).toEqual(['llm-lab-0', 'llm-lab-1', 'llm-lab-2', 'llm-lab-4']);
    expect(server.requests.some((request) => request.path.endsWith(':generateContent'))).toBe(false);
    expect(statuses.at(-1)).toBe('JOB_STATE_SUCCEEDED');
    expect(statuses).toContain('JOB_STATE_PENDING');
  });

  it('attaches to a submitted job by name instead of paying twice, and keeps it on an abort when asked', async () => {
    const model = createGoogle({ baseURL: server.url, apiKey: API_KEY, batch: { mode: 'api', ...fast } }).chat('gemini-2.5-flash');
    server.setBatchProcessingMs(3_600_000);
    const controller = new AbortController();
    let submitted: string | undefined;
    const first = model.batchGenerate([ask('kept one'), ask('kept two')], {
      itemIds: ['case-1', 'case-2'],
      keepOnAbort: true,
      signal: controller.signal,
      onSubmitted: (name) => {
        submitted = name;
        controller.abort();
      },
    });
    const stopped = await first;
    expect(stopped.every((result) => !result.ok && isProviderError(result.error) && result.error.kind === 'cancelled')).toBe(true);
    expect(submitted).toMatch(/^batches\//);
    expect(server.batches.at(-1)).toMatchObject({ metadata: { state: expect.stringMatching(/PENDING|RUNNING/) } });

    server.setBatchProcessingMs(0);
    const again = await model.batchGenerate([ask('kept one'), ask('kept two')], { itemIds: ['case-1', 'case-2'], batchId: submitted! });
    expect(again.map((result) => (result.ok ? result.response.text : 'failed'))).toEqual(['kept one', 'kept two']);
    expect(server.requests.filter((request) => request.path.endsWith(':batchGenerateContent'))).toHaveLength(1);
    expect(server.requests.some((request) => request.path.endsWith(':cancel'))).toBe(false);
  });

  it('cancels the job when the wait runs out, and fails its items with a timeout', async () => {
    const model = createGoogle({ baseURL: server.url, apiKey: API_KEY }).chat('gemini-2.5-flash');
    server.setBatchProcessingMs(3_600_000);
    const results = await model.batchGenerate([ask('slow')], { mode: 'api', ...fast, maxWaitMs: 60 });
    expect(errorOf(results[0])).toMatchObject({ kind: 'timeout' });
    expect(errorOf(results[0]).message).toContain('batch.maxWaitMs');
    expect(server.requests.filter((request) => request.method === 'POST' && request.path.endsWith(':cancel'))).toHaveLength(1);
    expect(server.batches.at(-1)).toMatchObject({ done: true, metadata: { state: 'BATCH_STATE_CANCELLED' } });
  });

  it('runs concurrent generateContent calls unless the Batch Mode is asked for, and the family claims the capability', async () => {
    const model = createGoogle({ baseURL: server.url, apiKey: API_KEY }).chat('gemini-2.5-flash');
    const results = await model.batchGenerate([ask('one'), ask('two')]);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.requests.map((request) => request.path)).toEqual(['/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-flash:generateContent']);
    expect(googleProvider.capabilities?.batch).toBe(true);
  });
});
