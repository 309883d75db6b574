import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeAnthropicServer, type FakeAnthropicServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { createAnthropic, type AnthropicProvider, type AnthropicTokenUsage } from '../src/index.js';

const API_KEY = 'sk-ant-chat-model-test-0123456789abcdef';

describe('AnthropicChatModel against the fake Anthropic server', () => {
  let server: FakeAnthropicServer;
  let anthropic: AnthropicProvider;

  beforeAll(async () => {
    server = await startFakeAnthropicServer({ apiKey: API_KEY });
    anthropic = createAnthropic({ baseURL: server.url, apiKey: API_KEY, headers: { 'x-team': 'evals' } });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('lifts system messages to `system`, merges same-role turns, and sends only what is set', async () => {
    const model = anthropic.chat('claude-haiku-4-5');
    const response = await model.generate({
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is two plus two?' },
        { role: 'assistant', content: 'Four.' },
        { role: 'system', content: 'Use digits.' },
        { role: 'user', content: 'And three plus three?' },
        { role: 'user', content: 'Tool result:\n{"sum": 6}' },
      ],
      maxTokens: 64,
      stop: ['\n\nHuman:', 'END'],
      providerOptions: { userId: 'case-17', serviceTier: 'standard_only' },
    });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      system: 'Answer briefly.\n\nUse digits.',
      messages: [
        { role: 'user', content: 'What is two plus two?' },
        { role: 'assistant', content: 'Four.' },
        { role: 'user', content: 'And three plus three?\n\nTool result:\n{"sum": 6}' },
      ],
      stop_sequences: ['\n\nHuman:', 'END'],
      metadata: { user_id: 'case-17' },
      service_tier: 'standard_only',
      stream: false,
    });
    // SDK 1.x sends the key as a bearer token and API version 2026-10-21.
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.headers['anthropic-version']).toBe('2026-10-21');
    expect(sent?.headers['x-team']).toBe('evals');

    expect(response.text).toBe('And three plus three?\n\nTool result:\n{"sum": 6}');
    expect(response.finishReason).toBe('stop');
    // The fake counts words: 4 in `system`, 5 + 1 + 8 in the messages = 18 input tokens; the echo is 8 words.
    expect(response.usage).toEqual({ inputTokens: 18, outputTokens: 8, totalTokens: 26, cachedInputTokens: 0, cacheCreationInputTokens: 0 });
    expect(response.providerId).toBe('anthropic:claude-haiku-4-5');
    expect(response.model).toBe('claude-haiku-4-5');
    expect(response.rawId).toMatch(/^msg_/);
    expect(response.warnings).toEqual([]);
    // claude-haiku-4-5: $1 in, $5 out per million
    expect(response.cost?.inputUsd).toBeCloseTo((18 * 1) / 1e6, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((8 * 5) / 1e6, 12);
  });

  it('sends the default max_tokens when none is set, and warns only when the answer was cut at it', async () => {
    const model = anthropic.chat('claude-3-5-haiku');
    expect(model.defaultMaxTokens).toBe(4096);
    const plain = await model.generate({ messages: [{ role: 'user', content: 'hello' }] });
    expect((server.requests[0]?.body as { max_tokens: number }).max_tokens).toBe(4096);
    expect(plain.warnings).toEqual([]);

    server.setResponder(() => ({ text: 'cut short', stopReason: 'max_tokens' }));
    const cut = await model.generate({ messages: [{ role: 'user', content: 'hello' }] });
    expect(cut.finishReason).toBe('length');
    expect(cut.warnings).toEqual([expect.objectContaining({ setting: 'maxTokens', message: expect.stringContaining('max_tokens 4096') })]);

    const explicit = await model.generate({ messages: [{ role: 'user', content: 'hello' }], maxTokens: 10 });
    expect(explicit.finishReason).toBe('length');
    expect(explicit.warnings).toEqual([]);

    const configured = createAnthropic({ baseURL: server.url, apiKey: API_KEY, defaultMaxTokens: 300 }).chat('claude-3-haiku');
    await configured.generate({ messages: [{ role: 'user', content: 'hello' }] });
    expect((server.requests.at(-1)?.body as { max_tokens: number }).max_tokens).toBe(300);
    // An unknown model gets 4096 (its assumed maximum); a configured maxOutputTokens caps the default.
    expect(anthropic.chat('claude-unknown-model').defaultMaxTokens).toBe(4096);
    expect(createAnthropic({ baseURL: server.url, apiKey: API_KEY, maxOutputTokens: 1000 }).chat('claude-unknown-model').defaultMaxTokens).toBe(1000);
  });

  it('leaves out settings Anthropic lacks with a warning (sampling parameters on API version 2026-10-21)', async () => {
    const model = anthropic.chat('claude-sonnet-4-6');
    const response = await model.generate({
      messages: [{ role: 'user', content: 'hi', name: 'alice' }],
      temperature: 0,
      topP: 0.9,
      topK: 40,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.5,
    });
    const body = server.requests[0]?.body as Record<string, unknown>;
    for (const field of ['temperature', 'top_p', 'top_k', 'seed', 'presence_penalty', 'frequency_penalty']) expect(body).not.toHaveProperty(field);
    expect(response.warnings.map((warning) => warning.setting).sort()).toEqual(
      ['frequencyPenalty', 'messages.name', 'presencePenalty', 'seed', 'temperature', 'topK', 'topP'].sort(),
    );
    expect(response.warnings.every((warning) => warning.type === 'unsupported-setting')).toBe(true);
    expect(response.warnings.find((warning) => warning.setting === 'temperature')?.message).toContain("apiVersion: '2023-06-01'");
  });

  it("with apiVersion '2023-06-01' sends temperature, top_p and top_k (temperature capped at 1)", async () => {
    const legacy = createAnthropic({ baseURL: server.url, apiKey: API_KEY, apiVersion: '2023-06-01' }).chat('claude-sonnet-4-6');
    const response = await legacy.generate({ messages: [{ role: 'user', content: 'hi' }], temperature: 1.5, topP: 0.9, topK: 40, maxTokens: 5 });
    const [sent] = server.requests;
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.body).toMatchObject({ temperature: 1, top_p: 0.9, top_k: 40 });
    expect(response.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'temperature' })]);
  });

  it('the fake refuses sampling parameters on 2026-10-21 as the API does, so leaving them out matters', async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': '2026-10-21' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, temperature: 1, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'temperature: Extra inputs are not permitted' } });
  });

  it('asks for JSON with structured outputs when there is a schema and the model has them, else in the system prompt', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const structured = await anthropic.chat('claude-sonnet-4-6').generate({ messages: [{ role: 'user', content: 'hi' }], responseFormat: { type: 'json', schema } });
    expect((server.requests[0]?.body as Record<string, unknown>).output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect((server.requests[0]?.body as Record<string, unknown>).system).toBeUndefined();
    expect(structured.warnings).toEqual([]);

    const prompted = await anthropic
      .chat('claude-3-5-haiku')
      .generate({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hi' }], responseFormat: { type: 'json', schema } });
    const body = server.requests[1]?.body as Record<string, unknown>;
    expect(body.output_config).toBeUndefined();
    expect(body.system).toBe(`Be terse.\n\nRespond with a single JSON object and nothing else: no text, no Markdown code fence, before or after it. It must match this JSON Schema:\n${JSON.stringify(schema)}`);
    expect(prompted.warnings).toEqual([expect.objectContaining({ type: 'other', setting: 'responseFormat' })]);
  });

  it('marks the system prompt for caching and prices cache reads and writes at their own prices', async () => {
    server.setResponder(() => ({ text: 'ok', usage: { inputTokens: 100, outputTokens: 10, cacheCreationInputTokens: 2000, cacheReadInputTokens: 8000 } }));
    const model = anthropic.chat('claude-sonnet-4-6');
    const response = await model.generate({
      messages: [{ role: 'system', content: 'Long shared instructions.' }, { role: 'user', content: 'hi' }],
      providerOptions: { cacheSystemPrompt: true },
    });
    expect((server.requests[0]?.body as Record<string, unknown>).system).toEqual([
      { type: 'text', text: 'Long shared instructions.', cache_control: { type: 'ephemeral' } },
    ]);
    const usage = response.usage as AnthropicTokenUsage;
    expect(usage).toEqual({ inputTokens: 10_100, outputTokens: 10, totalTokens: 10_110, cachedInputTokens: 8000, cacheCreationInputTokens: 2000 });
    // Sonnet 4.6: $3 input, $3.75 cache write, $0.30 cache read, $15 output per million.
    const expectedInput = (100 * 3 + 2000 * 3.75 + 8000 * 0.3) / 1e6;
    expect(response.cost?.inputUsd).toBeCloseTo(expectedInput, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((10 * 15) / 1e6, 12);
    expect(model.estimateCost(usage)).toEqual(response.cost);
  });

  it('streams text deltas, usage (with cache tokens) and the finish, through the SSE events', async () => {
    server.setResponder(() => ({ text: 'alpha beta gamma', usage: { inputTokens: 5, cacheReadInputTokens: 50, outputTokens: 3 } }));
    const parts = await collectStream(anthropic.chat('claude-haiku-4-5').streamGenerate({ messages: [{ role: 'user', content: 'go' }], maxTokens: 20 }));
    expect(server.requests[0]?.body).toMatchObject({ stream: true, max_tokens: 20 });
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : ''))).toEqual(['alpha ', 'beta ', 'gamma']);
    const usagePart = parts.find((part) => part.type === 'usage');
    expect(usagePart).toEqual({ type: 'usage', usage: { inputTokens: 55, outputTokens: 3, totalTokens: 58, cachedInputTokens: 50, cacheCreationInputTokens: 0 } });
    const finish = parts.at(-1);
    expect(finish?.type).toBe('finish');
    if (finish?.type !== 'finish') return;
    expect(finish.response.text).toBe('alpha beta gamma');
    expect(finish.response.finishReason).toBe('stop');
    expect(finish.response.rawId).toMatch(/^msg_/);
    expect(finish.response.cost?.inputUsd).toBeCloseTo((5 * 1 + 50 * 0.1) / 1e6, 12);
  });

  it('reports a refusal as content-filter with its text and a warning, not as an error', async () => {
    server.setResponder(() => ({ text: 'I can’t help with that.', stopReason: 'refusal' }));
    const response = await anthropic.chat('claude-haiku-4-5').generate({ messages: [{ role: 'user', content: 'something bad' }] });
    expect(response.finishReason).toBe('content-filter');
    expect(response.text).toBe('I can’t help with that.');
    expect(response.warnings).toEqual([expect.objectContaining({ type: 'other', message: expect.stringContaining('declined') })]);
    const streamed = await collectStream(anthropic.chat('claude-haiku-4-5').streamGenerate({ messages: [{ role: 'user', content: 'something bad' }] }));
    const finish = streamed.at(-1);
    expect(finish?.type === 'finish' && finish.response.finishReason).toBe('content-filter');
  });

  it('refuses unknown providerOptions and a conversation of only system messages, without calling the server', async () => {
    const model = anthropic.chat('claude-haiku-4-5');
    const unknown = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'hi' }], providerOptions: { topA: 0.2 } }));
    expect(unknown.kind).toBe('bad-request');
    expect(unknown.message).toContain('providerOptions');
    expect(unknown.message).toContain('topA');
    const systemOnly = await providerErrorOf(() => model.generate({ messages: [{ role: 'system', content: 'rules' }] }));
    expect(systemOnly.kind).toBe('bad-request');
    expect(systemOnly.message).toContain("'user' message");
    expect(server.requests).toHaveLength(0);
  });

  it('describes known models from the table (dated snapshots included) and unknown ones without a price', () => {
    const haiku = anthropic.chat('claude-haiku-4-5-20251001').getModelInfo();
    expect(haiku).toMatchObject({ id: 'anthropic:claude-haiku-4-5-20251001', contextWindow: 200_000, maxOutputTokens: 64_000 });
    expect(haiku.pricing).toEqual({ inputPerMillion: 1, outputPerMillion: 5, cachedInputPerMillion: 0.1, cacheWriteInputPerMillion: 1.25 });
    expect(anthropic.chat('claude-3-7-sonnet-latest').getModelInfo().pricing?.inputPerMillion).toBe(3);
    expect(anthropic.chat('claude-opus-4-20250514').getModelInfo().pricing?.outputPerMillion).toBe(75);
    expect(anthropic.chat('claude-opus-4-6').getModelInfo().contextWindow).toBe(1_000_000);
    const unknown = anthropic.chat('claude-next-preview');
    expect(unknown.getModelInfo().pricing).toBeUndefined();
    expect(unknown.estimateCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20 })).toBeUndefined();
    const overridden = createAnthropic({ baseURL: server.url, apiKey: API_KEY, pricing: { inputPerMillion: 2, outputPerMillion: 4 }, contextWindow: 50_000 }).chat('claude-next-preview');
    expect(overridden.getModelInfo()).toMatchObject({ contextWindow: 50_000, pricing: { inputPerMillion: 2, outputPerMillion: 4 } });
  });
});
