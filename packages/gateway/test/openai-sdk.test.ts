import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import OpenAI from 'openai';
import { startHarness, type Harness } from './helpers.js';

jest.setTimeout(60_000);

/**
 * The official OpenAI SDK as the client, through the gateway, to the testkit's fake OpenAI,
 * Anthropic and Gemini servers: what an application pointed at `llm-lab gateway` sees.
 */
describe('the gateway through the official OpenAI SDK', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.vendors.openai.reset();
    h.vendors.anthropic.reset();
    h.vendors.gemini.reset();
  });

  const ask = (text: string) => [{ role: 'user' as const, content: text }];

  for (const [route, provider] of [
    ['gpt', 'openai:gpt-4o-mini'],
    ['claude', 'anthropic:claude-haiku-4-5'],
    ['gemini', 'google:gemini-2.5-flash'],
  ] as const) {
    it(`answers in OpenAI's shape whichever vendor answered (${route})`, async () => {
      const { data, response } = await h.client.chat.completions.create({ model: route, messages: ask('the quick brown fox') }).withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.choices[0]?.message.content).toBe('the quick brown fox');
      expect(data.choices[0]?.finish_reason).toBe('stop');
      expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage?.completion_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-llm-lab-provider')).toBe(provider);
      expect(response.headers.get('x-llm-lab-route')).toBe(route);
      expect(response.headers.get('x-llm-lab-fallback')).toBeNull();
      expect(Number(response.headers.get('x-llm-lab-overhead-ms'))).toBeGreaterThanOrEqual(0);
    });

    it(`streams like OpenAI, with the usage chunk when asked (${route})`, async () => {
      const stream = await h.client.chat.completions.create({
        model: route,
        messages: ask('one two three four five six'),
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        expect(chunk.object).toBe('chat.completion.chunk');
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe('one two three four five six');
      expect(finish).toBe('stop');
      expect(chunks).toBeGreaterThan(3);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    });
  }

  it('passes a vendor failure on to the fallback, and says who answered', async () => {
    h.vendors.openai.enqueueFault(faults.serverError());
    const { data, response } = await h.client.chat.completions.create({ model: 'resilient', messages: ask('fall back please') }).withResponse();
    expect(data.choices[0]?.message.content).toBe('fall back please');
    expect(response.headers.get('x-llm-lab-fallback')).toBe('claude');
    expect(response.headers.get('x-llm-lab-answered-by')).toBe('anthropic:claude-haiku-4-5');
    expect(response.headers.get('x-llm-lab-provider')).toBe('anthropic:claude-haiku-4-5');
    expect(h.vendors.openai.requests).toHaveLength(1);
    expect(h.vendors.anthropic.requests).toHaveLength(1);
  });

  it('falls back before a stream starts, so the client sees one whole stream', async () => {
    h.vendors.openai.enqueueFault(faults.unavailable());
    const stream = await h.client.chat.completions.create({ model: 'resilient', messages: ask('streamed by the fallback'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('streamed by the fallback');
    expect(h.vendors.anthropic.requests).toHaveLength(1);
  });

  it('raises a failure in the middle of a stream as an SDK error, never a silent truncation', async () => {
    h.vendors.openai.enqueueFault({ type: 'truncate-stream', afterChunks: 3 });
    const stream = await h.client.chat.completions.create({ model: 'gpt', messages: ask('a b c d e f g h i j k l m n o p'), stream: true });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    const error = await consume().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/openai:gpt-4o-mini/);
    // Part of the answer arrived before the failure; the whole of it did not.
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe('a b c d e f g h i j k l m n o p');
  });

  it("maps Anthropic's rate limit to OpenAI's 429 with Retry-After", async () => {
    h.vendors.anthropic.enqueueFault(faults.rateLimited({ retryAfterSeconds: 7 }));
    const error = await h.client.chat.completions.create({ model: 'claude', messages: ask('hi') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.type).toBe('rate_limit_error');
    expect(rateLimit.headers?.get('retry-after')).toBe('7');
  });

  it("maps Gemini's refusal of a request to OpenAI's 400, and its outage to a 5xx", async () => {
    h.vendors.gemini.enqueueFault(faults.badRequest());
    const bad = await h.client.chat.completions.create({ model: 'gemini', messages: ask('hi') }).catch((caught: unknown) => caught);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');

    h.vendors.gemini.enqueueFault(faults.unavailable());
    const down = await h.client.chat.completions.create({ model: 'gemini', messages: ask('hi') }).catch((caught: unknown) => caught);
    expect(down).toBeInstanceOf(OpenAI.InternalServerError);
    expect((down as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
  });

  it('refuses a malformed request with a 400 naming the field', async () => {
    const error = await h.client.chat.completions
      .create({ model: 'gpt', messages: ask('hi'), temperature: 7 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/temperature: must be between 0 and 2/);
    // Nothing reached a vendor.
    expect(h.vendors.openai.requests).toHaveLength(0);
  });

  it('answers 404 for a model it does not serve, listing those it does', async () => {
    const error = await h.client.chat.completions.create({ model: 'gpt-5', messages: ask('hi') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toMatch(/gpt, claude, gemini, resilient, embed/);
  });

  it('lists its routes as models', async () => {
    const models = [];
    for await (const model of h.client.models.list()) models.push(model.id);
    expect(models).toEqual(['gpt', 'claude', 'gemini', 'resilient', 'embed']);
  });

  it('answers every GET in full on one keep-alive connection, whatever was answered before', async () => {
    // A short body first (/healthz), then longer ones: each must carry its own Content-Length.
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request(`${h.gateway.url}${path}`, { agent }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
        })
          .once('error', reject)
          .end();
      });
    try {
      expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok' });
      expect(JSON.parse((await get('/readyz')).body)).toEqual({ status: 'ready', routes: 5 });
      expect((JSON.parse((await get('/v1/models')).body) as { data: unknown[] }).data).toHaveLength(5);
      expect(JSON.parse((await get('/v1/models/claude')).body)).toEqual({ id: 'claude', object: 'model', created: 0, owned_by: 'anthropic' });
      expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok' });
    } finally {
      agent.destroy();
    }
    expect((await h.client.models.retrieve('gemini')).owned_by).toBe('google');
  });

  it('embeds through an OpenAI embedding route (the SDK asks for base64 and decodes it)', async () => {
    const result = await h.client.embeddings.create({ model: 'embed', input: ['first text', 'second text'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toHaveLength(1536);
    expect(result.data[0]?.embedding).not.toEqual(result.data[1]?.embedding);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });
});
