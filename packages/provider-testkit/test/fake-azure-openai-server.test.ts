/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read vendor fields the SDK types leave out, from loosely shaped wire JSON. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AzureOpenAI } from 'openai';
import { faults, startFakeAzureOpenAIServer, type FakeAzureOpenAIServer } from '../src/index.js';

const API_KEY = 'azure-test-key-0123456789abcdef';

async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, any>;
  }
  throw new Error('expected the promise to reject');
}

describe('fake Azure OpenAI server, driven by the official AzureOpenAI client', () => {
  let server: FakeAzureOpenAIServer;
  let client: AzureOpenAI;

  beforeAll(async () => {
    server = await startFakeAzureOpenAIServer({ apiKey: API_KEY, bearerTokens: ['entra-token-0123456789'], blockedPrompt: /attack plan/ });
    client = new AzureOpenAI({ endpoint: server.url, apiKey: API_KEY, apiVersion: '2024-10-21', maxRetries: 0 });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('answers on the deployment route with the deployed model, filter annotations and Azure headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi there' }] }).withResponse();
    const recorded = server.requests[0];
    expect(recorded?.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(recorded?.query).toEqual({ 'api-version': '2024-10-21' });
    expect(recorded?.headers['api-key']).toBe(API_KEY);
    expect(data.model).toBe('gpt-4o-mini-2024-07-18');
    expect(data.choices[0]?.message.content).toBe('hi there');
    const raw = data as unknown as Record<string, any>;
    expect(raw.prompt_filter_results[0]).toMatchObject({ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } });
    expect(raw.choices[0].content_filter_results.violence).toEqual({ filtered: false, severity: 'safe' });
    expect(response.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
  });

  it('accepts Entra ID bearer tokens and refuses wrong credentials with 401', async () => {
    const tokenClient = new AzureOpenAI({ endpoint: server.url, azureADTokenProvider: () => Promise.resolve('entra-token-0123456789'), apiVersion: '2024-10-21', maxRetries: 0 });
    await tokenClient.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer entra-token-0123456789');
    const wrong = new AzureOpenAI({ endpoint: server.url, apiKey: 'wrong', apiVersion: '2024-10-21', maxRetries: 0 });
    const error = await rejectionOf(wrong.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    expect(error).toMatchObject({ status: 401, code: '401' });
  });

  it('answers Azure errors: DeploymentNotFound, missing api-version (404), unsupported api-version (400)', async () => {
    const missing = await rejectionOf(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(missing).toMatchObject({ status: 404, code: 'DeploymentNotFound' });
    const noVersion = await fetch(`${server.url}/openai/deployments/gpt-4o/chat/completions`, { method: 'POST', headers: { 'api-key': API_KEY }, body: '{}' });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
    const oldVersion = await fetch(`${server.url}/openai/deployments/gpt-4o/chat/completions?api-version=v1`, { method: 'POST', headers: { 'api-key': API_KEY }, body: '{}' });
    expect(oldVersion.status).toBe(400);
    expect(await oldVersion.json()).toEqual({ error: { code: 'BadRequest', message: 'API version not supported' } });
  });

  it("applies Azure's content filter: a 400 with innererror for a blocked prompt, finish_reason content_filter for a filtered answer", async () => {
    const blocked = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'my attack plan' }] }));
    expect(blocked).toMatchObject({ status: 400, code: 'content_filter', param: 'prompt' });
    expect(blocked.error.innererror).toMatchObject({ code: 'ResponsibleAIPolicyViolation', content_filter_result: { violence: { filtered: true, severity: 'high' } } });
    server.setResponder(() => ({ text: '', finishReason: 'content_filter' }));
    const filtered = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(filtered.choices[0]?.finish_reason).toBe('content_filter');
    expect((filtered.choices[0] as unknown as Record<string, any>).content_filter_results.violence.filtered).toBe(true);
  });

  it('streams like Azure: a prompt-filter chunk with no choices first, then OpenAI chunks and usage', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a b' }], stream: true, stream_options: { include_usage: true } });
    const chunks: Array<Record<string, any>> = [];
    for await (const chunk of stream) chunks.push(chunk as unknown as Record<string, any>);
    expect(chunks[0]).toMatchObject({ choices: [], id: '', prompt_filter_results: [{ prompt_index: 0 }] });
    expect(chunks.flatMap((chunk) => chunk.choices.map((choice: any) => choice.delta.content ?? '')).join('')).toBe('a b');
    expect(chunks[chunks.length - 1]?.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 2 });
  });

  it('turns faults into Azure error bodies: 429 with retry-after, 401', async () => {
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 4 }));
    const limited = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    expect(limited).toMatchObject({ status: 429, code: '429' });
    expect(limited.headers.get('retry-after')).toBe('4');
    expect(limited.error.message).toContain('rate limit');
    server.enqueueFault(faults.unauthorized());
    expect(await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }))).toMatchObject({ status: 401, code: '401' });
  });
});
