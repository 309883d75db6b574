import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import OpenAI from 'openai';
import { startGateway, type Gateway, type TrafficRecord } from '../src/index.js';
import { OPENAI_KEY, startVendors, type Vendors } from './helpers.js';

jest.setTimeout(60_000);

/**
 * `POST /v1/embeddings` through the provider manager, like chat: retries, fallbacks, the
 * response cache, and the traffic record, with the official OpenAI SDK as the client.
 */
describe('embeddings through the provider manager', () => {
  let vendors: Vendors;
  let lab: Lab;
  let gateway: Gateway;
  let client: OpenAI;
  /** A second OpenAI server that refuses the gateway's key (401), and the address of one that is down. */
  let refusing: FakeOpenAIServer;
  let downURL: string;
  const records: TrafficRecord[] = [];

  beforeAll(async () => {
    vendors = await startVendors();
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-gateway-embed-')) });
    refusing = await startFakeOpenAIServer({ apiKey: 'sk-another-account-key' });
    const down = await startFakeOpenAIServer();
    downURL = down.url;
    await down.close();
    const openai = { baseURL: vendors.openai.url, apiKey: OPENAI_KEY, maxRetries: 0 };
    const refused = { baseURL: refusing.url, apiKey: OPENAI_KEY, maxRetries: 0 };
    gateway = await startGateway({
      lab,
      port: 0,
      config: {
        cache: { kind: 'memory' },
        providers: [
          { id: 'openai:text-embedding-3-small', label: 'embed', config: openai, retry: { maxAttempts: 1 }, cache: { enabled: false } },
          // Two members taken in turn: the first call goes to the one that is down, its retry to the live one.
          {
            id: 'openai:text-embedding-3-small',
            label: 'embed-retried',
            config: openai,
            members: [
              { id: 'openai:text-embedding-3-small', label: 'down', config: { baseURL: downURL, apiKey: OPENAI_KEY, maxRetries: 0 } },
              { id: 'openai:text-embedding-3-small', label: 'live', config: openai },
            ],
            retry: { maxAttempts: 3, baseDelayMs: 0 },
            cache: { enabled: false },
          },
          { id: 'openai:text-embedding-3-large', label: 'embed-resilient', config: refused, retry: { maxAttempts: 1 }, fallbacks: ['embed'], cache: { enabled: false } },
          { id: 'openai:text-embedding-3-small', label: 'embed-refused', config: refused, retry: { maxAttempts: 3, baseDelayMs: 0 }, cache: { enabled: false } },
          { id: 'openai:text-embedding-3-small', label: 'embed-cached', config: openai, retry: { maxAttempts: 1 } },
          { id: 'anthropic:claude-haiku-4-5', label: 'claude', config: { baseURL: vendors.anthropic.url, apiKey: 'sk-ant-x' } },
        ],
      },
      hooks: { onCallEnd: (record) => void records.push(record) },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await lab?.close();
    await vendors?.close();
    await refusing?.close();
  });
  beforeEach(() => {
    vendors.openai.reset();
    refusing.reset();
    records.length = 0;
  });

  /** The traffic records handed over so far (delivered after the response, on a later turn). */
  async function recorded(count: number): Promise<TrafficRecord[]> {
    for (let turn = 0; turn < 10_000 && records.length < count; turn++) await new Promise((resolve) => setImmediate(resolve));
    return records;
  }
  const embeddingRequests = () => vendors.openai.requests.filter((request) => request.path.endsWith('/embeddings'));

  it('retries a failed embeddings call on the next member and says how many calls it took', async () => {
    const { data, response } = await client.embeddings.create({ model: 'embed-retried', input: 'retry me' }).withResponse();
    expect(data.data[0]?.embedding).toHaveLength(1536);
    expect(response.headers.get('x-llm-lab-attempts')).toBe('2');
    expect(response.headers.get('x-llm-lab-answered-by')).toBe('live');
    expect(embeddingRequests()).toHaveLength(1);
    expect((await recorded(1))[0]).toMatchObject({ endpoint: 'embeddings', route: 'embed-retried', status: 200, attempts: 2, answeredBy: 'live', cacheHit: false });
  });

  it('falls back to another route when the first fails, and names the fallback', async () => {
    const { data, response } = await client.embeddings.create({ model: 'embed-resilient', input: ['first', 'second'] }).withResponse();
    expect(data.data).toHaveLength(2);
    expect(response.headers.get('x-llm-lab-fallback')).toBe('embed');
    expect(response.headers.get('x-llm-lab-answered-by')).toBe('openai:text-embedding-3-small');
    expect(refusing.requests.map((request) => (request.body as { model: string }).model)).toEqual(['text-embedding-3-large']);
    expect(embeddingRequests().map((request) => (request.body as { model: string }).model)).toEqual(['text-embedding-3-small']);
    expect((await recorded(1))[0]).toMatchObject({ route: 'embed-resilient', answeredBy: 'openai:text-embedding-3-small', attempts: 2 });
  });

  it('answers a repeated input from the response cache, without calling the vendor', async () => {
    const first = await client.embeddings.create({ model: 'embed-cached', input: 'cache me' }).withResponse();
    const second = await client.embeddings.create({ model: 'embed-cached', input: 'cache me' }).withResponse();
    const other = await client.embeddings.create({ model: 'embed-cached', input: 'cache me too' }).withResponse();
    expect(first.response.headers.get('x-llm-lab-cache')).toBe('miss');
    expect(second.response.headers.get('x-llm-lab-cache')).toBe('hit');
    expect(other.response.headers.get('x-llm-lab-cache')).toBe('miss');
    expect(second.data.data[0]?.embedding).toEqual(first.data.data[0]?.embedding);
    expect(embeddingRequests()).toHaveLength(2);
    expect((await recorded(3)).map((record) => [record.cacheHit, record.attempts])).toEqual([
      [false, 1],
      [true, 0],
      [false, 1],
    ]);
  });

  it('does not retry a refusal of the upstream key, and answers it in OpenAI shape with the record', async () => {
    const error = await client.embeddings.create({ model: 'embed-refused', input: 'fail' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(400);
    expect(refusing.requests).toHaveLength(1);
    const [record] = await recorded(1);
    expect(record).toMatchObject({ route: 'embed-refused', endpoint: 'embeddings', errorClass: 'authentication' });
    expect(record?.status).toBe((error as InstanceType<typeof OpenAI.APIError>).status);
  });

  it('refuses embeddings on a route without an embeddings endpoint, naming the model', async () => {
    const error = await client.embeddings.create({ model: 'claude', input: 'hi' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain("The model 'claude' (anthropic:claude-haiku-4-5) has no embeddings endpoint");
  });
});
