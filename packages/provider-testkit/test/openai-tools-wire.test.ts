import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI, { BadRequestError } from 'openai';
import { startFakeAzureOpenAIServer, startFakeOpenAIServer, type FakeAzureOpenAIServer, type FakeOpenAIServer } from '../src/index.js';

const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];
const CALLS = [
  { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
  { id: 'call_b', name: 'get_time', arguments: '{"city":"Oslo"}' },
];

async function badRequest(action: () => Promise<unknown>): Promise<BadRequestError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('the fake OpenAI server: tools, images, JSON schema and n on the wire', () => {
  let server: FakeOpenAIServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0, logLevel: 'off' });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('answers scripted tool calls whole: content null, tool_calls of type function, finish_reason tool_calls', async () => {
    server.enqueueReply({ toolCalls: CALLS });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }], tools: TOOLS });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual(CALLS.map(({ id, name, arguments: args }) => ({ id, type: 'function', function: { name, arguments: args } })));
  });

  it('streams tool calls as OpenAI does: id, type and name first with empty arguments, then argument fragments by index', async () => {
    server.enqueueReply({ toolCalls: CALLS });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }], tools: TOOLS, stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        deltas.push(...(choice.delta.tool_calls ?? []));
        finish = choice.finish_reason ?? finish;
      }
    }
    expect(finish).toBe('tool_calls');
    for (const [index, call] of CALLS.entries()) {
      const own = deltas.filter((delta) => delta.index === index);
      expect(own[0]).toEqual({ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } });
      expect(own.length).toBeGreaterThan(2);
      expect(own.slice(1).every((delta) => delta.id === undefined && delta.function?.name === undefined)).toBe(true);
      expect(own.map((delta) => delta.function?.arguments ?? '').join('')).toBe(call.arguments);
    }
    // Parallel calls follow one another: every delta of call 0 comes before call 1's.
    expect(deltas.map((delta) => delta.index)).toEqual([...deltas.map((delta) => delta.index)].sort());
  });

  it('reads tools, tool choice, tool messages, image parts, the JSON schema and n back in neutral terms', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      n: 2,
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema, strict: true } },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
      ],
    });
    const view = server.describeRequest(server.requests.at(-1)!);
    expect(view).toMatchObject({ system: 'Be brief.', toolChoice: { name: 'get_time' }, json: true, responseSchema: schema, n: 2 });
    expect(view.tools.map((tool) => tool.name)).toEqual(['get_weather', 'get_time']);
    expect(view.messages).toEqual([
      { role: 'user', text: 'Look:', images: [{ url: 'data:image/png;base64,AAAA', mediaType: 'image/png', data: 'AAAA' }], toolCalls: [], toolResults: [] },
      { role: 'assistant', text: '', images: [], toolCalls: [{ id: 'call_1', name: 'get_time', arguments: '{}' }], toolResults: [] },
      { role: 'tool', text: '12:00', images: [], toolCalls: [], toolResults: [{ toolCallId: 'call_1', result: '12:00' }] },
    ]);
  });

  it("refuses what OpenAI refuses, with OpenAI's messages", async () => {
    const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) =>
      badRequest(() => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra }));
    expect((await ask({ response_format: { type: 'json_object' } })).message).toContain("must contain the word 'json'");
    expect((await ask({ tool_choice: 'required' })).message).toContain("'tool_choice' is only allowed when 'tools' are specified");
    expect((await ask({ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } })).message).toContain("no function named 'nope'");
    const unanswered = await ask({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
        { role: 'user', content: 'and?' },
      ],
    });
    expect(unanswered.message).toContain('did not have response messages: call_9');
  });
});

describe('the fake Azure OpenAI server speaks the same tool format', () => {
  let server: FakeAzureOpenAIServer;
  beforeAll(async () => {
    server = await startFakeAzureOpenAIServer();
  });
  afterAll(() => server.close());

  it('streams scripted tool calls after its prompt-filter chunk', async () => {
    const { AzureOpenAI } = await import('openai');
    const client = new AzureOpenAI({ endpoint: server.url, apiKey: 'azure-key', apiVersion: '2024-10-21', deployment: 'gpt-4o-mini', maxRetries: 0, logLevel: 'off' });
    server.enqueueReply({ toolCalls: [CALLS[0]!] });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }], tools: TOOLS, stream: true });
    let args = '';
    for await (const chunk of stream) for (const choice of chunk.choices) args += choice.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    expect(args).toBe(CALLS[0]!.arguments);
  });
});
