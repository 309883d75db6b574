import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer } from '../src/index.js';

const API_KEY = 'sk-test-abcdefghijklmnopqrstuvwxyz123456';

function clientFor(server: FakeOpenAIServer, overrides: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0, ...overrides });
}

/** Resolves once `condition` holds, looking every few milliseconds (the test's timeout bounds the wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('fake OpenAI server, driven by the official openai SDK', () => {
  let server: FakeOpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
    client = clientFor(server);
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  it('answers a chat completion as JSON with OpenAI fields and headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there world' }] })
      .withResponse();
    expect(data.id).toMatch(/^chatcmpl-\w+$/);
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(typeof data.created).toBe('number');
    expect(data.system_fingerprint).toMatch(/^fp_/);
    expect(data.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'hello there world', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' },
    ]);
    expect(data.usage).toMatchObject({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+m?s$/);

    const [recorded] = server.requests;
    expect(recorded?.method).toBe('POST');
    expect(recorded?.path).toBe('/v1/chat/completions');
    expect(recorded?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(recorded?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there world' }],
    });
  });

  it('streams SSE chunks: role first, content deltas, finish reason, usage chunk, then [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'one two three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0]?.id)).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('one two three');
    expect(chunks.slice(1, 4).map((chunk) => chunk.choices[0]?.delta.content)).toEqual(['one ', 'two ', 'three']);
    const finish = chunks[chunks.length - 2];
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const usageChunk = chunks[chunks.length - 1];
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('writes the exact SSE framing, with no usage field unless asked for', async () => {
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await response.text();
    const frames = body.split('\n\n').filter(Boolean);
    expect(frames.every((frame) => frame.startsWith('data: '))).toBe(true);
    expect(frames[frames.length - 1]).toBe('data: [DONE]');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    const parsed = frames.slice(0, -1).map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
    expect(parsed).toHaveLength(3);
    expect(parsed.every((chunk) => !('usage' in chunk))).toBe(true);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'system' });
    const one = await client.models.retrieve('gpt-4o');
    expect(one.id).toBe('gpt-4o');
    const missing = await rejectionOf(client.models.retrieve('gpt-nope'));
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('rejects a wrong API key with OpenAI 401 body, masking the key', async () => {
    const wrong = clientFor(server, { apiKey: 'sk-wrong-key-0123456789abcdefXY' });
    const error = await rejectionOf(wrong.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.param).toBeNull();
    expect(apiError.message).toContain('Incorrect API key provided: sk-wr***XY.');
    expect(apiError.message).not.toContain('sk-wrong-key-0123456789abcdefXY');
  });

  it('rejects a request with no Authorization header', async () => {
    const response = await fetch(`${server.url}/models`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; code: unknown } };
    expect(body.error.message).toMatch(/^You didn't provide an API key/);
    expect(body.error.code).toBeNull();
  });

  it('validates like OpenAI: missing model, missing messages, out-of-range temperature', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const noModel = await post({ messages: [{ role: 'user', content: 'x' }] });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toEqual({
      error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' },
    });
    const noMessages = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o' } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming));
    expect(noMessages).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noMessages as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const hot = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', temperature: 5, messages: [{ role: 'user', content: 'x' }] }));
    expect((hot as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    expect((hot as Error).message).toContain('Expected a value <= 2, but got 5 instead.');
    const garbage = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: '{nope' });
    expect(garbage.status).toBe(400);
  });

  it('turns injected HTTP errors into SDK error classes with status, code and headers', async () => {
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });

    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 2, retryAfterMs: 1500, resetRequests: '1m3s' }));
    const limited = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(limited.headers?.get('retry-after')).toBe('2');
    expect(limited.headers?.get('retry-after-ms')).toBe('1500');
    expect(limited.headers?.get('x-ratelimit-reset-requests')).toBe('1m3s');
    expect(limited.message).toContain('Rate limit reached for gpt-4o-mini');

    server.enqueueFault(faults.serverError());
    server.enqueueFault(faults.unavailable());
    server.enqueueFault(faults.overloaded());
    for (const status of [500, 503, 529]) {
      const error = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(status);
    }

    server.enqueueFault(faults.contentFilter());
    const filtered = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(filtered).toBeInstanceOf(OpenAI.BadRequestError);
    expect(filtered.code).toBe('content_filter');

    server.enqueueFault({ type: 'http-error', status: 418, body: 'plain text teapot', headers: { 'x-extra': 'yes' } });
    const custom = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.APIError>;
    expect(custom.status).toBe(418);
    expect(custom.headers?.get('x-extra')).toBe('yes');
    expect(custom.message).toContain('plain text teapot');
  });

  it('the SDK honours retry-after-ms when it retries a 429', async () => {
    const retrying = clientFor(server, { maxRetries: 1 });
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 120 }));
    const startedAt = performance.now();
    const completion = await retrying.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'again' }] });
    expect(completion.choices[0]?.message.content).toBe('again');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(110);
    expect(server.requests).toHaveLength(2);
  });

  it('answers 400 context_length_exceeded past the context window', async () => {
    const small = await startFakeOpenAIServer({ contextWindow: 4 });
    try {
      const error = (await rejectionOf(
        clientFor(small).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'one two three four five' }] }),
      )) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.code).toBe('context_length_exceeded');
      expect(error.message).toContain("This model's maximum context length is 4 tokens. However, your messages resulted in 5 tokens.");
    } finally {
      await small.close();
    }
  });

  it('breaks the response on invalid-json, truncate-stream and reset faults', async () => {
    server.enqueueFault(faults.invalidJson());
    const invalid = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    // jest runs tests in another realm than fetch, so compare the name rather than the class
    expect((invalid as Error).name).toBe('SyntaxError');

    server.enqueueFault(faults.truncateStream(2));
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a b c d e f' }], stream: true });
    const received: string[] = [];
    const truncated = await rejectionOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    // undici reports the cut-off body as `TypeError: terminated` (from fetch's realm)
    expect((truncated as Error).message).toBe('terminated');
    expect(received).toEqual(['', 'a ']);

    server.enqueueFault(faults.reset());
    const reset = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    expect(reset).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('hangs until the client gives up', async () => {
    server.enqueueFault(faults.hang());
    const controller = new AbortController();
    const pending = rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal }));
    // Give up once the server holds the request (a short client timeout could fire before it arrives on a busy machine).
    await until(() => server.stats.inFlight === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(server.stats.inFlight).toBe(1);
  });

  it('uses a custom responder with finish reason and usage, and setResponder replaces it', async () => {
    server.setResponder((body) => ({ text: `model was ${String(body.model)}`, finishReason: 'length', usage: { promptTokens: 7, cachedTokens: 3, reasoningTokens: 2 } }));
    const completion = await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]?.message.content).toBe('model was gpt-4.1');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 2 } });
    server.setResponder(undefined);
    const echoed = await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'back to echo' }] });
    expect(echoed.choices[0]?.message.content).toBe('back to echo');
  });
});

describe('fake OpenAI server behaviour under options', () => {
  it('waits latencyMs before answering and streamChunkDelayMs between frames', async () => {
    const server = await startFakeOpenAIServer({ latencyMs: 60, streamChunkDelayMs: 25 });
    try {
      const client = clientFor(server);
      const startedAt = performance.now();
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a b' }], stream: true });
      const arrivals: number[] = [];
      for await (const _chunk of stream) arrivals.push(performance.now() - startedAt);
      // Lower bounds only (a busy machine makes everything later, never earlier): the first frame
      // comes after the 60 ms latency; role, 'a ', 'b', finish are four frames with three 25 ms gaps.
      // (The gaps seen by the client are not checked: frames sent apart can be read together.)
      expect(arrivals).toHaveLength(4);
      expect(arrivals[0]).toBeGreaterThanOrEqual(55);
      expect(arrivals[3]).toBeGreaterThanOrEqual(130);
    } finally {
      await server.close();
    }
  });

  it('fails a seeded share of requests, the same ones for the same seed', async () => {
    const outcomes = async () => {
      const server = await startFakeOpenAIServer({ faultRate: 0.3, seed: 42, fault: faults.unavailable() });
      const client = clientFor(server);
      const results: boolean[] = [];
      for (let index = 0; index < 40; index++) {
        results.push(
          await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `n${index}` }] }).then(
            () => true,
            (error: unknown) => {
              expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
              return false;
            },
          ),
        );
      }
      await server.close();
      return results;
    };
    const first = await outcomes();
    const second = await outcomes();
    expect(second).toEqual(first);
    const failures = first.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(4);
    expect(failures).toBeLessThan(24);
  });

  it('changes its fault rate and latency mid-run with setConditions', async () => {
    const server = await startFakeOpenAIServer({ fault: faults.unavailable() });
    const client = clientFor(server);
    const ask = () => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse().then(({ response }) => Number(response.headers.get('openai-processing-ms')), (error: unknown) => (error as InstanceType<typeof OpenAI.APIError>).status);
    try {
      expect(await ask()).toBeLessThan(500);
      server.setConditions({ faultRate: 1 });
      expect([await ask(), await ask()]).toEqual([503, 503]);
      // A lower bound only: the server waits at least this long before answering.
      server.setConditions({ faultRate: 0, latencyMs: 60 });
      expect(await ask()).toBeGreaterThanOrEqual(60);
    } finally {
      await server.close();
    }
  });

  it('enforces rpmLimit with 429, retry-after and rate-limit headers', async () => {
    const server = await startFakeOpenAIServer({ rpmLimit: 3 });
    try {
      const client = clientFor(server);
      const ask = () => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).withResponse();
      const remaining: Array<string | null> = [];
      for (let index = 0; index < 3; index++) remaining.push((await ask()).response.headers.get('x-ratelimit-remaining-requests'));
      expect(remaining).toEqual(['2', '1', '0']);
      const error = (await rejectionOf(ask())) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const retryAfter = Number(error.headers?.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(55);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(Number(error.headers?.get('retry-after-ms'))).toBeGreaterThan(55_000);
      expect(error.message).toContain('Limit 3, Used 3, Requested 1');
      // Counted apart from the requests it admitted.
      expect(server.stats).toMatchObject({ requests: 4, rateLimited: 1 });
    } finally {
      await server.close();
    }
  });

  it('close() ends hanging requests and frees the port', async () => {
    const server = await startFakeOpenAIServer();
    const client = clientFor(server);
    server.enqueueFault(faults.hang());
    const pending = rejectionOf(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    await until(() => server.stats.inFlight === 1);
    // close() resolves at once, not when the hanging answer would: it never would.
    await server.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    const again = await startFakeOpenAIServer({ port: server.port });
    expect(again.port).toBe(server.port);
    await again.close();
  });

  // Its speed is measured by `pnpm bench:transport`, not here.
  it('answers every one of many concurrent requests over a few reused keep-alive connections', async () => {
    const server = await startFakeOpenAIServer({ latencyMs: 2 });
    try {
      const client = clientFor(server);
      const total = 200;
      const concurrency = 16;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const index = next++;
            const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `case ${index}` }] });
            expect(completion.choices[0]?.message.content).toBe(`case ${index}`);
          }
        }),
      );
      expect(server.stats.requests).toBe(total);
      expect(server.stats.maxInFlight).toBeGreaterThan(1);
      expect(server.stats.maxInFlight).toBeLessThanOrEqual(concurrency);
      expect(server.stats.inFlight).toBe(0);
      // Kept alive and reused: about one connection per concurrent client, not one per request.
      expect(server.stats.connections).toBeLessThanOrEqual(concurrency * 2);
    } finally {
      await server.close();
    }
  });
});
