import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { createNodeHttpFetch, OpenAICompatibleChatModel, parseOpenAIDuration } from '../src/index.js';

/** A chat model as provider-openai's createOpenAI makes it: OpenAI's dialect over the node:http transport. */
function createOpenAI(settings: { baseURL: string; apiKey?: string; timeoutMs?: number }) {
  const timeoutMs = settings.timeoutMs ?? 600_000;
  const client = new OpenAI({ baseURL: settings.baseURL, apiKey: settings.apiKey ?? 'llm-lab-no-key', timeout: timeoutMs, maxRetries: 0, logLevel: 'off', fetch: createNodeHttpFetch() });
  return {
    chat: (model: string) =>
      new OpenAICompatibleChatModel(model, {
        client,
        provider: 'openai',
        settings: { baseURL: settings.baseURL, timeoutMs, isOpenAIHost: false, maxTokensParameter: 'max_tokens', bufferedTransport: true },
      }),
  };
}

const API_KEY = 'sk-proj-SECRETSECRETSECRET0123456789';
const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('OpenAI SDK errors mapped to ProviderError', () => {
  let server: FakeOpenAIServer;
  let model: OpenAICompatibleChatModel;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
    model = createOpenAI({ baseURL: server.url, apiKey: API_KEY }).chat('gpt-4o-mini');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('401 and 403 are authentication, not retryable, with the body kept', async () => {
    server.enqueueFault(faults.unauthorized());
    const unauthorized = await providerErrorOf(() => model.generate(ask));
    expect(unauthorized).toMatchObject({ kind: 'authentication', statusCode: 401, isRetryable: false, vendorCode: 'invalid_api_key', providerId: 'openai:gpt-4o-mini' });
    expect(JSON.parse(unauthorized.responseBody as string)).toMatchObject({ error: { code: 'invalid_api_key', type: 'invalid_request_error' } });
    expect(unauthorized.message).toContain('openai:gpt-4o-mini');
    expect(unauthorized.message).toContain('OPENAI_API_KEY');
    server.enqueueFault({ type: 'http-error', status: 403 });
    expect((await providerErrorOf(() => model.generate(ask))).kind).toBe('authentication');
  });

  it('429 is rate-limit with the wait from retry-after-ms, retry-after or x-ratelimit-reset-requests', async () => {
    server.enqueueFault(faults.rateLimited({ retryAfterMs: 1500, retryAfterSeconds: 9 }));
    const fromMs = await providerErrorOf(() => model.generate(ask));
    expect(fromMs).toMatchObject({ kind: 'rate-limit', statusCode: 429, isRetryable: true, retryAfterMs: 1500, vendorCode: 'rate_limit_exceeded' });
    expect(fromMs.message).toContain('1500 ms');
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 3 }));
    expect((await providerErrorOf(() => model.generate(ask))).retryAfterMs).toBe(3000);
    server.enqueueFault(faults.rateLimited({ resetRequests: '1m3s' }));
    expect((await providerErrorOf(() => model.generate(ask))).retryAfterMs).toBe(63_000);
    server.enqueueFault(faults.rateLimited());
    expect((await providerErrorOf(() => model.generate(ask))).retryAfterMs).toBe(6);
  });

  it('429 insufficient_quota is rate-limit but not retryable, and says so', async () => {
    server.enqueueFault(faults.rateLimited({ code: 'insufficient_quota' }));
    const error = await providerErrorOf(() => model.generate(ask));
    expect(error).toMatchObject({ kind: 'rate-limit', isRetryable: false, vendorCode: 'insufficient_quota' });
    expect(error.message).toContain('out of quota');
  });

  it('5xx (500, 503, 529) is server and retryable', async () => {
    for (const fault of [faults.serverError(), faults.unavailable(), faults.overloaded()]) {
      server.enqueueFault(fault);
      const error = await providerErrorOf(() => model.generate(ask));
      expect(error).toMatchObject({ kind: 'server', isRetryable: true, statusCode: fault.status });
    }
  });

  it('400 content_filter is content-filter; context_length_exceeded is bad-request with the vendor code', async () => {
    server.enqueueFault(faults.contentFilter());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'content-filter', isRetryable: false, statusCode: 400, vendorCode: 'content_filter' });
    const small = await startFakeOpenAIServer({ contextWindow: 3 });
    try {
      const error = await providerErrorOf(() =>
        createOpenAI({ baseURL: small.url }).chat('gpt-4o').generate({ messages: [{ role: 'user', content: 'one two three four' }] }),
      );
      expect(error).toMatchObject({ kind: 'bad-request', statusCode: 400, vendorCode: 'context_length_exceeded', isRetryable: false });
      expect(error.message).toContain('maximum context length is 3 tokens');
      expect(error.message).toContain('larger context window');
      expect(error.message).toContain(`the server at ${small.url}`);
    } finally {
      await small.close();
    }
  });

  it('a body that is not JSON is invalid-response; a plain-text error body is kept', async () => {
    server.enqueueFault(faults.invalidJson());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'invalid-response', isRetryable: true });
    server.enqueueFault({ type: 'http-error', status: 502, body: '<html>Bad Gateway</html>' });
    const gateway = await providerErrorOf(() => model.generate(ask));
    expect(gateway).toMatchObject({ kind: 'server', statusCode: 502, responseBody: '<html>Bad Gateway</html>' });
  });

  it('a 200 that is not a chat completion is invalid-response', async () => {
    server.enqueueFault({ type: 'http-error', status: 200, body: { object: 'list', data: [] } });
    const error = await providerErrorOf(() => model.generate(ask));
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toContain('choices[0].message');
  });

  it('a reset socket and a refused connection are network errors', async () => {
    server.enqueueFault(faults.reset());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'network', isRetryable: true });
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const refused = await providerErrorOf(() => createOpenAI({ baseURL: `http://127.0.0.1:${port}/v1` }).chat('gpt-4o').generate(ask));
    expect(refused.kind).toBe('network');
    expect(refused.message).toContain(`127.0.0.1:${port}`);
  });

  it('a stream cut off mid-way is network; one that ends without a finish reason is invalid-response', async () => {
    server.enqueueFault(faults.truncateStream(3));
    const seen: string[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of model.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e' }] })) {
        if (part.type === 'text-delta') seen.push(part.text);
      }
    });
    expect(error).toMatchObject({ kind: 'network', isRetryable: true });
    expect(seen).toEqual(['a ', 'b ']);

    // A server that closes the stream cleanly but never sends a finish reason or [DONE].
    server.enqueueFault({
      type: 'http-error',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: 'data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"par"},"finish_reason":null}]}\n\n',
    });
    const unfinished = await providerErrorOf(() => collectStream(model.streamGenerate(ask)));
    expect(unfinished.kind).toBe('invalid-response');
    expect(unfinished.message).toContain('without a finish reason');
  });

  it('an aborted call is cancelled (before the answer and mid-stream)', async () => {
    server.enqueueFault(faults.hang());
    const controller = new AbortController();
    // Abort once the server holds the call: a fixed delay could beat the request there on a busy
    // machine, and the request, arriving later, would take the fault queued by the next test.
    const watcher = setInterval(() => {
      if (server.requests.length > 0) {
        clearInterval(watcher);
        controller.abort();
      }
    }, 5);
    expect(await providerErrorOf(() => model.generate(ask, { signal: controller.signal }))).toMatchObject({ kind: 'cancelled', isRetryable: false });

    const slow = await startFakeOpenAIServer({ streamChunkDelayMs: 40 });
    try {
      const streaming = createOpenAI({ baseURL: slow.url }).chat('gpt-4o');
      const midStream = new AbortController();
      const error = await providerErrorOf(async () => {
        for await (const part of streaming.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e f g h' }] }, { signal: midStream.signal })) {
          if (part.type === 'text-delta') midStream.abort();
        }
      });
      expect(error.kind).toBe('cancelled');
    } finally {
      await slow.close();
    }
  });

  it('timeoutMs bounds the whole call, a slow stream included', async () => {
    server.enqueueFault(faults.hang());
    const hung = await providerErrorOf(() => model.generate(ask, { timeoutMs: 100 }));
    expect(hung).toMatchObject({ kind: 'timeout', isRetryable: true });
    expect(hung.message).toContain('100 ms');

    const slow = await startFakeOpenAIServer({ streamChunkDelayMs: 60 });
    try {
      const streaming = createOpenAI({ baseURL: slow.url, timeoutMs: 150 }).chat('gpt-4o');
      // The stream takes at least 11 × 60 ms; the 150 ms deadline ends it.
      const error = await providerErrorOf(() => collectStream(streaming.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e f g h i j' }] })));
      expect(error.kind).toBe('timeout');
      expect(error.message).toContain('150 ms');
    } finally {
      await slow.close();
    }
  });

  it('never puts the API key in an error message or body', async () => {
    const wrongKey = 'sk-proj-WRONGWRONGWRONG9876543210';
    const wrong = createOpenAI({ baseURL: server.url, apiKey: wrongKey }).chat('gpt-4o');
    const rejected = await providerErrorOf(() => wrong.generate(ask));
    expect(rejected.kind).toBe('authentication');
    // A server that echoes the key it was sent back in its error body.
    server.enqueueFault({ type: 'http-error', status: 400, body: { error: { message: `bad key ${API_KEY}`, type: 'invalid_request_error', param: null, code: null } } });
    const echoed = await providerErrorOf(() => model.generate(ask));
    server.enqueueFault(faults.reset());
    const network = await providerErrorOf(() => model.generate(ask));
    for (const error of [rejected, echoed, network]) {
      const everything = `${error.message}\n${error.responseBody ?? ''}\n${String(error.stack)}`;
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain(wrongKey);
    }
    expect(echoed.message).toContain('[REDACTED]');
  });
});

describe('parseOpenAIDuration', () => {
  it('reads OpenAI reset durations', () => {
    expect(parseOpenAIDuration('1m3s')).toBe(63_000);
    expect(parseOpenAIDuration('6.5s')).toBe(6500);
    expect(parseOpenAIDuration('250ms')).toBe(250);
    expect(parseOpenAIDuration('1h2m')).toBe(3_720_000);
    expect(parseOpenAIDuration('soon')).toBeUndefined();
    expect(parseOpenAIDuration(null)).toBeUndefined();
  });
});
