import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import type { StreamPart } from '@llm-lab/core';
import { createOpenAI, type OpenAIProvider } from '../src/index.js';

const API_KEY = 'sk-chat-model-test-0123456789abcdef';

describe('OpenAIChatModel against the fake OpenAI server', () => {
  let server: FakeOpenAIServer;
  let openai: OpenAIProvider;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: API_KEY });
    openai = createOpenAI({ baseURL: server.url, apiKey: API_KEY, organization: 'org-123', project: 'proj-9', headers: { 'x-team': 'evals' } });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('asks for log-probabilities and returns them, whole and streamed', async () => {
    server.setResponder(() => ({
      text: 'Score: 4',
      logprobs: [
        { token: 'Score: ', logprob: -0.01, top: [{ token: 'Score: ', logprob: -0.01 }, { token: 'Rating: ', logprob: -4.6 }] },
        { token: '4', logprob: -0.36, top: [{ token: '4', logprob: -0.36 }, { token: '5', logprob: -1.2 }] },
      ],
    }));
    const model = openai.chat('gpt-4o-mini');
    const request = { messages: [{ role: 'user' as const, content: 'Rate it 1-5.' }], logprobs: 2 };
    const response = await model.generate(request);
    expect(server.requests[0]?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(response.logprobs).toEqual([
      { token: 'Score: ', logprob: -0.01, topLogprobs: [{ token: 'Score: ', logprob: -0.01 }, { token: 'Rating: ', logprob: -4.6 }] },
      { token: '4', logprob: -0.36, topLogprobs: [{ token: '4', logprob: -0.36 }, { token: '5', logprob: -1.2 }] },
    ]);
    const parts = await collectStream(model.streamGenerate(request));
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response.logprobs?.map((entry) => [entry.token, entry.logprob])).toEqual([
      ['Score: ', -0.01],
      ['4', -0.36],
    ]);
    // Not asked: none sent, none returned.
    const plain = await model.generate({ messages: request.messages });
    expect(server.requests.at(-1)?.body).not.toHaveProperty('logprobs');
    expect(plain.logprobs).toBeUndefined();
    await expect(model.generate({ ...request, logprobs: 50 })).rejects.toThrow(/Invalid request setting 'logprobs'/);
  });

  it('sends every request field mapped to OpenAI names, and nothing unset', async () => {
    const model = openai.chat('gpt-4o-mini');
    const response = await model.generate({
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is two plus two?', name: 'alice' },
        { role: 'assistant', content: 'Four.' },
        { role: 'user', content: 'And three plus three?' },
      ],
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      stop: ['\n\n', 'END'],
      seed: 7,
      responseFormat: { type: 'json' },
      providerOptions: { user: 'case-17', serviceTier: 'flex' },
    });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        // No message mentions JSON, which OpenAI requires in JSON mode: the instruction goes first.
        { role: 'system', content: 'Answer with a JSON object.' },
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is two plus two?', name: 'alice' },
        { role: 'assistant', content: 'Four.' },
        { role: 'user', content: 'And three plus three?' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      stop: ['\n\n', 'END'],
      seed: 7,
      response_format: { type: 'json_object' },
      user: 'case-17',
      service_tier: 'flex',
      stream: false,
    });
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.headers['openai-organization']).toBe('org-123');
    expect(sent?.headers['openai-project']).toBe('proj-9');
    expect(sent?.headers['x-team']).toBe('evals');

    expect(response.text).toBe('And three plus three?');
    expect(response.finishReason).toBe('stop');
    // 12 words of the conversation and 5 of the JSON instruction.
    expect(response.usage).toEqual({ inputTokens: 17, outputTokens: 4, totalTokens: 21, cachedInputTokens: 0, reasoningTokens: 0 });
    expect(response.providerId).toBe('openai:gpt-4o-mini');
    expect(response.model).toBe('gpt-4o-mini');
    expect(response.rawId).toMatch(/^chatcmpl-/);
    expect(response.latencyMs).toBeGreaterThan(0);
    expect(response.warnings).toEqual([]);
    // gpt-4o-mini: $0.15 in, $0.60 out per million
    expect(response.cost?.inputUsd).toBeCloseTo((17 * 0.15) / 1e6, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((4 * 0.6) / 1e6, 12);
  });

  it('sends a JSON schema as a strict json_schema response format, and max_completion_tokens when configured', async () => {
    const strictProvider = createOpenAI({ baseURL: server.url, apiKey: API_KEY, maxTokensParameter: 'max_completion_tokens' });
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await strictProvider.chat('gpt-4.1').generate({
      messages: [{ role: 'user', content: 'JSON please' }],
      maxTokens: 10,
      responseFormat: { type: 'json', schema, name: 'answer' },
    });
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'JSON please' }],
      max_completion_tokens: 10,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
      stream: false,
    });
  });

  it('warns about topK and, for reasoning models, leaves out sampling settings they refuse', async () => {
    const response = await openai.chat('o4-mini').generate({
      messages: [{ role: 'user', content: 'think' }],
      temperature: 0.3,
      stop: ['x'],
      topK: 5,
      seed: 1,
      providerOptions: { reasoningEffort: 'low' },
    });
    expect(server.requests[0]?.body).toEqual({
      model: 'o4-mini',
      messages: [{ role: 'user', content: 'think' }],
      seed: 1,
      reasoning_effort: 'low',
      stream: false,
    });
    expect(response.warnings.map((warning) => [warning.type, warning.setting])).toEqual([
      ['unsupported-setting', 'temperature'],
      ['unsupported-setting', 'stop'],
      ['unsupported-setting', 'topK'],
    ]);
  });

  it('refuses unknown providerOptions and invalid settings before calling the server', async () => {
    const model = openai.chat('gpt-4o');
    const unknown = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }], providerOptions: { logitBias: {} } }));
    expect(unknown.kind).toBe('bad-request');
    expect(unknown.message).toContain('providerOptions');
    expect(unknown.message).toContain('logitBias');
    const hot = await providerErrorOf(() => model.generate({ messages: [{ role: 'user', content: 'x' }], temperature: 5 }));
    expect(hot.message).toContain("'temperature'");
    expect(server.requests).toHaveLength(0);
  });

  it('maps finish reasons, cached and reasoning tokens, and prices cached input at the cached rate', async () => {
    server.setResponder(() => ({ text: 'cut', finishReason: 'length', usage: { promptTokens: 1000, completionTokens: 10, cachedTokens: 600, reasoningTokens: 4 } }));
    const response = await openai.chat('gpt-4o-2024-08-06').generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(response.finishReason).toBe('length');
    expect(response.usage).toEqual({ inputTokens: 1000, outputTokens: 10, totalTokens: 1010, cachedInputTokens: 600, reasoningTokens: 4 });
    // dated snapshot priced as gpt-4o: 400 × $2.50 + 600 × $1.25 per million in, 10 × $10 per million out
    expect(response.cost?.inputUsd).toBeCloseTo((400 * 2.5 + 600 * 1.25) / 1e6, 12);
    expect(response.cost?.outputUsd).toBeCloseTo((10 * 10) / 1e6, 12);
    server.setResponder(() => ({ text: '', finishReason: 'content_filter' }));
    const filtered = await openai.chat('gpt-4o').generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(filtered.finishReason).toBe('content-filter');
  });

  it('streams with include_usage and returns the whole response in finish', async () => {
    const model = openai.chat('gpt-4o-mini');
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'alpha beta gamma' }], temperature: 0 }));
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'alpha beta gamma' }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta', 'text-delta', 'usage', 'finish']);
    expect(parts.slice(0, 3)).toEqual([
      { type: 'text-delta', text: 'alpha ' },
      { type: 'text-delta', text: 'beta ' },
      { type: 'text-delta', text: 'gamma' },
    ]);
    const usage = { inputTokens: 3, outputTokens: 3, totalTokens: 6, cachedInputTokens: 0, reasoningTokens: 0 };
    expect(parts[3]).toEqual({ type: 'usage', usage });
    const finish = parts[4];
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(finish.response).toMatchObject({ text: 'alpha beta gamma', finishReason: 'stop', usage, providerId: 'openai:gpt-4o-mini', model: 'gpt-4o-mini' });
    expect(finish.response.rawId).toMatch(/^chatcmpl-/);
    expect(finish.response.cost).toEqual(model.estimateCost(usage));
    expect(finish.response.timeToFirstTokenMs).toBeLessThanOrEqual(finish.response.latencyMs);
  });

  it('reports time to first token separately from latency on a slow stream', async () => {
    const slow = await startFakeOpenAIServer({ latencyMs: 30, streamChunkDelayMs: 30 });
    try {
      const model = createOpenAI({ baseURL: slow.url }).chat('gpt-4o');
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

  it('reuses keep-alive connections through one client per provider instance', async () => {
    const model = openai.chat('gpt-4o-mini');
    const sibling = openai('gpt-4o');
    for (let index = 0; index < 10; index++) {
      await (index % 2 ? model : sibling).generate({ messages: [{ role: 'user', content: `sequential ${index}` }] });
    }
    // Ten calls in a row from two models of one provider travel over one kept-alive connection.
    expect(server.stats.requests).toBe(10);
    expect(server.stats.connections).toBeLessThanOrEqual(1);
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 8 }, (_, index) => model.generate({ messages: [{ role: 'user', content: `n${index}` }] })));
    }
    expect(server.stats.requests).toBe(42);
    expect(server.stats.connections).toBeLessThan(32);
  });

  it('describes known models, dated snapshots and unknown models', () => {
    const known = openai.chat('gpt-4.1-mini').getModelInfo();
    expect(known).toMatchObject({ id: 'openai:gpt-4.1-mini', contextWindow: 1_047_576, maxOutputTokens: 32_768 });
    expect(known.pricing).toEqual({ inputPerMillion: 0.4, cachedInputPerMillion: 0.1, outputPerMillion: 1.6 });
    expect(openai.chat('gpt-4o-mini-2024-07-18').getModelInfo().pricing?.inputPerMillion).toBe(0.15);
    expect(openai.chat('o3-mini').getModelInfo().capabilities.vision).toBe(false);
    const unknown = openai.chat('qwen2.5-7b-instruct');
    expect(unknown.getModelInfo().pricing).toBeUndefined();
    expect(unknown.estimateCost({ inputTokens: 10, outputTokens: 10, totalTokens: 20 })).toBeUndefined();
    const priced = createOpenAI({ baseURL: server.url, pricing: { inputPerMillion: 1, outputPerMillion: 2 }, contextWindow: 32_768 }).chat('qwen2.5-7b-instruct');
    expect(priced.getModelInfo()).toMatchObject({ contextWindow: 32_768, pricing: { inputPerMillion: 1, outputPerMillion: 2 } });
  });
});
