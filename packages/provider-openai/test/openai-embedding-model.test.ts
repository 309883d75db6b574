import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { fakeEmbedding, startFakeOpenAIServer, type FakeOpenAIServer, providerErrorOf } from '@llm-lab/provider-testkit';
import { createOpenAI, type OpenAIProvider } from '../src/index.js';

const API_KEY = 'sk-embed-test-0123456789abcdef';

describe('OpenAI embeddings (fake server, real SDK)', () => {
  let server: FakeOpenAIServer;
  let openai: OpenAIProvider;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
    openai = createOpenAI({ baseURL: server.url, apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('returns one vector per text in order, with usage, model and cost', async () => {
    const texts = ['the cat sat', 'a dog ran far away', 'the cat sat'];
    const result = await openai.embed(texts);
    expect(result.model).toBe('text-embedding-3-small');
    expect(result.embeddings).toHaveLength(3);
    expect(result.embeddings[0]).toHaveLength(1536);
    expect(result.embeddings[0]).toEqual(fakeEmbedding('the cat sat', 1536));
    expect(result.embeddings[1]).toEqual(fakeEmbedding('a dog ran far away', 1536));
    expect(result.embeddings[2]).toEqual(result.embeddings[0]);
    expect(result.usage).toEqual({ inputTokens: 11, totalTokens: 11 });
    // text-embedding-3-small: $0.02 per million tokens
    expect(result.cost?.totalUsd).toBeCloseTo((11 * 0.02) / 1e6, 15);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(server.requests[0]?.body).toEqual({ model: 'text-embedding-3-small', input: texts, encoding_format: 'base64' });
  });

  it('shortens vectors with dimensions and prices the large model', async () => {
    const model = openai.embedding('text-embedding-3-large');
    expect(model.id).toBe('openai:text-embedding-3-large');
    const result = await model.embed(['short text'], { dimensions: 256 });
    expect(result.embeddings[0]).toEqual(fakeEmbedding('short text', 256));
    expect(result.cost?.totalUsd).toBeCloseTo((2 * 0.13) / 1e6, 15);
  });

  it('splits more than 2,048 texts into several requests and keeps the order', async () => {
    const texts = Array.from({ length: 2050 }, (_, index) => `text number ${index}`);
    const result = await openai.embed(texts, { dimensions: 4 });
    expect(server.requests.filter((request) => request.path === '/v1/embeddings')).toHaveLength(2);
    expect(result.embeddings).toHaveLength(2050);
    expect(result.embeddings[2049]).toEqual(fakeEmbedding('text number 2049', 4));
    expect(result.embeddings[7]).toEqual(fakeEmbedding('text number 7', 4));
    expect(result.usage.inputTokens).toBe(2050 * 3);
  });

  it('refuses invalid input before calling, and classifies server refusals', async () => {
    expect(await providerErrorOf(() => openai.embed([]))).toMatchObject({ kind: 'bad-request' });
    const blank = await providerErrorOf(() => openai.embed(['ok', '']));
    expect(blank.message).toContain('texts[1]');
    expect(server.requests).toHaveLength(0);
    const unknown = await providerErrorOf(() => openai.embed(['x'], { model: 'text-embedding-9' }));
    expect(unknown).toMatchObject({ kind: 'bad-request', statusCode: 404, vendorCode: 'model_not_found' });
    const fixed = await providerErrorOf(() => openai.embedding('text-embedding-ada-002').embed(['x'], { dimensions: 8 }));
    expect(fixed).toMatchObject({ kind: 'bad-request', statusCode: 400 });
    expect(fixed.message).toContain('dimensions');
    const unauthorized = await providerErrorOf(() => createOpenAI({ baseURL: server.url, apiKey: 'sk-nope-0123456789abcdefgh' }).embed(['x']));
    expect(unauthorized.kind).toBe('authentication');
  });

  it('an unknown embedding model on a compatible server has no cost', async () => {
    const local = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).embedding('text-embedding-3-small');
    expect(local.pricing).toEqual({ inputPerMillion: 0.02, outputPerMillion: 0 });
    const priced = createOpenAI({ baseURL: server.url, apiKey: API_KEY, pricing: { inputPerMillion: 1, outputPerMillion: 0 } }).embedding('text-embedding-3-small');
    expect((await priced.embed(['one two'])).cost?.totalUsd).toBeCloseTo(2 / 1e6, 15);
  });
});
