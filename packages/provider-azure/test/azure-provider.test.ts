import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderRegistry } from '@llm-lab/core';
import { faults, startFakeAzureOpenAIServer, type FakeAzureOpenAIServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { AZURE_DEFAULT_API_VERSION, azureProvider, createAzure } from '../src/index.js';

const API_KEY = 'azure-key-0123456789abcdef0123';
const TOKEN = 'entra-token-abcdefghijklmnop';
const ask = { messages: [{ role: 'user' as const, content: 'hello azure' }] };

describe('Azure OpenAI provider against the fake Azure server (real AzureOpenAI client)', () => {
  let server: FakeAzureOpenAIServer;

  beforeAll(async () => {
    server = await startFakeAzureOpenAIServer({
      apiKey: API_KEY,
      bearerTokens: [TOKEN],
      deployments: { 'chat-prod': 'gpt-4o-mini-2024-07-18', 'reasoner': 'o4-mini-2025-04-16' },
      blockedPrompt: /forbidden topic/,
    });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('calls the deployment route with api-version and api-key, and prices by the mapped model', async () => {
    const model = createAzure({ endpoint: `${server.url}/`, apiKey: API_KEY, model: 'gpt-4o-mini', headers: { 'x-team': 'evals' } }).chat('chat-prod');
    const response = await model.generate({ ...ask, temperature: 0.1, maxTokens: 30 });
    const [sent] = server.requests;
    expect(sent?.path).toBe('/openai/deployments/chat-prod/chat/completions');
    expect(sent?.query).toEqual({ 'api-version': AZURE_DEFAULT_API_VERSION });
    expect(sent?.headers['api-key']).toBe(API_KEY);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers['x-team']).toBe('evals');
    expect(sent?.body).toEqual({ model: 'chat-prod', messages: ask.messages, temperature: 0.1, max_completion_tokens: 30, stream: false });
    expect(response).toMatchObject({ text: 'hello azure', finishReason: 'stop', providerId: 'azure:chat-prod', model: 'gpt-4o-mini-2024-07-18' });
    expect(model.getModelInfo()).toMatchObject({ id: 'azure:chat-prod', provider: 'azure', model: 'chat-prod', contextWindow: 128_000 });
    expect(response.cost?.inputUsd).toBeCloseTo((response.usage.inputTokens * 0.15) / 1e6, 12);
  });

  it('sends the configured api-version, and maps deployments to models for reasoning handling', async () => {
    const azure = createAzure({ endpoint: server.url, apiKey: API_KEY, apiVersion: '2025-01-01-preview', deployments: { reasoner: 'o4-mini' } });
    const response = await azure('reasoner').generate({ ...ask, temperature: 0.5 });
    expect(server.requests[0]?.query?.['api-version']).toBe('2025-01-01-preview');
    expect(server.requests[0]?.body).not.toHaveProperty('temperature');
    expect(response.warnings.map((warning) => warning.setting)).toEqual(['temperature']);
  });

  it('authenticates with an Entra ID token provider or a static bearer token instead of a key', async () => {
    let calls = 0;
    const viaProvider = createAzure({ endpoint: server.url }, { azureADTokenProvider: () => {
        calls += 1;
        return Promise.resolve(TOKEN);
      }, env: { AZURE_OPENAI_API_KEY: 'ignored-key-0123456789' } });
    await viaProvider.chat('chat-prod').generate(ask);
    await viaProvider.chat('chat-prod').generate(ask);
    expect(calls).toBe(2);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.requests[0]?.headers['api-key']).toBeUndefined();
    expect(viaProvider.settings.auth).toBe('bearer');

    const staticToken = createAzure({ endpoint: server.url, bearerToken: TOKEN }).chat('chat-prod');
    expect((await staticToken.generate(ask)).text).toBe('hello azure');

    const expired = await providerErrorOf(() => createAzure({ endpoint: server.url, bearerToken: 'expired-token-0123456789' }).chat('chat-prod').generate(ask));
    expect(expired).toMatchObject({ kind: 'authentication', statusCode: 401, isRetryable: false });
    const wrongKey = await providerErrorOf(() => createAzure({ endpoint: server.url, apiKey: 'wrong-key-0123456789abcdef' }).chat('chat-prod').generate(ask));
    expect(wrongKey).toMatchObject({ kind: 'authentication', statusCode: 401 });
    expect(wrongKey.message).toContain('AZURE_OPENAI_API_KEY');
    for (const error of [expired, wrongKey]) expect(`${error.message}${error.responseBody ?? ''}`).not.toContain('wrong-key-0123456789abcdef');
  });

  it('an unknown deployment is bad-request telling to check the deployment name', async () => {
    const error = await providerErrorOf(() => createAzure({ endpoint: server.url, apiKey: API_KEY }).chat('gpt4o-typo').generate(ask));
    expect(error).toMatchObject({ kind: 'bad-request', statusCode: 404, vendorCode: 'DeploymentNotFound', isRetryable: false, providerId: 'azure:gpt4o-typo' });
    expect(error.message).toContain("no deployment named 'gpt4o-typo'");
    expect(error.message).toContain('deployment name');
  });

  it('an unsupported api-version is bad-request naming it', async () => {
    const strict = await startFakeAzureOpenAIServer({ apiVersions: ['2024-10-21'] });
    try {
      const error = await providerErrorOf(() => createAzure({ endpoint: strict.url, apiKey: API_KEY, apiVersion: '2023-01-01' }).chat('gpt-4o').generate(ask));
      expect(error).toMatchObject({ kind: 'bad-request', statusCode: 400 });
      expect(error.message).toContain("api-version '2023-01-01'");
    } finally {
      await strict.close();
    }
  });

  it("Azure's content filter: a blocked prompt is content-filter naming the categories; a filtered answer finishes content-filter", async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY }).chat('chat-prod');
    const blocked = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'tell me about the forbidden topic' }] }));
    expect(blocked).toMatchObject({ kind: 'content-filter', statusCode: 400, vendorCode: 'content_filter', isRetryable: false });
    expect(blocked.message).toContain('violence (high)');
    expect(JSON.parse(blocked.responseBody as string)).toMatchObject({ error: { innererror: { code: 'ResponsibleAIPolicyViolation' } } });

    server.enqueueFault(faults.contentFilter());
    expect((await providerErrorOf(() => model.generate(ask))).kind).toBe('content-filter');

    server.setResponder(() => ({ text: 'partial', finishReason: 'content_filter' }));
    expect((await model.generate(ask)).finishReason).toBe('content-filter');
    const parts = await collectStream(model.streamGenerate(ask));
    const finish = parts[parts.length - 1];
    expect(finish?.type === 'finish' && finish.response.finishReason).toBe('content-filter');
  });

  it('streams through Azure SSE (prompt filter chunk first) with usage', async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY, model: 'gpt-4o-mini' }).chat('chat-prod');
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'one two three' }] }));
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : ''))).toEqual(['one ', 'two ', 'three']);
    const finish = parts[parts.length - 1];
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(finish.response).toMatchObject({ text: 'one two three', finishReason: 'stop', model: 'gpt-4o-mini-2024-07-18', usage: { inputTokens: 3, outputTokens: 3 } });
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('429 is rate-limit with the wait from retry-after', async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY }).chat('chat-prod');
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 7 }));
    const error = await providerErrorOf(() => model.generate(ask));
    expect(error).toMatchObject({ kind: 'rate-limit', statusCode: 429, retryAfterMs: 7000, isRetryable: true, vendorCode: '429' });
    expect(error.message).toContain("deployment 'chat-prod'");

    const limited = await startFakeAzureOpenAIServer({ rpmLimit: 1 });
    try {
      const tight = createAzure({ endpoint: limited.url, apiKey: API_KEY }).chat('gpt-4o');
      await tight.generate(ask);
      const second = await providerErrorOf(() => tight.generate(ask));
      expect(second.kind).toBe('rate-limit');
      expect(second.retryAfterMs).toBeGreaterThan(50_000);
    } finally {
      await limited.close();
    }
  });

  it('runs a plain batchGenerate as concurrent calls unless the Batch API is asked for (azure-batch.test.ts)', async () => {
    const model = createAzure({ endpoint: server.url, apiKey: API_KEY }).chat('chat-prod');
    const concurrent = await model.batchGenerate([ask, ask], { concurrency: 2 });
    expect(concurrent.every((result) => result.ok)).toBe(true);
    expect(server.requests.map((request) => request.path)).toEqual(['/openai/deployments/chat-prod/chat/completions', '/openai/deployments/chat-prod/chat/completions']);
  });
});

describe('azureProvider in the registry', () => {
  it('registers as azure; the model part of the id is the deployment', async () => {
    const server = await startFakeAzureOpenAIServer({ apiKey: API_KEY, deployments: { 'team-gpt4o': 'gpt-4o-2024-11-20' } });
    try {
      const registry = new ProviderRegistry().register(azureProvider);
      expect(registry.list().map((entry) => entry.name)).toEqual(['azure']);
      const provider = registry.create('azure:team-gpt4o', { endpoint: server.url, apiKey: API_KEY, model: 'gpt-4o' });
      expect(provider.id).toBe('azure:team-gpt4o');
      expect(provider.getModelInfo().pricing?.inputPerMillion).toBe(2.5);
      expect((await provider.generate(ask)).text).toBe('hello azure');
      expect(server.requests[0]?.path).toBe('/openai/deployments/team-gpt4o/chat/completions');
    } finally {
      await server.close();
    }
  });
});
