import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { isProviderError, type ProviderError, type StreamPart } from '@llm-lab/core';
import { createOpenAI } from '../src/index.js';

const API_KEY = 'sk-stream-test-0123456789abcdef';
const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });
const LONG = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');

/** What a caller of streamGenerate sees: the text that arrived, the error part (if any) and the error thrown (if any). */
async function outcomeOf(parts: AsyncIterable<StreamPart>, onPart?: (part: StreamPart) => void) {
  let text = '';
  let errorPart: Error | undefined;
  let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
  try {
    for await (const part of parts) {
      onPart?.(part);
      if (part.type === 'text-delta') text += part.text;
      if (part.type === 'error') errorPart = part.error;
      if (part.type === 'finish') finish = part;
    }
  } catch (error) {
    if (!isProviderError(error)) throw error;
    return { text, errorPart, error: error as ProviderError, finish };
  }
  return { text, errorPart, error: undefined, finish };
}

/** The parts of a failure a user acts on (the message names the provider and the server, which is the same for both paths). */
const seen = (error: ProviderError | undefined) =>
  error && { kind: error.kind, isRetryable: error.isRetryable, statusCode: error.statusCode, retryAfterMs: error.retryAfterMs, vendorCode: error.vendorCode, message: error.message };

// The node transport posts streamed chat completions itself (`node`); `fetch` leaves them to the SDK. Both must behave alike.
describe.each(['node', 'fetch'] as const)('streamed chat completions over httpClient %s', (httpClient) => {
  let server: FakeOpenAIServer;
  let slow: FakeOpenAIServer;
  // One provider per server, as an application holds it (one connection pool).
  const models = new Map<FakeOpenAIServer, ReturnType<ReturnType<typeof createOpenAI>['chat']>>();
  const model = (target: FakeOpenAIServer) => models.get(target)!;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
    // A frame every 50 ms: a 400-word answer takes 20 s, so a call is stopped mid-stream.
    slow = await startFakeOpenAIServer({ apiKey: API_KEY, streamChunkDelayMs: 50, responder: () => LONG });
    for (const target of [server, slow]) models.set(target, createOpenAI({ baseURL: target.url, apiKey: API_KEY, httpClient }).chat('gpt-4o-mini'));
  });
  afterEach(() => {
    server.reset();
    slow.reset();
  });
  afterAll(async () => {
    await server.close();
    await slow.close();
  });

  it('reads a whole stream over one kept-alive connection per call in turn', async () => {
    for (let i = 0; i < 4; i++) {
      const { text, error, finish } = await outcomeOf(model(server).streamGenerate(ask(`one two three ${i}`)));
      expect(error).toBeUndefined();
      expect(text).toBe(`one two three ${i}`);
      expect(finish?.response.finishReason).toBe('stop');
      expect(finish?.response.usage?.outputTokens).toBeGreaterThan(0);
    }
    // Reading each answer to its end (past `[DONE]`) leaves the socket reusable.
    if (httpClient === 'node') expect(server.stats.connections).toBe(1);
  });

  it('an error chunk in mid-stream ends the stream with an error after the text so far', async () => {
    server.enqueueFault({ type: 'stream-error', afterChunks: 3, message: 'The server had an error while processing your request.' });
    const { text, errorPart, error } = await outcomeOf(model(server).streamGenerate(ask('alpha beta gamma delta epsilon')));
    expect(text).toBe('alpha beta ');
    expect(errorPart).toBe(error);
    expect(seen(error)).toEqual({
      kind: 'network',
      isRetryable: true,
      statusCode: undefined,
      retryAfterMs: undefined,
      vendorCode: undefined,
      message: expect.stringContaining('The server had an error while processing your request.'),
    });
  });

  it('a connection cut mid-stream is a network error, not a short answer', async () => {
    server.enqueueFault(faults.truncateStream(3));
    const { text, error, finish } = await outcomeOf(model(server).streamGenerate(ask('alpha beta gamma delta epsilon')));
    expect(text).toBe('alpha beta ');
    expect(finish).toBeUndefined();
    expect(error?.kind).toBe('network');
    expect(error?.isRetryable).toBe(true);
  });

  it.each([
    ['429', faults.rateLimited({ retryAfterSeconds: 7 }), { kind: 'rate-limit', statusCode: 429, retryAfterMs: 7000, vendorCode: 'rate_limit_exceeded' }],
    ['401', faults.unauthorized(), { kind: 'authentication', statusCode: 401, vendorCode: 'invalid_api_key' }],
    ['400', faults.contentFilter(), { kind: 'content-filter', statusCode: 400, vendorCode: 'content_filter' }],
    ['503', faults.unavailable(), { kind: 'server', statusCode: 503 }],
  ])('a %s before the stream is classified from its status and body', async (_status, fault, expected) => {
    server.enqueueFault(fault);
    const { text, errorPart, error } = await outcomeOf(model(server).streamGenerate(ask('hello')));
    expect(text).toBe('');
    expect(errorPart).toBeUndefined();
    expect(error).toMatchObject(expected);
    expect(error?.responseBody).toContain('"error"');
  });

  it("an abort mid-stream is cancelled, stops the server's answer and lets go of the caller's signal", async () => {
    const caller = new AbortController();
    const { text, error } = await outcomeOf(model(slow).streamGenerate(ask('long'), { signal: caller.signal }), (part) => {
      if (part.type === 'text-delta') caller.abort();
    });
    expect(text).toBe('word0 ');
    expect(error?.kind).toBe('cancelled');
    expect(error?.isRetryable).toBe(false);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('a stream that outlives timeoutMs is timeout, with the text that arrived before it', async () => {
    const { text, error } = await outcomeOf(model(slow).streamGenerate(ask('long'), { timeoutMs: 3000 }));
    expect(text.length).toBeGreaterThan(0);
    expect(LONG.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(LONG.length);
    expect(error?.kind).toBe('timeout');
    expect(error?.isRetryable).toBe(true);
  });
});
