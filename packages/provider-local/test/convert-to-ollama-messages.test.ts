import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatMessage, StreamPart } from '@llm-lab/core';
import { collectStream, providerErrorOf, startFakeOllamaServer, type FakeOllamaServer } from '@llm-lab/provider-testkit';
import { createOllama, type OllamaProvider } from '../src/index.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WEATHER = { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const TIME = { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('Ollama /api/chat wire format: tools, tool messages, images and thinking', () => {
  let server: FakeOllamaServer;
  let ollama: OllamaProvider;
  const lastBody = () => server.requests.at(-1)?.body as Record<string, unknown>;

  beforeAll(async () => {
    server = await startFakeOllamaServer({ models: ['qwen3:8b'] });
    ollama = createOllama({ baseURL: server.url, capabilities: { tools: true, vision: true, reasoning: true } });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('sends tools as functions, and turns the tool choices Ollama lacks into warnings', async () => {
    const model = ollama.chat('qwen3:8b');
    const ask = { messages: [{ role: 'user' as const, content: 'Weather?' }], tools: [WEATHER, TIME] };
    const plain = await model.generate(ask);
    expect(lastBody().tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city.', parameters: WEATHER.parameters } },
      { type: 'function', function: { name: 'get_time', parameters: TIME.parameters } },
    ]);
    expect(plain.warnings).toEqual([]);
    const named = await model.generate({ ...ask, toolChoice: { type: 'tool', name: 'get_time' } });
    expect((lastBody().tools as Array<{ function: { name: string } }>).map((tool) => tool.function.name)).toEqual(['get_time']);
    expect(named.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'toolChoice' })]);
    const none = await model.generate({ ...ask, toolChoice: 'none' });
    expect(lastBody()).not.toHaveProperty('tools');
    expect(none.warnings).toEqual([]);
    const required = await model.generate({ ...ask, toolChoice: 'required', parallelToolCalls: false, n: 2 });
    expect(required.warnings.map((warning) => warning.setting).sort()).toEqual(['n', 'parallelToolCalls', 'toolChoice']);
  });

  it('returns tool_calls with their arguments as JSON text (stable ids when Ollama sends none), whole and streamed', async () => {
    const model = ollama.chat('qwen3:8b');
    const ask = { messages: [{ role: 'user' as const, content: 'Paris and Oslo?' }], tools: [WEATHER, TIME] };
    server.enqueueReply({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }, { name: 'get_time', arguments: '{"city":"Oslo"}' }] });
    const whole = await model.generate(ask);
    expect(whole.finishReason).toBe('tool-calls');
    expect(whole.toolCalls).toEqual([
      { id: 'call_0_get_weather', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_1_get_time', name: 'get_time', arguments: '{"city":"Oslo"}' },
    ]);
    server.enqueueReply({ text: 'Checking.', toolCalls: [{ id: 'call_x', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const parts = await collectStream(model.streamGenerate(ask));
    expect(parts.filter((part) => part.type === 'tool-call-delta')).toEqual([{ type: 'tool-call-delta', index: 0, id: 'call_x', name: 'get_weather', argumentsDelta: '{"city":"Paris"}' }]);
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response).toMatchObject({ text: 'Checking.', finishReason: 'tool-calls', toolCalls: [{ id: 'call_x' }] });
  });

  it('replays tool calls with their ids and thinking, and one tool message per result with tool_name and tool_call_id', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather and time in Oslo?' },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Two lookups.' },
          { type: 'tool-call', id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool-call', id: 'c2', name: 'get_time', arguments: '{"city":"Oslo"}' },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'c1', name: 'get_weather', result: '{"celsius":-3}' },
          { type: 'tool-result', toolCallId: 'c2', name: 'get_time', result: '09:00' },
        ],
      },
    ];
    await ollama.chat('qwen3:8b').generate({ messages, tools: [WEATHER, TIME] });
    expect(lastBody().messages).toEqual([
      { role: 'user', content: 'Weather and time in Oslo?' },
      {
        role: 'assistant',
        content: '',
        thinking: 'Two lookups.',
        tool_calls: [
          { id: 'c1', function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
          { id: 'c2', function: { name: 'get_time', arguments: { city: 'Oslo' } } },
        ],
      },
      { role: 'tool', content: '{"celsius":-3}', tool_name: 'get_weather', tool_call_id: 'c1' },
      { role: 'tool', content: '09:00', tool_name: 'get_time', tool_call_id: 'c2' },
    ]);
  });

  it('sends images as base64 (data URLs decoded) and refuses an http URL, which Ollama cannot fetch', async () => {
    await ollama.chat('qwen3:8b').generate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    });
    expect(lastBody().messages).toEqual([{ role: 'user', content: 'What is this?', images: [PNG, PNG] }]);
    const error = await providerErrorOf(() =>
      ollama.chat('qwen3:8b').generate({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }] }] }),
    );
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('messages[0].content[0].source');
    expect(server.requests).toHaveLength(1);
  });

  it('returns thinking as reasoning, streamed as reasoning deltas before the text', async () => {
    const model = ollama.chat('qwen3:8b');
    server.enqueueReply({ reasoning: 'The capital of France is Paris.', text: 'Paris' });
    const whole = await model.generate({ messages: [{ role: 'user', content: 'Capital?' }], providerOptions: { think: true } });
    expect(lastBody().think).toBe(true);
    expect(whole).toMatchObject({ reasoning: 'The capital of France is Paris.', text: 'Paris' });
    server.enqueueReply({ reasoning: 'The capital of France is Paris.', text: 'Paris' });
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'Capital?' }], providerOptions: { think: true } }));
    const kinds = parts.filter((part) => part.type === 'reasoning-delta' || part.type === 'text-delta').map((part) => part.type);
    expect(kinds.indexOf('text-delta')).toBeGreaterThan(kinds.lastIndexOf('reasoning-delta'));
    expect(parts.filter((part) => part.type === 'reasoning-delta').map((part) => (part.type === 'reasoning-delta' ? part.text : '')).join('')).toBe('The capital of France is Paris.');
  });

  it('sends a JSON schema as format, and reports a mid-stream error line as an error part, then throws', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    await ollama.chat('qwen3:8b').generate({ messages: [{ role: 'user', content: 'JSON' }], responseFormat: { type: 'json', schema } });
    expect(lastBody().format).toEqual(schema);
    server.enqueueStreamError('llama runner process has terminated', 2);
    const parts: StreamPart[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of ollama.chat('qwen3:8b').streamGenerate({ messages: [{ role: 'user', content: 'one two three four' }] })) parts.push(part);
    });
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(2);
    expect(parts.at(-1)).toEqual({ type: 'error', error });
  });

  it('claims tools, images and thinking only when the config says the model has them', () => {
    expect(createOllama({ baseURL: server.url }).chat('qwen3:8b').getModelInfo().capabilities).toMatchObject({
      tools: false,
      parallelToolCalls: false,
      vision: false,
      reasoning: false,
      jsonMode: true,
      jsonSchema: true,
      multipleChoices: false,
    });
    expect(ollama.chat('qwen3:8b').getModelInfo().capabilities).toMatchObject({ tools: true, parallelToolCalls: true, vision: true, reasoning: true });
  });
});
