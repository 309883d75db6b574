import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isProviderError, type BatchItemResult, type GenerateRequest, type ProviderError } from '@llm-lab/core';
import { startFakeAzureOpenAIServer, type FakeAzureOpenAIServer } from '@llm-lab/provider-testkit';
import { AZURE_DEFAULT_API_VERSION, azureProvider, createAzure } from '../src/index.js';

const API_KEY = 'azure-batch-key-0123456789abcdef';
const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({ messages: [{ role: 'user', content }], ...extra });
const fast = { pollIntervalMs: 10, maxPollIntervalMs: 40 };

function errorOf(result: BatchItemResult | undefined): ProviderError {
  if (!result || result.ok || !isProviderError(result.error)) throw new Error(`expected a failed item with a ProviderError, got ${JSON.stringify(result)}`);
  return result.error;
}

describe("batchGenerate through Azure OpenAI's Batch API (fake Azure server, real AzureOpenAI client)", () => {
  let server: FakeAzureOpenAIServer;

  beforeAll(async () => {
    server = await startFakeAzureOpenAIServer({ apiKey: API_KEY, deployments: { 'batch-4o-mini': 'gpt-4o-mini-2024-07-18' }, batch: { validatingMs: 20, processingMs: 40 } });
  });
  afterEach(() => {
    server.reset();
    server.setBatchLineFault(undefined);
  });
  afterAll(() => server.close());

  it("uploads /chat/completions lines naming the deployment under /openai, and maps results back at half the deployment model's price", async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY, model: 'gpt-4o-mini' }).chat('batch-4o-mini');
    expect(model.getModelInfo().capabilities.batch).toBe(true);
    server.setBatchLineFault(({ customId }) => (customId === 'llm-lab-2' ? { type: 'http-error', status: 429 } : undefined));
    const prompts = ['north', 'south', 'east', 'west'];
    const results = await model.batchGenerate(prompts.map((prompt) => ask(prompt, { temperature: 0 })), { mode: 'api', ...fast });

    expect(results.map((result) => result.ok)).toEqual([true, true, false, true]);
    for (const index of [0, 1, 3]) {
      const result = results[index];
      if (!result?.ok) throw new Error(`item ${index} failed`);
      expect(result.response).toMatchObject({ text: prompts[index], providerId: 'azure:batch-4o-mini', model: 'gpt-4o-mini-2024-07-18' });
      const listPrice = model.estimateCost(result.response.usage);
      expect(result.response.cost?.totalUsd).toBeCloseTo((listPrice?.totalUsd ?? NaN) / 2, 15);
    }
    expect(errorOf(results[2])).toMatchObject({ kind: 'rate-limit', statusCode: 429 });

    const upload = server.requests.find((request) => request.method === 'POST' && request.path === '/openai/files');
    expect(upload?.query).toEqual({ 'api-version': AZURE_DEFAULT_API_VERSION });
    expect(upload?.headers['api-key']).toBe(API_KEY);
    const lines = (upload?.rawBody.split('\n').filter((line) => line.startsWith('{"custom_id"')) ?? []).map((line) => JSON.parse(line) as { url: string; body: { model: string } });
    expect(lines.map((line) => [line.url, line.body.model])).toEqual(prompts.map(() => ['/chat/completions', 'batch-4o-mini']));
    const created = server.requests.find((request) => request.method === 'POST' && request.path === '/openai/batches');
    expect(created?.body).toMatchObject({ endpoint: '/chat/completions', completion_window: '24h' });
    expect(server.requests.filter((request) => request.path.startsWith('/openai/deployments/'))).toEqual([]);
  });

  it('fails every item with the validation error when the deployment is not a (global-batch) deployment of the resource', async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY, model: 'gpt-4o-mini' }).chat('standard-4o-mini');
    const results = await model.batchGenerate([ask('one'), ask('two')], { mode: 'api', ...fast });
    for (const result of results) {
      const error = errorOf(result);
      expect(error).toMatchObject({ kind: 'bad-request', vendorCode: 'model_not_found' });
      expect(error.message).toContain("does not exist in the Azure OpenAI resource");
      expect(error.message).toContain('Fix the requests named');
    }
  });

  it('attaches to a submitted job by id instead of paying twice', async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY, model: 'gpt-4o-mini', batch: { mode: 'api', ...fast } }).chat('batch-4o-mini');
    let submitted: string | undefined;
    const first = await model.batchGenerate([ask('kept')], { itemIds: ['case-1'], onSubmitted: (id) => void (submitted = id) });
    expect(first[0]?.ok).toBe(true);
    const again = await model.batchGenerate([ask('kept')], { itemIds: ['case-1'], batchId: submitted! });
    expect(again[0]).toMatchObject({ ok: true, response: { text: 'kept' } });
    expect(server.requests.filter((request) => request.method === 'POST' && request.path === '/openai/batches')).toHaveLength(1);
  });

  it('is the default of the azure family: its plugin claims the batch capability and the config takes a batch block', () => {
    expect(azureProvider.capabilities?.batch).toBe(true);
    expect(() => createAzure({ endpoint: server.url, apiKey: API_KEY, batch: { mode: 'sometimes' } as never })).toThrow(/batch/);
  });
});
