import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGeminiServer, type FakeGeminiServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import type { StreamPart } from '@llm-lab/core';
import { createGoogle, GoogleContentFilterError, type GoogleProvider } from '../src/index.js';

const API_KEY = 'AIzaSyChatModelTest0123456789abcdefghij';

describe('GoogleChatModel against the fake Gemini server, through @google/genai', () => {
  let server: FakeGeminiServer;
  let google: GoogleProvider;

  beforeAll(async () => {
    server = await startFakeGeminiServer({ apiKey: API_KEY });
    google = createGoogle({ baseURL: server.url, apiKey: API_KEY, headers: { 'x-team': 'evals' } });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('sends every request field under its Gemini name, and nothing unset', async () => {
    const model = google.chat('gemini-2.5-flash');
    const response = await model.generate({
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is two plus two?' },
        { role: 'assistant', content: 'Four.' },
        { role: 'user', content: 'And three plus three?' },
      ],
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      stop: ['\n\n', 'END'],
      seed: 7,
      responseFormat: { type: 'json' },
      providerOptions: {
        thinkingBudget: 0,
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
      },
    });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent?.query).toEqual({});
    expect(sent?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(sent?.headers['x-team']).toBe('evals');
    expect(sent?.headers['x-goog-api-client']).toMatch(/^google-genai-sdk\//);
    expect(sent?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'What is two plus two?' }] },
        { role: 'model', parts: [{ text: 'Four.' }] },
        { role: 'user', parts: [{ text: 'And three plus three?' }] },
      ],
      systemInstruction: { parts: [{ text: 'Answer briefly.' }] },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
      generationConfig: {
        temperature: 0.2,
        topP: 0.9,
        topK: 40,
        maxOutputTokens: 64,
        stopSequences: ['\n\n', 'END'],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        responseMimeType: 'application/json',
        thinkingConfig: { thinkingBudget: 0 },
      },
    });

    expect(response.text).toBe('And three plus three?');
    expect(response.finishReason).toBe('stop');
    // words: system 2 + 5 + 1 + 4 = 12 in, 4 out
    expect(response.usage).toEqual({ inputTokens: 12, outputTokens: 4, totalTokens: 16 });
    expect(response.providerId).toBe('google:gemini-2.5-flash');
    expect(response.model).toBe('gemini-2.5-flash');
    expect(response.rawId).toMatch(/^[\w-]{16}$/);
    expect(response.warnings).toEqual([]);
    // gemini-2.5-flash: $0.30 in, $2.50 out per million
    expect(response.cost?.inputUsd).toBeCloseTo((12 * 0.3) / 1e6, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((4 * 2.5) / 1e6, 12);
  });

  it('sends a JSON schema as responseSchema (converted by the SDK) or, on request, as responseJsonSchema', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const model = google.chat('gemini-2.0-flash');
    await model.generate({ messages: [{ role: 'user', content: 'JSON please' }], responseFormat: { type: 'json', schema } });
    expect(server.requests[0]?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'JSON please' }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { answer: { type: 'STRING' } }, required: ['answer'] },
      },
    });
    await model.generate({ messages: [{ role: 'user', content: 'JSON please' }], responseFormat: { type: 'json', schema }, providerOptions: { useJsonSchema: true } });
    expect((server.requests[1]?.body as { generationConfig: unknown }).generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('merges consecutive turns, moves late system messages, and warns about names', async () => {
    const response = await google.chat('gemini-2.5-flash-lite').generate({
      messages: [
        { role: 'user', content: 'first', name: 'alice' },
        { role: 'user', content: 'second' },
        { role: 'system', content: 'late rule' },
        { role: 'user', content: 'third' },
      ],
    });
    expect(server.requests[0]?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'first' }, { text: 'second' }, { text: 'third' }] }],
      systemInstruction: { parts: [{ text: 'late rule' }] },
      generationConfig: {},
    });
    expect(response.text).toBe('firstsecondthird');
    expect(response.warnings.map((warning) => [warning.type, warning.setting])).toEqual([
      ['unsupported-setting', 'messages[].name'],
      ['other', undefined],
    ]);
  });

  it('refuses unknown providerOptions, invalid settings and a conversation of only system messages before calling the server', async () => {
    const model = google.chat('gemini-2.5-pro');
    const unknown = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }], providerOptions: { candidateCount: 2 } }));
    expect(unknown.kind).toBe('bad-request');
    expect(unknown.message).toContain('candidateCount');
    const hot = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }], temperature: 5 }));
    expect(hot.message).toContain("'temperature'");
    const systemOnly = await providerErrorOf(() => model.generate({ messages: [{ role: 'system', content: 'rules' }] }));
    expect(systemOnly.kind).toBe('bad-request');
    expect(systemOnly.message).toContain('messages');
    expect(server.requests).toHaveLength(0);
  });

  it('maps MAX_TOKENS, thinking and cached tokens, skips thought parts, and prices them', async () => {
    server.setResponder(() => ({
      text: 'cut short',
      thoughts: 'let me think about it',
      finishReason: 'MAX_TOKENS',
      usage: { promptTokens: 1000, candidatesTokens: 10, thoughtsTokens: 30, cachedContentTokens: 600 },
    }));
    const model = google.chat('gemini-2.5-flash');
    const response = await model.generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(response.text).toBe('cut short');
    expect(response.finishReason).toBe('length');
    expect(response.usage).toEqual({ inputTokens: 1000, outputTokens: 40, totalTokens: 1040, cachedInputTokens: 600, reasoningTokens: 30 });
    // 400 × $0.30 + 600 × $0.075 per million in; 40 × $2.50 per million out (thinking billed as output)
    expect(response.cost?.inputUsd).toBeCloseTo((400 * 0.3 + 600 * 0.075) / 1e6, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((40 * 2.5) / 1e6, 12);
  });

  it('prices Gemini 2.5 Pro at the long-context tier above 200,000 input tokens', () => {
    const pro = google.chat('gemini-2.5-pro');
    const short = pro.estimateCost({ inputTokens: 200_000, outputTokens: 1000, totalTokens: 201_000 });
    expect(short?.inputUsd).toBeCloseTo(0.25, 9);
    expect(short?.outputUsd).toBeCloseTo(0.01, 9);
    const long = pro.estimateCost({ inputTokens: 200_001, outputTokens: 1000, totalTokens: 201_001 });
    expect(long?.inputUsd).toBeCloseTo((200_001 * 2.5) / 1e6, 9);
    expect(long?.outputUsd).toBeCloseTo(0.015, 9);
    const overridden = createGoogle({ baseURL: server.url, pricing: { inputPerMillion: 1, outputPerMillion: 1 } }).chat('gemini-2.5-pro');
    expect(overridden.estimateCost({ inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000 })?.totalUsd).toBeCloseTo(1, 9);
  });

  it('streams over alt=sse and returns the whole response in finish', async () => {
    const model = google.chat('gemini-2.5-flash');
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'alpha beta gamma' }], temperature: 0 }));
    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(sent?.query).toEqual({ alt: 'sse' });
    expect(sent?.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'alpha beta gamma' }] }], generationConfig: { temperature: 0 } });
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta', 'text-delta', 'usage', 'finish']);
    expect(parts.slice(0, 3)).toEqual([
      { type: 'text-delta', text: 'alpha ' },
      { type: 'text-delta', text: 'beta ' },
      { type: 'text-delta', text: 'gamma' },
    ]);
    const usage = { inputTokens: 3, outputTokens: 3, totalTokens: 6 };
    expect(parts[3]).toEqual({ type: 'usage', usage });
    const finish = parts[4];
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(finish.response).toMatchObject({ text: 'alpha beta gamma', finishReason: 'stop', usage, providerId: 'google:gemini-2.5-flash', model: 'gemini-2.5-flash' });
    expect(finish.response.cost).toEqual(model.estimateCost(usage));
    expect(finish.response.timeToFirstTokenMs).toBeLessThanOrEqual(finish.response.latencyMs);
  });

  it('leaves thoughts out of a stream and counts them as reasoning tokens', async () => {
    server.setResponder(() => ({ text: 'answer here', thoughts: 'hmm hmm' }));
    const parts = await collectStream(google.chat('gemini-2.5-pro').streamGenerate({ messages: [{ role: 'user', content: 'q' }] }));
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : ''))).toEqual(['answer ', 'here']);
    const finish = parts[parts.length - 1];
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(finish.response.usage).toEqual({ inputTokens: 1, outputTokens: 4, totalTokens: 5, reasoningTokens: 2 });
  });

  it('reports time to first token separately from latency on a slow stream', async () => {
    const slow = await startFakeGeminiServer({ latencyMs: 30, streamChunkDelayMs: 30 });
    try {
      const model = createGoogle({ baseURL: slow.url }).chat('gemini-2.0-flash');
      // When each part reached the caller, against what the provider reports: an order of events,
      // not a duration, so a loaded machine that delivers chunks together cannot fail it.
      const startedAt = performance.now();
      let firstTextAt: number | undefined;
      let finish: StreamPart | undefined;
      for await (const part of model.streamGenerate({ messages: [{ role: 'user', content: 'a b c' }] })) {
        if (part.type === 'text-delta') firstTextAt ??= performance.now() - startedAt;
        if (part.type === 'finish') finish = part;
      }
      const finishedAt = performance.now() - startedAt;
      if (finish?.type !== 'finish' || firstTextAt === undefined) throw new Error('no text or no finish part');
      const { timeToFirstTokenMs, latencyMs } = finish.response;
      // Time to first token is when the first text arrived, not the end of the answer.
      expect(timeToFirstTokenMs).toBeGreaterThan(0);
      expect(timeToFirstTokenMs).toBeLessThanOrEqual(firstTextAt + 1);
      expect(latencyMs).toBeGreaterThanOrEqual(timeToFirstTokenMs as number);
      expect(latencyMs).toBeLessThanOrEqual(finishedAt + 1);
    } finally {
      await slow.close();
    }
  });

  describe('safety blocks are content-filter errors, not crashes', () => {
    it('a refused prompt (promptFeedback.blockReason) rejects generate and streamGenerate', async () => {
      const model = google.chat('gemini-2.5-flash');
      server.enqueueSafetyBlock({ type: 'prompt' });
      const blocked = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'bad' }] }));
      expect(blocked).toBeInstanceOf(GoogleContentFilterError);
      expect(blocked).toMatchObject({ kind: 'content-filter', isRetryable: false, vendorCode: 'SAFETY', providerId: 'google:gemini-2.5-flash' });
      expect((blocked as GoogleContentFilterError).blockReason).toBe('SAFETY');
      expect((blocked as GoogleContentFilterError).blockedCategories).toEqual(['HARM_CATEGORY_HARASSMENT']);
      expect(blocked.message).toContain('refused the prompt');

      server.enqueueSafetyBlock({ type: 'prompt', blockReason: 'PROHIBITED_CONTENT' });
      const streamed = await providerErrorOf(() => collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'bad' }] })));
      expect(streamed).toMatchObject({ kind: 'content-filter', vendorCode: 'PROHIBITED_CONTENT' });
    });

    it('an answer stopped with finishReason SAFETY or RECITATION rejects, keeping the partial text', async () => {
      const model = google.chat('gemini-2.5-flash');
      server.enqueueSafetyBlock({ type: 'response' });
      const stopped = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }] }));
      expect(stopped).toMatchObject({ kind: 'content-filter', vendorCode: 'SAFETY', finishReason: 'SAFETY', partialText: '' });

      server.enqueueSafetyBlock({ type: 'response', finishReason: 'RECITATION', partialText: 'once upon a time' });
      const seen: string[] = [];
      const recited = await providerErrorOf(async () => {
        for await (const part of model.streamGenerate({ messages: [{ role: 'user', content: 'x' }] })) {
          if (part.type === 'text-delta') seen.push(part.text);
        }
      });
      expect(recited).toMatchObject({ kind: 'content-filter', vendorCode: 'RECITATION', partialText: 'once upon a time' });
      expect(seen.join('')).toBe('once upon a time');
    });

    it('the server option blockPromptsContaining refuses matching prompts', async () => {
      const strict = await startFakeGeminiServer({ blockPromptsContaining: ['forbidden'] });
      try {
        const model = createGoogle({ baseURL: strict.url }).chat('gemini-2.5-flash');
        expect((await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'a Forbidden topic' }] }))).kind).toBe('content-filter');
        expect((await model.generate({ messages: [{ role: 'user', content: 'a fine topic' }] })).text).toBe('a fine topic');
      } finally {
        await strict.close();
      }
    });
  });

  it('reuses keep-alive connections through one client per provider instance', async () => {
    const model = google.chat('gemini-2.5-flash');
    const sibling = google('gemini-2.0-flash');
    for (let index = 0; index < 10; index++) {
      await (index % 2 ? model : sibling).generate({ messages: [{ role: 'user', content: `sequential ${index}` }] });
    }
    expect(server.stats.requests).toBe(10);
    expect(server.stats.connections).toBeLessThanOrEqual(1);
  });

  it('describes known models, versioned names and unknown models', () => {
    const pro = google.chat('gemini-2.5-pro').getModelInfo();
    expect(pro).toMatchObject({ id: 'google:gemini-2.5-pro', contextWindow: 1_048_576, maxOutputTokens: 65_536 });
    expect(pro.pricing).toEqual({ inputPerMillion: 1.25, cachedInputPerMillion: 0.31, outputPerMillion: 10 });
    expect(google.chat('gemini-2.0-flash-001').getModelInfo()).toMatchObject({ maxOutputTokens: 8_192, pricing: { inputPerMillion: 0.1 } });
    expect(google.chat('gemini-2.0-flash-lite').getModelInfo().pricing).toEqual({ inputPerMillion: 0.075, outputPerMillion: 0.3 });
    const unknown = google.chat('gemini-3-experimental');
    expect(unknown.getModelInfo().pricing).toBeUndefined();
    expect(unknown.getModelInfo().maxOutputTokens).toBeUndefined();
    expect(unknown.estimateCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20 })).toBeUndefined();
    const priced = createGoogle({ baseURL: server.url, pricing: { inputPerMillion: 1, outputPerMillion: 2 }, contextWindow: 32_768 }).chat('gemma-3-27b-it');
    expect(priced.getModelInfo()).toMatchObject({ contextWindow: 32_768, pricing: { inputPerMillion: 1, outputPerMillion: 2 } });
  });
});
