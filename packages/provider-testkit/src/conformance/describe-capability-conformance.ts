import type { GenerateRequest, LanguageModelProvider, ProviderWarning, StreamPart } from '@llm-lab/core';
import type * as JestGlobalsModule from '@jest/globals';
import type { FakeServerControl, NeutralRequestView, ScriptedReply } from '../fake-server-control.js';

type JestGlobals = typeof JestGlobalsModule;

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const TIME_TOOL = { name: 'get_time', description: 'Local time in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const ANSWER_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
  required: ['answer', 'confidence'],
  additionalProperties: false,
};
// A 1×1 red PNG.
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

function warnsAbout(warnings: readonly ProviderWarning[], setting: string): boolean {
  return warnings.some((warning) => warning.type === 'unsupported-setting' && warning.setting === setting);
}

function missing(method: string, capability: string): Error {
  return new Error(
    `The provider claims '${capability}', but its fake server has no ${method}(): the testkit cannot check the claim. Teach the fake server the vendor's wire format.`,
  );
}

function scripted(server: FakeServerControl, capability: string): (reply: ScriptedReply) => void {
  if (!server.enqueueReply) throw missing('enqueueReply', capability);
  return server.enqueueReply.bind(server);
}

/**
 * The checks for each capability a provider claims in `getModelInfo().capabilities` (contract
 * 2.0): tools (whole and streamed, parallel calls, tool results sent back), images and JSON-schema
 * output. A provider cannot claim a capability these checks do not see working against its
 * vendor's fake server; one that does not claim it is not checked for it.
 */
