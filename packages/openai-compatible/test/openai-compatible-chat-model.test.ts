import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { assistantMessageOf, type ChatMessage, type StreamPart } from '@llm-lab/core';
import { collectStream, faults, providerErrorOf, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import OpenAI from 'openai';
import { createNodeHttpFetch, OpenAICompatibleChatModel, type OpenAIModelFacts } from '../src/index.js';

const FACTS: OpenAIModelFacts = {
  contextWindow: 32_000,
  capabilities: { streaming: true, batch: false, embeddings: false, logprobs: false, tools: true, parallelToolCalls: true, jsonMode: true, jsonSchema: true, vision: true, reasoning: true, multipleChoices: true },
  reasoning: false,
};
const WEATHER = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

function modelOn(server: FakeOpenAIServer): OpenAICompatibleChatModel {
  const client = new OpenAI({ baseURL: server.url, apiKey: 'local-key', maxRetries: 0, logLevel: 'off', fetch: createNodeHttpFetch() });
  return new OpenAICompatibleChatModel('deepseek-r1-distill', {
    client,
    facts: FACTS,
    settings: { baseURL: server.url, timeoutMs: 30_000, isOpenAIHost: false, maxTokensParameter: 'max_tokens', topK: 'top_k', providerOptions: 'none', bufferedTransport: true },
  });
}

describe('OpenAICompatibleChatModel on a server that returns reasoning_content', () => {
  let server: FakeOpenAIServer;
  let model: OpenAICompatibleChatModel;
  beforeAll(async () => {
    server = await startFakeOpenAIServer({ reasoningContent: true });
    model = modelOn(server);
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('returns the reasoning apart from the text, whole and streamed as reasoning deltas before the text', async () => {
    server.enqueueReply({ reasoning: 'Paris is the capital of France.', text: 'Paris' });
    const whole = await model.generate({ messages: [{ role: 'user', content: 'Capital of France?' }] });
    expect(whole).toMatchObject({ text: 'Paris', reasoning: 'Paris is the capital of France.', finishReason: 'stop' });
    expect(whole.usage.reasoningTokens).toBe(6);

    server.enqueueReply({ reasoning: 'Paris is the capital of France.', text: 'Paris' });
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'Capital of France?' }] }));
    const kinds = parts.map((part) => part.type).filter((type) => type === 'reasoning-delta' || type === 'text-delta');
    expect(kinds.indexOf('text-delta')).toBeGreaterThan(kinds.lastIndexOf('reasoning-delta'));
    const reasoning = parts.flatMap((part) => (part.type === 'reasoning-delta' ? [part.text] : [])).join('');
    expect(reasoning).toBe('Paris is the capital of France.');
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response).toMatchObject({ text: 'Paris', reasoning: 'Paris is the capital of France.' });
  });

  it('returns every alternative when asked for n, whole and streamed', async () => {
    const whole = await model.generate({ messages: [{ role: 'user', content: 'pick a word' }], n: 3 });
    expect(whole.text).toBe('pick a word');
    expect(whole.choices).toEqual([0, 1, 2].map(() => ({ text: 'pick a word', finishReason: 'stop' })));
    expect(server.describeRequest(server.requests.at(-1)!).n).toBe(3);

    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'two words' }], n: 2 }));
    // Deltas are those of the first alternative only; the others arrive in the finished response.
    expect(parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('')).toBe('two words');
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response.choices?.map((choice) => choice.text)).toEqual(['two words', 'two words']);
  });

  it('runs a two-step tool loop: the call, the result sent back by id, then the answer', async () => {
    server.enqueueReply({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await model.generate({ messages, tools: [WEATHER] });
    expect(first.finishReason).toBe('tool-calls');
    const call = first.toolCalls?.[0];
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}', id: expect.stringMatching(/^call_/) });
    messages.push(assistantMessageOf(first), { role: 'tool', content: [{ type: 'tool-result', toolCallId: call!.id, name: call!.name, result: '{"celsius":18}' }] });
    server.enqueueReply({ text: '18°C in Paris.' });
    const second = await model.generate({ messages, tools: [WEATHER] });
    expect(second.text).toBe('18°C in Paris.');
    const sent = server.describeRequest(server.requests.at(-1)!);
    expect(sent.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent.messages[2]?.toolResults).toEqual([{ toolCallId: call!.id, result: '{"celsius":18}' }]);
  });

  it("a tool result that answers no call is refused by the server, in OpenAI's words", async () => {
    const error = await providerErrorOf(() =>
      model.generate({ messages: [{ role: 'user', content: 'hi' }, { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_x', name: 'f', result: '1' }] }] }),
    );
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain("messages with role 'tool' must be a response to a preceeding message with 'tool_calls'");
  });

  it('reports a stream cut mid-answer in band (an error part) and then throws it', async () => {
    server.enqueueFault(faults.truncateStream(3));
    const parts: StreamPart[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of model.streamGenerate({ messages: [{ role: 'user', content: 'a b c d e f' }] })) parts.push(part);
    });
    expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
    const last = parts.at(-1);
    expect(last?.type).toBe('error');
    expect(last?.type === 'error' && last.error).toBe(error);
  });
});
