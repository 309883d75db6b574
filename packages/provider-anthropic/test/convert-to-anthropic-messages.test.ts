import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { assistantMessageOf, type ChatMessage, type StreamPart } from '@llm-lab/core';
import { collectStream, providerErrorOf, startFakeAnthropicServer, type FakeAnthropicServer } from '@llm-lab/provider-testkit';
import { createAnthropic, type AnthropicProvider } from '../src/index.js';

const API_KEY = 'sk-ant-contract-two-0123456789abcdef';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WEATHER = { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const TIME = { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('Anthropic wire format: tools, images, tool results and thinking', () => {
  let server: FakeAnthropicServer;
  let anthropic: AnthropicProvider;
  const lastBody = () => server.requests.at(-1)?.body as Record<string, unknown>;

  beforeAll(async () => {
    server = await startFakeAnthropicServer({ apiKey: API_KEY });
    anthropic = createAnthropic({ baseURL: server.url, apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('sends tools with input_schema and maps each tool choice, parallel calls switched off on request', async () => {
    const model = anthropic.chat('claude-sonnet-4-6');
    const ask = { messages: [{ role: 'user' as const, content: 'Weather in Paris?' }], tools: [WEATHER, { ...TIME, strict: true }] };
    await model.generate({ ...ask, toolChoice: 'required', parallelToolCalls: false });
    expect(lastBody().tools).toEqual([
      { name: 'get_weather', description: 'Weather for a city.', input_schema: WEATHER.parameters },
      { name: 'get_time', input_schema: TIME.parameters, strict: true },
    ]);
    expect(lastBody().tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    await model.generate({ ...ask, toolChoice: { type: 'tool', name: 'get_time' } });
    expect(lastBody().tool_choice).toEqual({ type: 'tool', name: 'get_time' });
    await model.generate({ ...ask, toolChoice: 'none' });
    expect(lastBody().tool_choice).toEqual({ type: 'none' });
    await model.generate(ask);
    expect(lastBody()).not.toHaveProperty('tool_choice');
    await model.generate({ ...ask, parallelToolCalls: false });
    expect(lastBody().tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('returns tool_use blocks as tool calls with JSON arguments, whole and streamed as input_json_delta fragments', async () => {
    const model = anthropic.chat('claude-haiku-4-5');
    const calls = [
      { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris, France"}' },
      { id: 'toolu_2', name: 'get_time', arguments: '{}' },
    ];
    server.enqueueReply({ text: 'Let me check.', toolCalls: calls });
    const whole = await model.generate({ messages: [{ role: 'user', content: 'Paris?' }], tools: [WEATHER, TIME] });
    expect(whole).toMatchObject({ text: 'Let me check.', toolCalls: calls, finishReason: 'tool-calls' });

    server.enqueueReply({ toolCalls: calls });
    const parts = await collectStream(model.streamGenerate({ messages: [{ role: 'user', content: 'Paris?' }], tools: [WEATHER, TIME] }));
    const deltas = parts.filter((part): part is Extract<StreamPart, { type: 'tool-call-delta' }> => part.type === 'tool-call-delta');
    // The first fragment of each call names it; the arguments arrive in several fragments.
    expect(deltas.filter((delta) => delta.index === 0).length).toBeGreaterThan(2);
    expect(deltas.find((delta) => delta.index === 1)).toMatchObject({ id: 'toolu_2', name: 'get_time' });
    const completed = parts.filter((part) => part.type === 'tool-call').map((part) => (part.type === 'tool-call' ? part.toolCall : undefined));
    expect(completed).toEqual(calls);
    // Call 0 completes (its block stops) before call 1 starts.
    expect(parts.findIndex((part) => part.type === 'tool-call')).toBeLessThan(parts.findIndex((part) => part.type === 'tool-call-delta' && part.index === 1));
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response).toMatchObject({ text: '', toolCalls: calls, finishReason: 'tool-calls' });
  });

  it('replays calls as tool_use and merges the results of parallel calls and a following user text into one user turn, results first', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather and time in Oslo?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool-call', id: 'toolu_b', name: 'get_time', arguments: '{"city":"Oslo"}' },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_a', name: 'get_weather', result: '{"celsius":-3}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_b', name: 'get_time', result: 'unknown city', isError: true }] },
      { role: 'user', content: 'Be brief.' },
    ];
    await anthropic.chat('claude-haiku-4-5').generate({ messages, tools: [WEATHER, TIME] });
    expect(lastBody().messages).toEqual([
      { role: 'user', content: 'Weather and time in Oslo?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '{"celsius":-3}' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'unknown city', is_error: true },
          { type: 'text', text: 'Be brief.' },
        ],
      },
    ]);
  });

  it('refuses tool-call arguments that are not JSON, naming the part, without calling the server', async () => {
    const error = await providerErrorOf(() =>
      anthropic.chat('claude-haiku-4-5').generate({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'get_time', arguments: '{city: Oslo' }] },
        ],
      }),
    );
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('messages[1].content[0].arguments');
    expect(server.requests).toHaveLength(0);
  });

  it('sends images as base64 sources (data URLs decoded) and http URLs as url sources; refuses other media types', async () => {
    await anthropic.chat('claude-haiku-4-5').generate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'url', url: `data:image/png;base64,${PNG}` } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'text', text: 'Compare.' },
          ],
        },
      ],
    });
    expect((lastBody().messages as unknown[])[0]).toEqual({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'text', text: 'Compare.' },
      ],
    });
    const error = await providerErrorOf(() =>
      anthropic.chat('claude-haiku-4-5').generate({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/tiff', data: 'AAAA' } }] }] }),
    );
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('image/tiff');
  });

  it('replays every thinking block of a turn with its own signature (interleaved thinking before tool use), whole and streamed', async () => {
    const model = anthropic.chat('claude-sonnet-4-6');
    const ask = {
      messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
      tools: [WEATHER],
      maxTokens: 4000,
      providerOptions: { thinking: { type: 'enabled', budgetTokens: 2000 } },
    };
    const blocks = [
      { thinking: 'The user wants the weather.', signature: 'sig-first-block' },
      { thinking: 'get_weather takes a city.', signature: 'sig-second-block' },
    ];
    const reply = { text: '', toolCalls: [{ id: 'toolu_paris', name: 'get_weather', arguments: '{"city":"Paris"}' }], thinkingBlocks: blocks };
    const replayedTurn = [
      { type: 'thinking', thinking: 'The user wants the weather.', signature: 'sig-first-block' },
      { type: 'thinking', thinking: 'get_weather takes a city.', signature: 'sig-second-block' },
      { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
    ];
    const toolResult: ChatMessage = { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_paris', name: 'get_weather', result: '{"celsius":12}' }] };

    server.setResponder(() => reply);
    try {
      const whole = await model.generate(ask);
      expect(whole.reasoningParts).toEqual([
        { text: 'The user wants the weather.', signature: 'sig-first-block' },
        { text: 'get_weather takes a city.', signature: 'sig-second-block' },
      ]);
      await model.generate({ ...ask, messages: [...ask.messages, assistantMessageOf(whole), toolResult] });
      expect((lastBody().messages as Array<{ content: unknown }>)[1]?.content).toEqual(replayedTurn);

      const parts = await collectStream(model.streamGenerate(ask));
      const finish = parts.at(-1);
      if (finish?.type !== 'finish') throw new Error('no finish part');
      expect(finish.response.reasoningParts).toEqual(whole.reasoningParts);
      await model.generate({ ...ask, messages: [...ask.messages, assistantMessageOf(finish.response), toolResult] });
      expect((lastBody().messages as Array<{ content: unknown }>)[1]?.content).toEqual(replayedTurn);
    } finally {
      server.setResponder(undefined);
    }
  });

  it('passes redacted_thinking blocks back unchanged, in place among the thinking blocks, whole and streamed', async () => {
    const model = anthropic.chat('claude-sonnet-4-6');
    const ask = {
      messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
      tools: [WEATHER],
      maxTokens: 4000,
      providerOptions: { thinking: { type: 'enabled', budgetTokens: 2000 } },
    };
    // Encrypted thinking, as Anthropic returns what its safety systems flagged: opaque data to send back as it came.
    const data = 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj';
    const reply = { text: '', toolCalls: [{ id: 'toolu_paris', name: 'get_weather', arguments: '{"city":"Paris"}' }], thinkingBlocks: [{ thinking: 'The user wants the weather.', signature: 'sig-first-block' }, { redactedData: data }] };
    const replayedTurn = [
      { type: 'thinking', thinking: 'The user wants the weather.', signature: 'sig-first-block' },
      { type: 'redacted_thinking', data },
      { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
    ];
    const toolResult: ChatMessage = { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_paris', name: 'get_weather', result: '{"celsius":12}' }] };

    server.setResponder(() => reply);
    try {
      const whole = await model.generate(ask);
      expect(whole.reasoningParts).toEqual([{ text: 'The user wants the weather.', signature: 'sig-first-block' }, { text: '', redactedData: data }]);
      // Nothing of the encrypted block is shown as reasoning.
      expect(whole.reasoning).toBe('The user wants the weather.');
      await model.generate({ ...ask, messages: [...ask.messages, assistantMessageOf(whole), toolResult] });
      expect((lastBody().messages as Array<{ content: unknown }>)[1]?.content).toEqual(replayedTurn);

      const parts = await collectStream(model.streamGenerate(ask));
      const finish = parts.at(-1);
      if (finish?.type !== 'finish') throw new Error('no finish part');
      expect(finish.response.reasoningParts).toEqual(whole.reasoningParts);
      await model.generate({ ...ask, messages: [...ask.messages, assistantMessageOf(finish.response), toolResult] });
      expect((lastBody().messages as Array<{ content: unknown }>)[1]?.content).toEqual(replayedTurn);

      // The server holds the loop to Anthropic's rule: a turn that dropped its thinking is refused.
      const dropped = { role: 'assistant' as const, content: [{ type: 'tool-call' as const, id: 'toolu_paris', name: 'get_weather', arguments: '{"city":"Paris"}' }] };
      const error = await providerErrorOf(() => model.generate({ ...ask, messages: [...ask.messages, dropped, toolResult] }));
      expect(error.kind).toBe('bad-request');
      expect(error.message).toContain('Expected `thinking` or `redacted_thinking`, but found `tool_use`');
    } finally {
      server.setResponder(undefined);
    }
  });

  it('turns on extended thinking, returns thinking and its signature, streamed as reasoning deltas, and replays them signed', async () => {
    const model = anthropic.chat('claude-sonnet-4-6');
    const ask = { messages: [{ role: 'user' as const, content: 'Why is the sky blue?' }], maxTokens: 4000, providerOptions: { thinking: { type: 'enabled', budgetTokens: 2000 } } };
    server.enqueueReply({ reasoning: 'Rayleigh scattering favours short wavelengths.', text: 'Scattering.' });
    const whole = await model.generate(ask);
    expect(lastBody().thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(whole.reasoning).toBe('Rayleigh scattering favours short wavelengths.');
    expect(whole.reasoningSignatures).toEqual([expect.stringMatching(/^sig_/)]);
    expect(whole.text).toBe('Scattering.');

    server.enqueueReply({ reasoning: 'Short waves scatter more.', text: 'Scattering.' });
    const parts = await collectStream(model.streamGenerate(ask));
    expect(parts.filter((part) => part.type === 'reasoning-delta').map((part) => (part.type === 'reasoning-delta' ? part.text : '')).join('')).toBe('Short waves scatter more.');
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(finish.response.reasoningSignatures).toHaveLength(1);

    await model.generate({ ...ask, messages: [...ask.messages, assistantMessageOf(finish.response), { role: 'user', content: 'Shorter?' }] });
    expect((lastBody().messages as Array<{ content: unknown }>)[1]?.content).toEqual([
      { type: 'thinking', thinking: 'Short waves scatter more.', signature: finish.response.reasoningSignatures![0] },
      { type: 'text', text: 'Scattering.' },
    ]);
    // Unsigned reasoning cannot be replayed: it is left out with a warning, and a turn of nothing else is dropped.
    const unsigned = await model.generate({
      ...ask,
      messages: [...ask.messages, { role: 'assistant', content: [{ type: 'reasoning', text: 'hidden' }] }, { role: 'user', content: 'Again?' }],
    });
    expect(lastBody().messages).toEqual([{ role: 'user', content: 'Why is the sky blue?\n\nAgain?' }]);
    expect(unsigned.warnings).toEqual([expect.objectContaining({ setting: 'messages[1].content[0]', message: expect.stringContaining('signature') })]);
    const tooBig = await providerErrorOf(() => model.generate({ ...ask, maxTokens: 1500 }));
    expect(tooBig.message).toContain('budgetTokens');
  });

  it('warns that n > 1 is not available, and says in the model facts what each model can do', async () => {
    const response = await anthropic.chat('claude-haiku-4-5').generate({ messages: [{ role: 'user', content: 'hi' }], n: 3 });
    expect(response.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'n' })]);
    expect(response.choices).toBeUndefined();
    expect(anthropic.chat('claude-sonnet-4-6').getModelInfo().capabilities).toMatchObject({ tools: true, parallelToolCalls: true, vision: true, jsonSchema: true, jsonMode: false, reasoning: true, multipleChoices: false });
    expect(anthropic.chat('claude-3-5-haiku').getModelInfo().capabilities).toMatchObject({ jsonSchema: false, reasoning: false });
  });

  it('reports a stream that fails midway as an error part, then throws', async () => {
    server.enqueueFault({ type: 'stream-error', afterEvents: 4 });
    const parts: StreamPart[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of anthropic.chat('claude-haiku-4-5').streamGenerate({ messages: [{ role: 'user', content: 'one two three four five' }] })) parts.push(part);
    });
    expect(parts.at(-1)).toEqual({ type: 'error', error });
    expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
  });
});