export function describeCapabilityConformance(
  jest: JestGlobals,
  handles: { server: () => FakeServerControl; provider: () => LanguageModelProvider },
): void {
  const { describe, it, expect } = jest;
  const capabilities = () => handles.provider().getModelInfo().capabilities;
  const lastView = (): NeutralRequestView => {
    const server = handles.server();
    const recorded = server.requests.at(-1);
    if (!recorded) throw new Error('The fake server received no request.');
    if (!server.describeRequest) throw missing('describeRequest', 'contract 2.0 features');
    return server.describeRequest(recorded);
  };
  const ask = (extra: Partial<GenerateRequest>): GenerateRequest => ({
    messages: [{ role: 'user', content: 'What is the weather in Paris and the time in Oslo?' }],
    ...extra,
  });

  describe('capabilities (contract 2.0)', () => {
    it('tools: sends definitions with their schemas and returns the calls the model made', async () => {
      if (!capabilities().tools) return;
      scripted(handles.server(), 'tools')({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
      const response = await handles.provider().generate(ask({ tools: [WEATHER_TOOL], toolChoice: 'required' }));
      expect(response.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
      expect(response.finishReason).toBe('tool-calls');
      const view = lastView();
      expect(view.tools).toEqual([expect.objectContaining({ name: 'get_weather', parameters: expect.objectContaining({ properties: WEATHER_TOOL.parameters.properties }) })]);
      // A vendor without a tool choice (Ollama) must say so in a warning rather than drop it quietly.
      if (warnsAbout(response.warnings, 'toolChoice')) expect(view.toolChoice).toBeUndefined();
      else expect(view.toolChoice).toBe('required');
    });

    it('tools: a named tool choice reaches the vendor', async () => {
      if (!capabilities().tools) return;
      scripted(handles.server(), 'tools')({ toolCalls: [{ id: 'call_n', name: 'get_time', arguments: '{"city":"Oslo"}' }] });
      const response = await handles.provider().generate(ask({ tools: [WEATHER_TOOL, TIME_TOOL], toolChoice: { type: 'tool', name: 'get_time' } }));
      if (warnsAbout(response.warnings, 'toolChoice')) expect(lastView().toolChoice).toBeUndefined();
      else expect(lastView().toolChoice).toEqual({ name: 'get_time' });
    });

    it('tools: streams tool-call deltas that assemble into the final calls, parallel calls in order', async () => {
      if (!capabilities().tools || !capabilities().streaming) return;
      const calls = [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'call_b', name: 'get_time', arguments: '{"city":"Oslo"}' },
      ];
      const parallel = capabilities().parallelToolCalls === true;
      scripted(handles.server(), 'tools')({ toolCalls: parallel ? calls : calls.slice(0, 1) });
      const parts = await collect(handles.provider().streamGenerate(ask({ tools: [WEATHER_TOOL, TIME_TOOL] })));
      const finish = parts.at(-1);
      expect(finish?.type).toBe('finish');
      if (finish?.type !== 'finish') return;
      const expected = parallel ? calls : calls.slice(0, 1);
      expect(finish.response.toolCalls).toEqual(expected);
      expect(finish.response.finishReason).toBe('tool-calls');
      const assembled = new Map<number, { id?: string; name?: string; arguments: string }>();
      for (const part of parts) {
        if (part.type !== 'tool-call-delta') continue;
        const entry = assembled.get(part.index) ?? { arguments: '' };
        if (part.id) entry.id = part.id;
        if (part.name) entry.name = part.name;
        entry.arguments += part.argumentsDelta;
        assembled.set(part.index, entry);
      }
      expect([...assembled.entries()].sort(([a], [b]) => a - b).map(([, call]) => call)).toEqual(expected);
      expect(parts.filter((part) => part.type === 'tool-call').map((part) => (part.type === 'tool-call' ? part.toolCall : undefined))).toEqual(expected);
    });

    it('tools: replays the assistant calls and the tool results in the vendor format, and gets the final answer', async () => {
      if (!capabilities().tools) return;
      scripted(handles.server(), 'tools')({ text: 'It is 18°C in Paris.' });
      const response = await handles.provider().generate({
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: [{ type: 'tool-call', id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_w', name: 'get_weather', result: '{"celsius":18}' }] },
        ],
        tools: [WEATHER_TOOL],
      });
      expect(response.text).toBe('It is 18°C in Paris.');
      const view = lastView();
      const assistant = view.messages.find((message) => message.toolCalls.length > 0);
      expect(assistant?.toolCalls).toEqual([{ id: 'call_w', name: 'get_weather', arguments: expect.any(String) }]);
      expect(JSON.parse(assistant!.toolCalls[0]!.arguments)).toEqual({ city: 'Paris' });
      const results = view.messages.flatMap((message) => message.toolResults);
      expect(results).toEqual([expect.objectContaining({ toolCallId: 'call_w' })]);
      expect(JSON.parse(results[0]!.result)).toEqual({ celsius: 18 });
    });

    it('vision: sends an image given as base64 and as a data URL', async () => {
      if (!capabilities().vision) return;
      await handles.provider().generate({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe both images.' },
              { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PNG_1PX } },
              { type: 'image', source: { type: 'url', url: `data:image/png;base64,${PNG_1PX}` } },
            ],
          },
        ],
      });
      const user = lastView().messages.find((message) => message.role === 'user');
      expect(user?.text).toContain('Describe both images.');
      expect(user?.images).toHaveLength(2);
      for (const image of user?.images ?? []) {
        const data = image.data ?? /^data:image\/png;base64,(.*)$/.exec(image.url ?? '')?.[1];
        expect(data).toBe(PNG_1PX);
      }
    });

    it('jsonSchema: asks the vendor for output matching the schema and returns the JSON text', async () => {
      if (!capabilities().jsonSchema) return;
      const server = handles.server();
      // A provider without a server to script (in-process inference) is checked on what it generates.
      if (server.enqueueReply) server.enqueueReply({ text: '{"answer":"Paris","confidence":0.9}' });
      const response = await handles.provider().generate(
        ask({ responseFormat: { type: 'json', name: 'answer', schema: ANSWER_SCHEMA, strict: true }, ...(server.enqueueReply ? {} : { maxTokens: 1024 }) }),
      );
      const parsed = JSON.parse(response.text) as Record<string, unknown>;
      if (server.enqueueReply) expect(parsed).toEqual({ answer: 'Paris', confidence: 0.9 });
      else expect([typeof parsed.answer, typeof parsed.confidence]).toEqual(['string', 'number']);
      if (!server.describeRequest) return;
      const view = lastView();
      expect(view.json).toBe(true);
      expect(view.responseSchema).toEqual(expect.objectContaining({ properties: ANSWER_SCHEMA.properties }));
    });

    it('jsonMode: asks the vendor for a JSON object', async () => {
      if (!capabilities().jsonMode) return;
      const server = handles.server();
      if (server.enqueueReply) server.enqueueReply({ text: '{"ok":true}' });
      // Unscripted (in-process inference), generation runs until the JSON grammar closes the object.
      const response = await handles.provider().generate(ask({ responseFormat: { type: 'json' }, ...(server.enqueueReply ? {} : { maxTokens: 256 }) }));
      if (server.enqueueReply) expect(JSON.parse(response.text)).toEqual({ ok: true });
      // In-process inference under a JSON grammar: the answer starts an object (a tiny test model
      // rarely closes one before its token limit or a stop sequence).
      else expect(response.text.trimStart().startsWith('{')).toBe(true);
      if (server.describeRequest) expect(lastView().json).toBe(true);
    });

    it('batch: a batch through the vendor batch API answers every item, in order, at the batch discount', async () => {
      if (!capabilities().batch) return;
      const provider = handles.provider();
      const words = ['first', 'second', 'third'];
      // Poll timings for the vendors whose runner takes them per call; others read their config.
      const options = { mode: 'api' as const, pollIntervalMs: 10, maxPollIntervalMs: 50 };
      const results = await provider.batchGenerate(words.map((word) => ({ messages: [{ role: 'user' as const, content: `Repeat: ${word}` }] })), options);
      expect(results).toHaveLength(words.length);
      results.forEach((result, index) => {
        if (!result.ok) throw result.error;
        expect(result.response.text).toContain(words[index]);
        // The batch API bills less than the same answer through the ordinary API: the evidence
        // (vendor-neutral) that the batch went through the batch API and not as ordinary calls.
        const listPrice = provider.estimateCost(result.response.usage);
        if (listPrice && listPrice.totalUsd > 0) expect(result.response.cost?.totalUsd).toBeLessThan(listPrice.totalUsd);
      });
    });

    it('reasoning: returns the reasoning apart from the answer', async () => {
      if (!capabilities().reasoning) return;
      scripted(handles.server(), 'reasoning')({ reasoning: 'Paris is the capital.', text: 'Paris' });
      const response = await handles.provider().generate(ask({}));
      expect(response.reasoning).toBe('Paris is the capital.');
      expect(response.text).toBe('Paris');
    });
  });
}
