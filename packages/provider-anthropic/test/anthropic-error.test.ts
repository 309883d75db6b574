import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { anthropicFaults, faults, startFakeAnthropicServer, type FakeAnthropicServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { anthropicRetryAfterMs, classifyAnthropicError, createAnthropic, type AnthropicChatModel } from '../src/index.js';

const API_KEY = 'sk-ant-error-test-0123456789abcdefgh';
const request = { messages: [{ role: 'user' as const, content: 'one two three four five six' }] };

describe('Anthropic errors through the real SDK', () => {
  let server: FakeAnthropicServer;
  let model: AnthropicChatModel;

  beforeAll(async () => {
    server = await startFakeAnthropicServer({ apiKey: API_KEY });
    model = createAnthropic({ baseURL: server.url, apiKey: API_KEY }).chat('claude-haiku-4-5');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('a wrong key is authentication, with Anthropic’s body kept and the key nowhere in the message', async () => {
    const wrong = createAnthropic({ baseURL: server.url, apiKey: 'sk-ant-wrong-key-abcdefghijklmnop' }).chat('claude-haiku-4-5');
    const error = await providerErrorOf(() => wrong.generate(request));
    expect(error.kind).toBe('authentication');
    expect(error.statusCode).toBe(401);
    expect(error.isRetryable).toBe(false);
    expect(error.vendorCode).toBe('authentication_error');
    expect(JSON.parse(error.responseBody ?? '{}')).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(error.message).not.toContain('sk-ant-wrong-key-abcdefghijklmnop');
  });

  it('529 overloaded_error is a retryable server error', async () => {
    server.enqueueFault(faults.overloaded());
    const error = await providerErrorOf(() => model.generate(request));
    expect(error).toMatchObject({ kind: 'server', statusCode: 529, isRetryable: true, vendorCode: 'overloaded_error' });
  });

  it('an overloaded_error event in the middle of a stream is a retryable server error, after the deltas already yielded', async () => {
    server.enqueueFault(anthropicFaults.overloadedMidStream(5));
    const seen: string[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of model.streamGenerate(request)) if (part.type === 'text-delta') seen.push(part.text);
    });
    expect(seen).toEqual(['one ', 'two ']);
    expect(error).toMatchObject({ kind: 'server', isRetryable: true, vendorCode: 'overloaded_error', statusCode: undefined });
    expect(error.message).toContain('in the middle of the stream');
  });

  it('429 takes its wait from retry-after, and else from the used-up limit’s reset time', async () => {
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 7 }));
    const error = await providerErrorOf(() => model.generate(request));
    expect(error).toMatchObject({ kind: 'rate-limit', statusCode: 429, isRetryable: true, retryAfterMs: 7000, vendorCode: 'rate_limit_error' });

    const now = Date.parse('2026-11-30T12:00:00Z');
    const headers = new Headers({
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-11-30T12:00:20Z',
      'anthropic-ratelimit-tokens-remaining': '5000',
      'anthropic-ratelimit-tokens-reset': '2026-11-30T12:00:01Z',
    });
    expect(anthropicRetryAfterMs(headers, now)).toBe(20_000);
    expect(anthropicRetryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('the fake’s own requests-per-minute limit is classified the same way', async () => {
    const limited = await startFakeAnthropicServer({ apiKey: API_KEY, rpmLimit: 1 });
    try {
      const client = createAnthropic({ baseURL: limited.url, apiKey: API_KEY }).chat('claude-haiku-4-5');
      await client.generate(request);
      const error = await providerErrorOf(() => client.generate(request));
      expect(error.kind).toBe('rate-limit');
      expect(error.retryAfterMs).toBeGreaterThan(50_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await limited.close();
    }
  });

  it('a prompt beyond the context window is bad-request with vendorCode context_length_exceeded', async () => {
    server.enqueueFault(anthropicFaults.promptTooLong());
    const error = await providerErrorOf(() => model.generate(request));
    expect(error).toMatchObject({ kind: 'bad-request', statusCode: 400, isRetryable: false, vendorCode: 'context_length_exceeded' });
    expect(error.message).toContain('prompt is too long: 215000 tokens > 200000 maximum');
    expect(error.message).toContain('larger context window');

    const small = await startFakeAnthropicServer({ apiKey: API_KEY, contextWindow: 20 });
    try {
      const client = createAnthropic({ baseURL: small.url, apiKey: API_KEY }).chat('claude-haiku-4-5');
      const real = await providerErrorOf(() => client.generate({ messages: [{ role: 'user', content: 'word '.repeat(30) }], maxTokens: 5 }));
      expect(real.vendorCode).toBe('context_length_exceeded');
    } finally {
      await small.close();
    }
  });

  it('a 400 from the content filtering policy is content-filter; a billing error is not retryable', async () => {
    server.enqueueFault(faults.contentFilter());
    const filtered = await providerErrorOf(() => model.generate(request));
    expect(filtered).toMatchObject({ kind: 'content-filter', statusCode: 400, isRetryable: false });

    server.enqueueFault({ type: 'http-error', status: 402 });
    const billing = await providerErrorOf(() => model.generate(request));
    expect(billing).toMatchObject({ kind: 'bad-request', statusCode: 402, isRetryable: false, vendorCode: 'billing_error' });
    expect(billing.message).toContain('out of credit');
  });

  it('500 api_error is server; a reset connection is network; a stream cut off is retryable', async () => {
    server.enqueueFault(faults.serverError());
    expect(await providerErrorOf(() => model.generate(request))).toMatchObject({ kind: 'server', statusCode: 500, vendorCode: 'api_error' });
    server.enqueueFault(faults.reset());
    expect((await providerErrorOf(() => model.generate(request))).kind).toBe('network');
    server.enqueueFault(faults.truncateStream(4));
    const cut = await providerErrorOf(() => collectStream(model.streamGenerate(request)));
    expect(['network', 'invalid-response']).toContain(cut.kind);
    expect(cut.isRetryable).toBe(true);
  });

  it('a body validation error from the server is bad-request with the field named', async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('classifies error types without an HTTP status (stream events, batch items)', () => {
    expect(classifyAnthropicError({ status: undefined, type: 'rate_limit_error', message: 'slow down' }).kind).toBe('rate-limit');
    expect(classifyAnthropicError({ status: undefined, type: 'timeout_error', message: 'late' }).kind).toBe('timeout');
    expect(classifyAnthropicError({ status: undefined, type: 'permission_error', message: 'no' }).kind).toBe('authentication');
    expect(classifyAnthropicError({ status: undefined, type: 'invalid_request_error', message: 'prompt is too long: 9 tokens > 8 maximum' })).toEqual({
      kind: 'bad-request',
      vendorCode: 'context_length_exceeded',
    });
    expect(classifyAnthropicError({ status: undefined, type: 'mystery_error', message: '?' }).kind).toBe('unknown');
  });
});
