import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { openStorage, type Storage } from '@llm-lab/storage';
import pg from 'pg';
import { OPENAI_KEY, startHarness, type Harness } from './helpers.js';
import { POSTGRES_URL, STORAGE_TIMEOUT_MS } from './storage-helpers.js';

jest.setTimeout(60_000);

/**
 * A route with a `pii: { mode: tokenize }` policy, through the official OpenAI SDK: the vendor
 * (the fake OpenAI server, cutting its stream every 3 characters) sees placeholders; the client
 * sees its own text back, streamed or whole.
 */
describe('a gateway route that tokenises PII', () => {
  const schema = `gw_pii_${process.pid}_${Date.now().toString(36)}`;
  let h: Harness;
  let storage: Storage;
  beforeAll(async () => {
    storage = await openStorage({ url: POSTGRES_URL, schema });
    h = await startHarness({
      streamDeltaChars: 3,
      // The traffic record keeps this route's bodies: the policy's `store` masks them first.
      access: { storage, traffic: { bodies: ['private'], flushMs: 0 }, log: () => undefined },
      extraRoutes: (urls) => [{ id: 'openai:gpt-4o-mini', label: 'private', config: { baseURL: urls.openai, apiKey: OPENAI_KEY, maxRetries: 0 }, pii: { mode: 'tokenize' } }],
    });
  }, STORAGE_TIMEOUT_MS);
  afterAll(async () => {
    await h?.close();
    await storage?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  });

  const PROMPT = 'Ring +1-415-555-0132 or write to grace.hopper@example.com; IBAN GB82 WEST 1234 5698 7654 32.';
  const lastSent = () => {
    const body = h.vendors.openai.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)?.body as { messages: Array<{ content: string }> };
    return body.messages.at(-1)?.content;
  };

  it('streams the originals back, although the vendor cut its placeholders across chunks', async () => {
    const stream = await h.client.chat.completions.create({ model: 'private', messages: [{ role: 'user', content: PROMPT }], stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(lastSent()).toBe('Ring <PHONE_NUMBER_1> or write to <EMAIL_ADDRESS_1>; IBAN <IBAN_CODE_1>.');
    expect(chunks).toBeGreaterThan(10);
    expect(text).toBe(PROMPT);
  });

  it('answers whole with the originals restored', async () => {
    const completion = await h.client.chat.completions.create({ model: 'private', messages: [{ role: 'user', content: PROMPT }] });
    expect(lastSent()).not.toContain('grace.hopper@example.com');
    expect(completion.choices[0]?.message.content).toBe(PROMPT);
  });

  it('leaves routes without a policy alone', async () => {
    const completion = await h.client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: PROMPT }] });
    expect(lastSent()).toBe(PROMPT);
    expect(completion.choices[0]?.message.content).toBe(PROMPT);
  });

  it('stores the route’s traffic bodies masked', async () => {
    await h.gateway.access?.flush();
    const stored = (await storage.listRequests({ source: 'gateway', limit: 100 })).requests.filter((request) => request.route === 'private');
    expect(stored.length).toBeGreaterThanOrEqual(2);
    const bodies = JSON.stringify(stored.map((request) => [request.requestBody, request.responseBody]));
    expect(bodies).toContain('<EMAIL_ADDRESS>');
    for (const original of ['grace.hopper@example.com', '+1-415-555-0132', 'GB82 WEST 1234 5698 7654 32']) expect(bodies).not.toContain(original);
  });
});
