import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { faults, geminiFaults, startFakeGeminiServer, type FakeGeminiServer } from '../src/index.js';

const API_KEY = 'AIzaSyTestKey0123456789abcdefghijklmnop';

// Plain fetch: the SDK's default Node dispatcher lookup does not work inside jest's VM context.
const plainFetch: typeof fetch = (input, init) => fetch(input, init);

function clientFor(server: FakeGeminiServer, apiKey = API_KEY): GoogleGenAI {
  return new GoogleGenAI({ vertexai: false, apiKey, httpOptions: { baseUrl: server.url, fetch: plainFetch } });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function bodyOf(error: unknown): { error: { code: number; status: string; message: string; details?: Array<Record<string, unknown>> } } {
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return JSON.parse(error.message.slice(error.message.indexOf('{'))) as ReturnType<typeof bodyOf>;
}

describe('fake Gemini server, driven by the official @google/genai SDK', () => {
  let server: FakeGeminiServer;
  let client: GoogleGenAI;

  beforeAll(async () => {
    server = await startFakeGeminiServer({ apiKey: API_KEY });
    client = clientFor(server);
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  it('answers generateContent with Gemini fields and records the request as sent', async () => {
    const response = await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'hello there world' }] }],
      config: { systemInstruction: 'be brief', temperature: 0.5 },
    });
    expect(response.text).toBe('hello there world');
    expect(response.candidates).toEqual([{ content: { parts: [{ text: 'hello there world' }], role: 'model' }, finishReason: 'STOP', index: 0 }]);
    expect(response.usageMetadata).toEqual({
      promptTokenCount: 5,
      candidatesTokenCount: 3,
      totalTokenCount: 8,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 5 }],
    });
    expect(response.modelVersion).toBe('gemini-2.5-flash');
    expect(response.responseId).toMatch(/^[\w-]{16}$/);
    const [recorded] = server.requests;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1beta/models/gemini-2.5-flash:generateContent', query: {}, model: 'gemini-2.5-flash' });
    expect(recorded?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(recorded?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hello there world' }] }],
      systemInstruction: { parts: [{ text: 'be brief' }], role: 'user' },
      generationConfig: { temperature: 0.5 },
    });
  });

  it('streams SSE frames separated by CRLF CRLF, with the finish reason and full usage on the last chunk', async () => {
    const stream = await client.models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'one two three' });
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(server.requests[0]?.query).toEqual({ alt: 'sse' });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['one ', 'two ', 'three']);
    expect(chunks.map((chunk) => chunk.candidates?.[0]?.finishReason)).toEqual([undefined, undefined, 'STOP']);
    expect(chunks[0]?.usageMetadata).toMatchObject({ promptTokenCount: 3, totalTokenCount: 3 });
    expect(chunks[2]?.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 3, totalTokenCount: 6 });
    expect(new Set(chunks.map((chunk) => chunk.responseId)).size).toBe(1);

    const raw = await fetch(`${server.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'x-goog-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'a b' }] }] }),
    });
    expect(raw.headers.get('content-type')).toBe('text/event-stream');
    const text = await raw.text();
    expect(text.split('\r\n\r\n').filter(Boolean).every((frame) => frame.startsWith('data: {'))).toBe(true);
  });

  it("rejects a wrong key with Google's 400 API_KEY_INVALID and a missing one with 403", async () => {
    const wrong = bodyOf(await rejectionOf(clientFor(server, 'AIzaSyWrong').models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' })));
    expect(wrong.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.' });
    expect(wrong.error.details?.[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' });
    const missing = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
    const byQuery = await fetch(`${server.url}/v1beta/models?key=${API_KEY}`);
    expect(byQuery.status).toBe(200);
  });

  it('turns neutral and Gemini faults into Google error bodies, with RetryInfo on a 429 that asks for a wait', async () => {
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 2 }));
    const limited = await rejectionOf(client.models.generateContent({ model: 'gemini-2.5-pro', contents: 'x' }));
    expect((limited as ApiError).status).toBe(429);
    const details = bodyOf(limited).error.details ?? [];
    expect(bodyOf(limited).error.status).toBe('RESOURCE_EXHAUSTED');
    expect(details.map((detail) => detail['@type'])).toEqual([
      'type.googleapis.com/google.rpc.QuotaFailure',
      'type.googleapis.com/google.rpc.Help',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect(details[2]?.retryDelay).toBe('2s');
    for (const [fault, status, grpc] of [
      [faults.serverError(), 500, 'INTERNAL'],
      [geminiFaults.overloaded(), 503, 'UNAVAILABLE'],
      [geminiFaults.modelNotFound(), 404, 'NOT_FOUND'],
      [faults.unauthorized(), 401, 'UNAUTHENTICATED'],
    ] as const) {
      server.enqueueFault(fault);
      const error = await rejectionOf(client.models.generateContent({ model: 'gemini-2.5-pro', contents: 'x' }));
      expect([(error as ApiError).status, bodyOf(error).error.status]).toEqual([status, grpc]);
    }
  });

  it('validates requests as the Gemini API does', async () => {
    const hot = bodyOf(await rejectionOf(client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x', config: { temperature: 3 } })));
    expect(hot.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(hot.error.message).toContain('temperature');
    const badRole = bodyOf(await rejectionOf(client.models.generateContent({ model: 'gemini-2.5-flash', contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] })));
    expect(badRole.error.message).toContain('Please use a valid role: user, model.');
  });

  it('injects safety blocks: a refused prompt and a SAFETY finish', async () => {
    server.enqueueSafetyBlock({ type: 'prompt' });
    const refused = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    expect(refused.candidates).toBeUndefined();
    expect(refused.promptFeedback?.blockReason).toBe('SAFETY');
    expect(refused.promptFeedback?.safetyRatings?.some((rating) => rating.blocked)).toBe(true);
    server.enqueueSafetyBlock({ type: 'response' });
    const stopped = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    expect(stopped.candidates?.[0]).toMatchObject({ finishReason: 'SAFETY', index: 0 });
    expect(stopped.candidates?.[0]?.content).toBeUndefined();
    expect(stopped.candidates?.[0]?.safetyRatings?.find((rating) => rating.blocked)?.category).toBe('HARM_CATEGORY_HARASSMENT');
  });

  it('lists models with pagination and gets one', async () => {
    const pager = await client.models.list({ config: { pageSize: 2 } });
    const names: string[] = [];
    for await (const model of pager) names.push(String(model.name));
    expect(names).toEqual(['models/gemini-2.5-pro', 'models/gemini-2.5-flash', 'models/gemini-2.5-flash-lite', 'models/gemini-2.0-flash']);
    expect(server.requests.map((request) => request.query.pageToken)).toEqual([undefined, '2']);
    const one = await client.models.get({ model: 'gemini-2.0-flash' });
    expect(one).toMatchObject({ name: 'models/gemini-2.0-flash', inputTokenLimit: 1_048_576, outputTokenLimit: 8_192 });
  });

  it('truncates a stream, and counts requests and connections', async () => {
    server.enqueueFault(faults.truncateStream(1));
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        const stream = await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'a b c d', config: { automaticContinuation: false } });
        for await (const chunk of stream) seen.push(chunk.text ?? '');
      })(),
    );
    expect(seen).toEqual(['a ']);
    expect((error as { name?: string }).name).toBe('TypeError'); // undici: the other side closed
    expect(server.stats.requests).toBe(1);
  });

  it('answers scripted function calls whole, several candidates, and reads tools and modes back as JSON Schema', async () => {
    server.enqueueReply({ toolCalls: [{ name: 'get_time', arguments: '{"city":"Oslo"}' }] });
    const response = await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'time?' }] }],
      config: {
        candidateCount: 2,
        tools: [{ functionDeclarations: [{ name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } as never }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['get_time'] } },
      },
    });
    expect(response.candidates?.map((candidate) => [candidate.index, candidate.content?.parts])).toEqual([
      [0, [{ functionCall: { name: 'get_time', args: { city: 'Oslo' } } }]],
      [1, [{ functionCall: { name: 'get_time', args: { city: 'Oslo' } } }]],
    ]);
    expect(server.describeRequest(server.requests[0]!)).toMatchObject({
      tools: [{ name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: { name: 'get_time' },
      n: 2,
    });
    const unknown = await rejectionOf(
      client.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'time?' }] }],
        config: { toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['nope'] } } },
      }),
    );
    expect(bodyOf(unknown).error.message).toContain("'nope' is not a declared function");
  });
});
