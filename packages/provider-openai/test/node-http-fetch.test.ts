import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer, providerErrorOf } from '@llm-lab/provider-testkit';
import { createOpenAI } from '../src/index.js';
import { BufferedResponse } from '../src/node-http-fetch.js';

const API_KEY = 'sk-transport-test-0123456789abcdef';
const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

describe('the node:http transport under the openai SDK', () => {
  let server: FakeOpenAIServer;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('leaves no listener on a run-long signal after hundreds of calls (the SDK would leave one per call)', async () => {
    const model = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o-mini');
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

  it("stops a call in flight when the caller's signal fires, as a cancellation", async () => {
    const model = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o-mini');
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
    const error = await providerErrorOf(() => pending);
    expect(error.kind).toBe('cancelled');
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    // An already-aborted signal never reaches the server.
    const before = server.requests.length;
    expect((await providerErrorOf(() => model.generate(ask('late'), { signal: caller.signal }))).kind).toBe('cancelled');
    expect(server.requests.length).toBe(before);
  });

  it("reads retry-after from the answer's headers and lets the SDK retry when asked to", async () => {
    const model = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o-mini');
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 7 }));
    const limited = await providerErrorOf(() => model.generate(ask('busy')));
    expect(limited.kind).toBe('rate-limit');
    expect(limited.retryAfterMs).toBe(7000);

    // With the SDK's own retries on, the failed answer's body is cancelled and the call retried.
    const retrying = createOpenAI({ baseURL: server.url, apiKey: API_KEY, maxRetries: 1 }).chat('gpt-4o-mini');
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 10 }));
    const answer = await retrying.generate(ask('again'));
    expect(answer.text.length).toBeGreaterThan(0);
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
