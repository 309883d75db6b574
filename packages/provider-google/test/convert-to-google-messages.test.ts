import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { assistantMessageOf, type ChatMessage, type StreamPart } from '@llm-lab/core';
import { collectStream, providerErrorOf, startFakeGeminiServer, type FakeGeminiServer } from '@llm-lab/provider-testkit';
import { createGoogle, type GoogleProvider } from '../src/index.js';

const API_KEY = 'AIzaSyContractTwo0123456789abcdefghijk';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WEATHER = { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } };
const TIME = { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('Gemini wire format: function calling, images, thoughts and candidates', () => {
  let server: FakeGeminiServer;
  let google: GoogleProvider;
  const lastBody = () => server.requests.at(-1)?.body as Record<string, unknown>;

  beforeAll(async () => {
    server = await startFakeGeminiServer({ apiKey: API_KEY });
    google = createGoogle({ baseURL: server.url, apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('sends functionDeclarations (parameters through the SDK, or parametersJsonSchema as given) and each calling mode', async () => {
    const model = google.chat('gemini-2.5-flash');
    const ask = { messages: [{ role: 'user' as const, content: 'Weather?' }], tools: [WEATHER, TIME] };
    await model.generate({ ...ask, toolChoice: 'required' });
    expect(lastBody().tools).toEqual([
      {
        functionDeclarations: [
          // The SDK turns JSON Schema into Google's Schema: types in capitals, additionalProperties dropped.
          { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
          { name: 'get_time', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } },
        ],
      },
    ]);
    expect(lastBody().toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    await model.generate({ ...ask, toolChoice: { type: 'tool', name: 'get_time' }, providerOptions: { useJsonSchema: true } });
    expect((lastBody().tools as Array<{ functionDeclarations: unknown[] }>)[0]?.functionDeclarations[0]).toEqual({
      name: 'get_weather',
      description: 'Weather for a city.',
      parametersJsonSchema: WEATHER.parameters,
    });
    expect(lastBody().toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } });
    await model.generate({ ...ask, toolChoice: 'none' });
    expect(lastBody().toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    const auto = await model.generate({ ...ask, parallelToolCalls: false });
    expect(lastBody()).not.toHaveProperty('toolConfig');
    expect(auto.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'parallelToolCalls' })]);
  });

  it('returns functionCall parts as tool calls, with stable ids when Gemini sends none, whole and streamed', async () => {
    const model = google.chat('gemini-2.5-flash');
    const ask = { messages: [{ role: 'user' as const, content: 'Paris and Oslo?' }], tools: [WEATHER, TIME] };
    const calls = [
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
      { name: 'get_time', arguments: '{"city":"Oslo"}' },
    ];
    server.enqueueReply({ toolCalls: calls });
    const whole = await model.generate(ask);
    expect(whole.finishReason).toBe('tool-calls');
    expect(whole.toolCalls).toEqual([
      { id: `call_${whole.rawId}_0_0`, ...calls[0] },
      { id: `call_${whole.rawId}_0_1`, ...calls[1] },
    ]);

    server.enqueueReply({ text: 'Checking.', toolCalls: [{ id: 'fc_9', ...calls[0]! }] });
    const parts = await collectStream(model.streamGenerate(ask));
    expect(parts.filter((part) => part.type === 'tool-call-delta')).toEqual([{ type: 'tool-call-delta', index: 0, id: 'fc_9', name: 'get_weather', argumentsDelta: '{"city":"Paris"}' }]);
    expect(parts.filter((part) => part.type === 'tool-call')).toEqual([{ type: 'tool-call', index: 0, toolCall: { id: 'fc_9', ...calls[0] } }]);
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response).toMatchObject({ text: 'Checking.', finishReason: 'tool-calls' });
  });

  it("returns a call's thoughtSignature with it, whole and streamed, and sends it back on the replayed functionCall part", async () => {
    const model = google.chat('gemini-2.5-flash');
    const ask = { messages: [{ role: 'user' as const, content: 'Paris and Oslo?' }], tools: [WEATHER, TIME] };
    // A thinking model signs the first call of its turn; a parallel call after it carries no signature.
    const signed = [
      { name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'c2lnLXdlYXRoZXItcGFyaXM=' },
      { name: 'get_time', arguments: '{"city":"Oslo"}' },
    ];
    server.enqueueReply({ toolCalls: signed });
    const whole = await model.generate(ask);
    expect(whole.toolCalls?.map((call) => call.signature)).toEqual(['c2lnLXdlYXRoZXItcGFyaXM=', undefined]);

    server.enqueueReply({ toolCalls: signed });
    const parts = await collectStream(model.streamGenerate(ask));
    expect(parts.filter((part) => part.type === 'tool-call').map((part) => (part.type === 'tool-call' ? part.toolCall.signature : null))).toEqual([
      'c2lnLXdlYXRoZXItcGFyaXM=',
      undefined,
    ]);
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('no finish part');

    // The second turn: the model's calls replayed (as the tool loop does) with their results.
    const [weather, time] = finish.response.toolCalls!;
    await model.generate({
      ...ask,
      messages: [
        ...ask.messages,
        assistantMessageOf(finish.response),
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: weather!.id, name: 'get_weather', result: '{"celsius":12}' },
            { type: 'tool-result', toolCallId: time!.id, name: 'get_time', result: '{"time":"14:00"}' },
          ],
        },
      ],
    });
    const replayed = (lastBody().contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>)[1];
    expect(replayed?.role).toBe('model');
    expect(replayed?.parts).toEqual([
      { functionCall: { id: weather!.id, name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLXdlYXRoZXItcGFyaXM=' },
      { functionCall: { id: time!.id, name: 'get_time', args: { city: 'Oslo' } } },
    ]);
  });

  it('replays calls as functionCall and results as functionResponse (objects as they are, other results as output, failures as error)', async () => {
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
          { type: 'tool-result', toolCallId: 'c2', name: 'get_time', result: 'no such city', isError: true },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c3', name: 'get_time', result: '"09:00"' }] },
    ];
    await google.chat('gemini-2.5-flash').generate({ messages, tools: [WEATHER, TIME] });
    expect(lastBody().contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather and time in Oslo?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { id: 'c1', name: 'get_weather', args: { city: 'Oslo' } } },
          { functionCall: { id: 'c2', name: 'get_time', args: { city: 'Oslo' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'c1', name: 'get_weather', response: { celsius: -3 } } },
          { functionResponse: { id: 'c2', name: 'get_time', response: { error: 'no such city' } } },
          { functionResponse: { id: 'c3', name: 'get_time', response: { output: '09:00' } } },
        ],
      },
    ]);
  });

  it('sends images as inlineData (data URLs decoded) and typed URLs as fileData; refuses a URL of unknown type', async () => {
    await google.chat('gemini-2.5-flash').generate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare.' },
            { type: 'image', source: { type: 'url', url: `data:image/png;base64,${PNG}` } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.JPG?size=2' } },
          ],
        },
      ],
    });
    expect((lastBody().contents as unknown[])[0]).toEqual({
      role: 'user',
      parts: [{ text: 'Compare.' }, { inlineData: { mimeType: 'image/png', data: PNG } }, { fileData: { fileUri: 'https://example.com/cat.JPG?size=2', mimeType: 'image/jpeg' } }],
    });
    const error = await providerErrorOf(() =>
      google.chat('gemini-2.5-flash').generate({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/image' } }] }] }),
    );
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('messages[0].content[0]');
    expect(server.requests).toHaveLength(1);
  });

  it('asks for thoughts with includeThoughts and returns them as reasoning, streamed as reasoning deltas', async () => {
    const model = google.chat('gemini-2.5-pro');
    server.enqueueReply({ reasoning: 'Capital of France.', text: 'Paris' });
    const whole = await model.generate({ messages: [{ role: 'user', content: 'Capital?' }], providerOptions: { includeThoughts: true, thinkingBudget: 512 } });
    expect((lastBody().generationConfig as Record<string, unknown>).thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 512 });
    expect(whole).toMatchObject({ reasoning: 'Capital of France.', text: 'Paris' });
    server.enqueueReply({ reasoning: 'Capital of France.', text: 'Paris' });
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'Capital?' }] }));
    expect(parts.filter((part) => part.type === 'reasoning-delta')).toEqual([{ type: 'reasoning-delta', text: 'Capital of France.' }]);
    expect(parts.at(-1)?.type === 'finish' && (parts.at(-1) as Extract<StreamPart, { type: 'finish' }>).response.reasoning).toBe('Capital of France.');
  });

  it('sends n as candidateCount and returns every candidate as a choice, whole and streamed', async () => {
    const model = google.chat('gemini-2.5-flash');
    server.setResponder(() => ({ text: 'red one', alternatives: ['blue', 'green light'] }));
    try {
      const whole = await model.generate({ messages: [{ role: 'user', content: 'A colour?' }], n: 3 });
      expect((lastBody().generationConfig as Record<string, unknown>).candidateCount).toBe(3);
      expect(whole.text).toBe('red one');
      expect(whole.choices?.map((choice) => [choice.text, choice.finishReason])).toEqual([
        ['red one', 'stop'],
        ['blue', 'stop'],
        ['green light', 'stop'],
      ]);
      const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'A colour?' }], n: 3 }));
      const finish = parts.at(-1);
      if (finish?.type !== 'finish') throw new Error('no finish part');
      expect(finish.response.choices?.map((choice) => choice.text)).toEqual(['red one', 'blue', 'green light']);
      expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : '')).join('')).toBe('red one');
    } finally {
      server.setResponder(undefined);
    }
  });

  it('reports a stream that fails midway as an error part, then throws', async () => {
    server.enqueueFault({ type: 'truncate-stream', afterChunks: 2 });
    const parts: StreamPart[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of google.chat('gemini-2.5-flash').streamGenerate({ messages: [{ role: 'user', content: 'one two three four five' }] })) parts.push(part);
    });
    expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
    expect(parts.at(-1)).toEqual({ type: 'error', error });
  });

  it('says per model what works', () => {
    expect(google.chat('gemini-2.5-flash').getModelInfo().capabilities).toMatchObject({ tools: true, parallelToolCalls: true, vision: true, jsonMode: true, jsonSchema: true, reasoning: true, multipleChoices: true });
    expect(google.chat('gemini-2.0-flash').getModelInfo().capabilities.reasoning).toBe(false);
    expect(google.chat('gemma-3-27b-it').getModelInfo().capabilities).toMatchObject({ tools: false, vision: false, jsonSchema: false });
  });
});
