import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import OpenAI, { APIConnectionError, RateLimitError } from 'openai';
import { BufferedResponse, CALLER_SIGNAL, createNodeHttpFetch } from '../src/node-http-fetch.js';

const API_KEY = 'sk-transport-test-0123456789abcdef';
const ask = (content: string) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }] });

/** A chat model's calls as the OpenAI-family providers make them: the SDK over this transport, the caller's signal given to the transport. */
function chatOn(server: FakeOpenAIServer, maxRetries = 0) {
  const client = new OpenAI({ baseURL: server.url, apiKey: API_KEY, maxRetries, fetch: createNodeHttpFetch(), logLevel: 'off' });
  return {
    generate: (body: ReturnType<typeof ask>, options: { signal?: AbortSignal } = {}) =>
      client.chat.completions.create(body, options.signal ? { fetchOptions: { [CALLER_SIGNAL]: options.signal } as unknown as OpenAI.RequestOptions['fetchOptions'] } : {}),
  };
}

async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('the node:http transport under the openai SDK', () => {
  let server: FakeOpenAIServer;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('leaves no listener on a run-long signal after hundreds of calls (the SDK would leave one per call)', async () => {
    const model = chatOn(server);
    const run = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => model.generate(ask(`q${i}`), { signal: run.signal })));
      expect(answers).toHaveLength(300);
      expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("stops a call in flight when the caller's signal fires, and lets go of the signal", async () => {
    const model = chatOn(server);
    server.enqueueFault({ type: 'hang' });
    const caller = new AbortController();
    const pending = model.generate(ask('hang'), { signal: caller.signal });
    // Abort once the server holds the call (a fixed delay could beat the request there on a busy machine).
    const watcher = setInterval(() => {
      if (server.requests.length > 0) {
        clearInterval(watcher);
        caller.abort();
      }
    }, 5);
    // The SDK sees the transport's AbortError as a failed connection; the providers' error mappers call it cancelled by the caller's signal.
    const stopped = await rejectionOf(() => pending);
    expect(stopped).toBeInstanceOf(APIConnectionError);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    // An already-aborted signal never reaches the server.
    const before = server.requests.length;
    expect(await rejectionOf(() => model.generate(ask('late'), { signal: caller.signal }))).toBeInstanceOf(APIConnectionError);
    expect(server.requests.length).toBe(before);
  });

  it("reads retry-after from the answer's headers and lets the SDK retry when asked to", async () => {
    const model = chatOn(server);
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 7 }));
    const limited = await rejectionOf(() => model.generate(ask('busy')));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBe('7');

    // With the SDK's own retries on, the failed answer's body is cancelled and the call retried.
    const retrying = chatOn(server, 1);
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 10 }));
    const answer = await retrying.generate(ask('again'));
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it('gives the Response surface: headers joined like fetch, the body read once', async () => {
    const response = new BufferedResponse('http://x/v1', 200, 'OK', { 'content-type': 'application/json', 'x-many': ['a', 'b'] }, Buffer.from('{"ok":true}'));
    expect(response.ok).toBe(true);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('x-many')).toBe('a, b');
    expect(response.headers.get('missing')).toBeNull();
    expect([...response.headers]).toEqual([
      ['content-type', 'application/json'],
      ['x-many', 'a, b'],
    ]);
    const copy = response.clone();
    expect(await response.json()).toEqual({ ok: true });
    await expect(response.text()).rejects.toThrow(/already been read/);
    expect(response.bodyUsed).toBe(true);
    expect(await copy.text()).toBe('{"ok":true}');
    const failed = new BufferedResponse('http://x/v1', 503, 'Service Unavailable', {}, Buffer.from('down'));
    expect(failed.ok).toBe(false);
    const chunks: Uint8Array[] = [];
    for await (const chunk of failed.body!) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('down');
  });
});
