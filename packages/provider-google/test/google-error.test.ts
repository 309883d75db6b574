import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, geminiFaults, startFakeGeminiServer, type FakeGeminiServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { createServer } from 'node:net';
import { createGoogle, parseGoogleDuration, parseGoogleErrorMessage, type GoogleChatModel } from '../src/index.js';

const API_KEY = 'AIzaSySECRETSECRETSECRET0123456789abcd';
const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('@google/genai errors mapped to ProviderError', () => {
  let server: FakeGeminiServer;
  let model: GoogleChatModel;

  beforeAll(async () => {
    server = await startFakeGeminiServer({ apiKey: API_KEY });
    model = createGoogle({ baseURL: server.url, apiKey: API_KEY }).chat('gemini-2.5-flash');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it("a wrong key is Google's 400 API_KEY_INVALID, classified as authentication", async () => {
    const wrong = createGoogle({ baseURL: server.url, apiKey: 'AIzaSyWRONGWRONGWRONG0123456789abcdefg' }).chat('gemini-2.5-flash');
    const error = await providerErrorOf(() => wrong.generate(ask));
    expect(error).toMatchObject({ kind: 'authentication', statusCode: 400, isRetryable: false, vendorCode: 'API_KEY_INVALID', providerId: 'google:gemini-2.5-flash' });
    expect(error.message).toContain('API key not valid');
    expect(error.message).toContain('GEMINI_API_KEY');
    expect(JSON.parse(error.responseBody as string)).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('403 PERMISSION_DENIED and 401 UNAUTHENTICATED are authentication', async () => {
    server.enqueueFault(geminiFaults.permissionDenied());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'authentication', statusCode: 403, vendorCode: 'PERMISSION_DENIED' });
    server.enqueueFault(faults.unauthorized());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'authentication', statusCode: 401, vendorCode: 'UNAUTHENTICATED' });
  });

  it('429 RESOURCE_EXHAUSTED is rate-limit with the wait from RetryInfo; a daily quota is not retryable', async () => {
    server.enqueueFault(geminiFaults.quotaExceeded({ retryDelaySeconds: 7 }));
    const limited = await providerErrorOf(() => model.generate(ask));
    expect(limited).toMatchObject({ kind: 'rate-limit', statusCode: 429, isRetryable: true, retryAfterMs: 7000, vendorCode: 'RESOURCE_EXHAUSTED' });
    expect(limited.message).toContain('7000 ms');
    server.enqueueFault(geminiFaults.quotaExceeded());
    expect((await providerErrorOf(() => model.generate(ask))).retryAfterMs).toBeUndefined();
    server.enqueueFault(geminiFaults.quotaExceeded({ perDay: true, retryDelaySeconds: 30 }));
    const daily = await providerErrorOf(() => model.generate(ask));
    expect(daily).toMatchObject({ kind: 'rate-limit', isRetryable: false });
    expect(daily.message).toContain('daily quota');
  });

  it('500 INTERNAL and 503 UNAVAILABLE are server and retryable; 404 is bad-request naming the model', async () => {
    for (const fault of [geminiFaults.internal(), geminiFaults.overloaded()]) {
      server.enqueueFault(fault);
      expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'server', isRetryable: true, statusCode: fault.status });
    }
    const strict = await startFakeGeminiServer({ rejectUnknownModels: true });
    try {
      const missing = await providerErrorOf(() => createGoogle({ baseURL: strict.url }).chat('gemini-9-ultra').generate(ask));
      expect(missing).toMatchObject({ kind: 'bad-request', statusCode: 404, vendorCode: 'NOT_FOUND', isRetryable: false });
      expect(missing.message).toContain('models/gemini-9-ultra is not found');
    } finally {
      await strict.close();
    }
  });

  it('400 INVALID_ARGUMENT from the server is bad-request with its message', async () => {
    const small = await startFakeGeminiServer({ contextWindow: 3 });
    try {
      const error = await providerErrorOf(() => createGoogle({ baseURL: small.url }).chat('gemini-2.0-flash').generate({ messages: [{ role: 'user', content: 'one two three four' }] }));
      expect(error).toMatchObject({ kind: 'bad-request', statusCode: 400, vendorCode: 'INVALID_ARGUMENT' });
      expect(error.message).toContain('input token count (4) exceeds the maximum number of tokens allowed (3)');
      expect(error.message).toContain(`the server at ${small.url}`);
    } finally {
      await small.close();
    }
  });

  it('a body that is not JSON is invalid-response; a plain-text error body is kept', async () => {
    server.enqueueFault(faults.invalidJson());
    expect(await providerErrorOf(() => model.generate(ask))).toMatchObject({ kind: 'invalid-response', isRetryable: true });
    server.enqueueFault({ type: 'http-error', status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    const gateway = await providerErrorOf(() => model.generate(ask));
    expect(gateway).toMatchObject({ kind: 'server', statusCode: 502 });
    expect(gateway.message).toContain('<html>Bad Gateway</html>');
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
    const refused = await providerErrorOf(() => createGoogle({ baseURL: `http://127.0.0.1:${port}` }).chat('gemini-2.5-flash').generate(ask));
    expect(refused.kind).toBe('network');
    expect(refused.message).toContain(`127.0.0.1:${port}`);
  });

  it('a stream cut off mid-way is network; one that ends without a finish reason is invalid-response', async () => {
    server.enqueueFault(faults.truncateStream(2));
    const seen: string[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of model.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e' }] })) {
        if (part.type === 'text-delta') seen.push(part.text);
      }
    });
    expect(error).toMatchObject({ kind: 'network', isRetryable: true });
    expect(seen).toEqual(['a ', 'b ']);

    server.enqueueFault({
      type: 'http-error',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: 'data: {"candidates": [{"content": {"parts": [{"text": "par"}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash"}\r\n\r\n',
    });
    const unfinished = await providerErrorOf(() => collectStream(model.streamGenerate(ask)));
    expect(unfinished.kind).toBe('invalid-response');
    expect(unfinished.message).toContain('without a finish reason');
  });

  it('an error sent inside a stream is classified from its Google body', async () => {
    server.enqueueFault({
      type: 'http-error',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: 'data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}\r\n\r\n',
    });
    const error = await providerErrorOf(() => collectStream(model.streamGenerate(ask)));
    expect(error).toMatchObject({ kind: 'server', statusCode: 503, vendorCode: 'UNAVAILABLE', isRetryable: true });
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

    const slow = await startFakeGeminiServer({ streamChunkDelayMs: 40 });
    try {
      const streaming = createGoogle({ baseURL: slow.url }).chat('gemini-2.5-flash');
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

    const slow = await startFakeGeminiServer({ streamChunkDelayMs: 60 });
    try {
      const streaming = createGoogle({ baseURL: slow.url, timeoutMs: 150 }).chat('gemini-2.5-flash');
      const error = await providerErrorOf(() => collectStream(streaming.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e f g h i j' }] })));
      expect(error.kind).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  it('never puts the API key in an error message or body', async () => {
    const wrongKey = 'AIzaSyWRONGKEYWRONGKEY98765432100000';
    const rejected = await providerErrorOf(() => createGoogle({ baseURL: server.url, apiKey: wrongKey }).chat('gemini-2.5-flash').generate(ask));
    server.enqueueFault({ type: 'http-error', status: 400, body: { error: { code: 400, message: `bad key ${API_KEY}`, status: 'INVALID_ARGUMENT' } } });
    const echoed = await providerErrorOf(() => model.generate(ask));
    for (const error of [rejected, echoed]) {
      const everything = `${error.message}\n${error.responseBody ?? ''}\n${String(error.stack)}`;
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain(wrongKey);
    }
    expect(echoed.message).toContain('[REDACTED]');
  });
});

describe('Google error parsing', () => {
  it('reads Google durations', () => {
    expect(parseGoogleDuration('7s')).toBe(7000);
    expect(parseGoogleDuration('1.5s')).toBe(1500);
    expect(parseGoogleDuration('0.250s')).toBe(250);
    expect(parseGoogleDuration('soon')).toBeUndefined();
    expect(parseGoogleDuration(7)).toBeUndefined();
  });

  it('reads reason, retry delay and quota ids from an SDK error message, stream prefix included', () => {
    const body = {
      error: {
        code: 429,
        message: 'quota',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '41s' },
        ],
      },
    };
    const parsed = parseGoogleErrorMessage(`got status: RESOURCE_EXHAUSTED. ${JSON.stringify(body)}`);
    expect(parsed).toMatchObject({ message: 'quota', status: 'RESOURCE_EXHAUSTED', retryDelayMs: 41_000, quotaIds: ['GenerateRequestsPerDayPerProjectPerModel-FreeTier'] });
    expect(parseGoogleErrorMessage('plain text')).toMatchObject({ message: 'plain text', quotaIds: [] });
  });
});
