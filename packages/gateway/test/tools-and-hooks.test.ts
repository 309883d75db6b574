import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import OpenAI from 'openai';
import type { AuthenticateResult, TrafficRecord } from '../src/index.js';
import { startHarness, type Harness } from './helpers.js';

jest.setTimeout(60_000);

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** Waits (on I/O turns, not on the clock) until `records` has `count` entries. */
async function recordsReach(records: TrafficRecord[], count: number): Promise<void> {
  for (let turn = 0; turn < 1000 && records.length < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('tool calls through the gateway', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.vendors.openai.reset();
    h.vendors.anthropic.reset();
  });

  it('returns the tool calls whole, and takes the tool result back to the vendor', async () => {
    h.vendors.openai.enqueueReply({ toolCalls: [{ id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const first = await h.client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool], tool_choice: 'auto' });
    const message = first.choices[0]!.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toEqual([{ id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    await h.client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Weather in Paris?' }, message, { role: 'tool', tool_call_id: 'call_paris', content: '18 C, sunny' }],
      tools: [weatherTool],
    });
    const seen = h.vendors.openai.describeRequest(h.vendors.openai.requests[1]!);
    expect(seen.tools.map((tool) => tool.name)).toEqual(['get_weather']);
    expect(seen.messages[1]?.toolCalls).toEqual([{ id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(seen.messages[2]?.toolResults).toEqual([expect.objectContaining({ toolCallId: 'call_paris', result: '18 C, sunny' })]);
  });

  for (const route of ['gpt', 'claude'] as const) {
    it(`streams tool-call deltas that the SDK assembles into the calls (${route})`, async () => {
      const vendor = route === 'gpt' ? h.vendors.openai : h.vendors.anthropic;
      vendor.enqueueReply!({
        toolCalls: [
          { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' },
          { id: 'call_b', name: 'get_weather', arguments: '{"city":"Lima"}' },
        ],
      });
      const stream = h.client.chat.completions.stream({ model: route, messages: [{ role: 'user', content: 'Oslo and Lima?' }], tools: [weatherTool] });
      const final = await stream.finalChatCompletion();
      const calls = final.choices[0]?.message.tool_calls?.map((call) => (call.type === 'function' ? { id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments) as unknown } : call));
      expect(calls).toEqual([
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Oslo', unit: 'celsius' } },
        { id: 'call_b', name: 'get_weather', arguments: { city: 'Lima' } },
      ]);
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      // The tool definitions reached the vendor in its own format.
      expect(vendor.describeRequest!(vendor.requests[0]!).tools.map((tool) => tool.name)).toEqual(['get_weather']);
    });
  }

  it('passes response_format json_schema through to the vendor', async () => {
    h.vendors.openai.enqueueReply({ text: '{"answer":42}' });
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };
    const result = await h.client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'The answer?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    expect(JSON.parse(result.choices[0]!.message.content!)).toEqual({ answer: 42 });
    const seen = h.vendors.openai.describeRequest(h.vendors.openai.requests[0]!);
    expect(seen.json).toBe(true);
    expect(seen.responseSchema).toEqual(schema);
  });
});

describe('the gateway hooks: authenticate and onCallEnd', () => {
  let h: Harness;
  const records: TrafficRecord[] = [];
  const authenticate = async ({ authorization, model }: { authorization?: string; model: string }): Promise<AuthenticateResult> => {
    if (authorization === 'Bearer sk-good') return { ok: true, keyId: 'key_1', keyName: 'app1' };
    if (authorization === 'Bearer sk-narrow') {
      return model === 'gpt' ? { ok: true, keyId: 'key_2', keyName: 'narrow' } : { ok: false, status: 403, message: `key 'narrow' may not use ${model}`, code: 'model_not_allowed', keyId: 'key_2', keyName: 'narrow' };
    }
    if (authorization === 'Bearer sk-spent') return { ok: false, status: 429, message: "key 'spent' is over its budget", code: 'budget_exceeded', retryAfterSeconds: 60 };
    return { ok: false, status: 401, message: 'Incorrect API key provided.', code: 'invalid_api_key' };
  };
  beforeAll(async () => {
    h = await startHarness({ hooks: { authenticate, onCallEnd: (record) => records.push(record) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const client = (key: string) => new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: key, maxRetries: 0 });
  const hi = [{ role: 'user' as const, content: 'hello' }];

  it('lets a good key through and records the call under it', async () => {
    records.length = 0;
    const answer = await client('sk-good').chat.completions.create({ model: 'gpt', messages: hi });
    expect(answer.choices[0]?.message.content).toBe('hello');
    await recordsReach(records, 1);
    expect(records[0]).toMatchObject({ keyId: 'key_1', keyName: 'app1', route: 'gpt', provider: 'openai:gpt-4o-mini', status: 200, stream: false, cacheHit: false, attempts: 1 });
    expect(records[0]?.inputTokens).toBeGreaterThan(0);
    expect(records[0]?.outputTokens).toBeGreaterThan(0);
  });

  it('refuses unknown keys with 401, forbidden models with 403 and spent keys with 429, before any vendor call', async () => {
    h.vendors.openai.reset();
    records.length = 0;
    await expect(client('sk-wrong').chat.completions.create({ model: 'gpt', messages: hi })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const forbidden = await client('sk-narrow').chat.completions.create({ model: 'claude', messages: hi }).catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((forbidden as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');
    const spent = await client('sk-spent').chat.completions.create({ model: 'gpt', messages: hi, stream: true }).catch((error: unknown) => error);
    expect(spent).toBeInstanceOf(OpenAI.RateLimitError);
    expect((spent as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('60');
    expect(h.vendors.openai.requests).toHaveLength(0);
    await recordsReach(records, 3);
    expect(records.map((record) => [record.status, record.errorClass, record.keyName])).toEqual([
      [401, 'unauthorized', undefined],
      [403, 'forbidden', 'narrow'],
      [429, 'limited', undefined],
    ]);
  });

  it('records a stream with its time to first token, and a failed call with its error class', async () => {
    records.length = 0;
    const stream = await client('sk-good').chat.completions.create({ model: 'claude', messages: hi, stream: true });
    for await (const _chunk of stream) {
      // drained
    }
    h.vendors.gemini.enqueueFault({ type: 'http-error', status: 500 });
    await expect(client('sk-good').chat.completions.create({ model: 'gemini', messages: hi })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await recordsReach(records, 2);
    expect(records[0]).toMatchObject({ route: 'claude', stream: true, status: 200, provider: 'anthropic:claude-haiku-4-5' });
    expect(records[0]?.ttftMs).toBeGreaterThanOrEqual(0);
    expect(records[1]).toMatchObject({ route: 'gemini', status: 502, errorClass: 'server' });
  });
});
