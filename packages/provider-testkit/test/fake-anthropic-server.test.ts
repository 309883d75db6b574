import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { anthropicFaults, faults, startFakeAnthropicServer, type FakeAnthropicServer } from '../src/index.js';

const KEY = 'sk-ant-fake-server-test-0123456789';

describe('fake Anthropic server wire protocol (raw HTTP)', () => {
  let server: FakeAnthropicServer;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string) => fetch(path.startsWith('http') ? path : `${server.url}${path}`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
  const message = (extra: Record<string, unknown> = {}) => ({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hello there' }], ...extra });

  beforeAll(async () => {
    server = await startFakeAnthropicServer({ apiKey: KEY });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('answers a message with Anthropic’s fields and headers', async () => {
    const response = await post('/v1/messages', message({ system: 'be brief' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('4000');
    expect(Date.parse(response.headers.get('anthropic-ratelimit-requests-reset') ?? '')).not.toBeNaN();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 4,
        output_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        service_tier: 'standard',
      },
    });
  });

  it('streams named SSE events in the documented order', async () => {
    const response = await post('/v1/messages', message({ stream: true }));
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const frames = text.split('\n\n').filter(Boolean);
    const names = frames.map((frame) => /^event: (\S+)\ndata: /.exec(frame)?.[1]);
    expect(names).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    const data = frames.map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as Record<string, unknown>);
    expect(data.every((event, index) => event.type === names[index])).toBe(true);
    expect(data[0]).toMatchObject({ message: { content: [], stop_reason: null, usage: { input_tokens: 2, output_tokens: 1 } } });
    expect(data[3]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello ' } });
    expect(data[6]).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } });
  });

  it('sends an error event mid-stream for the stream-error fault', async () => {
    server.enqueueFault(anthropicFaults.overloadedMidStream(2));
    const text = await (await post('/v1/messages', message({ stream: true }))).text();
    expect(text.split('\n\n').filter(Boolean).map((frame) => frame.split('\n')[0])).toEqual(['event: message_start', 'event: content_block_start', 'event: error']);
    expect(text).toContain('"type":"overloaded_error"');
  });

  it('checks the key (x-api-key or bearer) and the anthropic-version header', async () => {
    const missing = await post('/v1/messages', message(), { 'x-api-key': '' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    const wrong = await post('/v1/messages', message(), { 'x-api-key': 'sk-ant-nope' });
    expect(await wrong.json()).toMatchObject({ error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    expect((await post('/v1/messages', message(), { 'x-api-key': '', authorization: `Bearer ${KEY}` })).status).toBe(200);
    const noVersion = await post('/v1/messages', message(), { 'anthropic-version': '' });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  });

  it('validates like Anthropic: max_tokens required, no system role in messages, sampling removed in 2026-10-21', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, string]> = [
      [{ max_tokens: undefined }, {}, 'max_tokens: Field required'],
      [{ messages: [{ role: 'system', content: 'x' }] }, {}, 'messages.0.role: Unexpected role "system"'],
      [{ temperature: 1.5 }, {}, 'temperature: range: 0..1'],
      [{ temperature: 0.5 }, { 'anthropic-version': '2026-10-21' }, 'temperature: Extra inputs are not permitted'],
      [{ messages: [] }, {}, 'messages: at least one message is required'],
    ];
    for (const [extra, headers, expected] of cases) {
      const response = await post('/v1/messages', message(extra), headers);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toContain(expected);
    }
    expect((await post('/v1/messages', message({ temperature: 0.5 }))).status).toBe(200);
  });

  it('writes Anthropic error bodies for neutral faults, with retry-after on 429', async () => {
    const expectations: Array<[ReturnType<typeof faults.serverError>, number, string]> = [
      [faults.serverError(), 500, 'api_error'],
      [faults.overloaded(), 529, 'overloaded_error'],
      [faults.badRequest(), 400, 'invalid_request_error'],
      [faults.rateLimited({ retryAfterSeconds: 3 }), 429, 'rate_limit_error'],
    ];
    for (const [fault, status, type] of expectations) {
      server.enqueueFault(fault);
      const response = await post('/v1/messages', message());
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type }, request_id: expect.stringMatching(/^req_/) });
      if (status === 429) expect(response.headers.get('retry-after')).toBe('3');
    }
  });

  it('runs message batches: in progress, ended, JSONL results not in request order, per-item errors, cancel', async () => {
    server.enqueueFault(faults.serverError());
    const created = await post('/v1/messages/batches', {
      requests: [
        { custom_id: 'a', params: message() },
        { custom_id: 'b', params: message({ max_tokens: undefined }) },
        { custom_id: 'c', params: message({ messages: [{ role: 'user', content: 'third one' }] }) },
      ],
    });
    const batch = (await created.json()) as { id: string; processing_status: string; results_url: string | null; request_counts: Record<string, number> };
    expect(batch).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, request_counts: { processing: 3 } });
    expect(batch.id).toMatch(/^msgbatch_/);
    const polled = (await (await get(`/v1/messages/batches/${batch.id}`)).json()) as typeof batch;
    expect(polled).toMatchObject({ processing_status: 'ended', request_counts: { processing: 0, succeeded: 1, errored: 2 } });
    const results = await get(polled.results_url as string);
    const lines = (await results.text()).trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; result: Record<string, unknown> });
    expect(lines.map((line) => line.custom_id)).toEqual(['c', 'b', 'a']);
    expect(lines[0]?.result).toMatchObject({ type: 'succeeded', message: { content: [{ type: 'text', text: 'third one' }], usage: { service_tier: 'batch' } } });
    expect(lines[1]?.result).toEqual({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: null } });
    expect(lines[2]?.result).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'api_error' } } });

    expect((await get('/v1/messages/batches/msgbatch_missing')).status).toBe(404);
    const duplicate = await post('/v1/messages/batches', { requests: [{ custom_id: 'x', params: message() }, { custom_id: 'x', params: message() }] });
    expect(duplicate.status).toBe(400);
  });

  it('keeps a batch in progress until batchProcessingMs has passed, and cancels it on request', async () => {
    const slow = await startFakeAnthropicServer({ apiKey: KEY, batchProcessingMs: 60_000 });
    try {
      const headers = { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2026-10-21' };
      const created = (await (await fetch(`${slow.url}/v1/messages/batches`, { method: 'POST', headers, body: JSON.stringify({ requests: [{ custom_id: 'only', params: message() }] }) })).json()) as { id: string };
      const polled = (await (await fetch(`${slow.url}/v1/messages/batches/${created.id}`, { headers })).json()) as { processing_status: string };
      expect(polled.processing_status).toBe('in_progress');
      expect((await fetch(`${slow.url}/v1/messages/batches/${created.id}/results`, { headers })).status).toBe(400);
      const cancelled = (await (await fetch(`${slow.url}/v1/messages/batches/${created.id}/cancel`, { method: 'POST', headers })).json()) as Record<string, unknown>;
      expect(cancelled).toMatchObject({ processing_status: 'ended', request_counts: { canceled: 1 }, cancel_initiated_at: expect.any(String) });
    } finally {
      await slow.close();
    }
  });

  it('streams a scripted thinking block and tool_use blocks in Anthropic’s event order, and reads the request back neutrally', async () => {
    server.enqueueReply({ reasoning: 'Think.', toolCalls: [{ id: 'toolu_1', name: 'get_time', arguments: '{"city":"Oslo"}' }] });
    const tools = [{ name: 'get_time', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const response = await post('/v1/messages', message({ stream: true, tools, tool_choice: { type: 'any' } }));
    const events = (await response.text())
      .split('\n\n')
      .filter(Boolean)
      .map((frame) => JSON.parse(frame.split('\n')[1]!.slice('data: '.length)) as { type: string; index?: number; delta?: Record<string, unknown>; content_block?: Record<string, unknown> });
    expect(events.map((event) => [event.type, event.index, event.delta?.type ?? event.content_block?.type])).toEqual([
      ['message_start', undefined, undefined],
      ['content_block_start', 0, 'thinking'],
      ['ping', undefined, undefined],
      ['content_block_delta', 0, 'thinking_delta'],
      ['content_block_delta', 0, 'signature_delta'],
      ['content_block_stop', 0, undefined],
      ['content_block_start', 1, 'tool_use'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_delta', 1, 'input_json_delta'],
      ['content_block_stop', 1, undefined],
      ['message_delta', undefined, undefined],
      ['message_stop', undefined, undefined],
    ]);
    expect(events.filter((event) => event.delta?.type === 'input_json_delta').map((event) => event.delta?.partial_json).join('')).toBe('{"city":"Oslo"}');
    expect(events.at(-2)?.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
    const view = server.describeRequest(server.requests[0]!);
    expect(view).toMatchObject({ tools: [{ name: 'get_time', parameters: tools[0]!.input_schema }], toolChoice: 'required', json: false });
  });

  it('refuses tool blocks without tools, and tool results that answer no tool_use of the message before or do not come first', async () => {
    const assistant = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_time', input: {} }] };
    const tools = [{ name: 'get_time', input_schema: { type: 'object' } }];
    const undeclared = await post('/v1/messages', message({ messages: [{ role: 'user', content: 'x' }, assistant, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] }] }));
    expect(undeclared.status).toBe(400);
    expect(((await undeclared.json()) as { error: { message: string } }).error.message).toContain('must define tools');
    const orphan = await post('/v1/messages', message({ tools, messages: [{ role: 'user', content: 'x' }, assistant, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: '1' }] }] }));
    expect(orphan.status).toBe(400);
    expect(((await orphan.json()) as { error: { message: string } }).error.message).toContain('unexpected `tool_use_id`');
    const late = await post('/v1/messages', message({ tools, messages: [{ role: 'user', content: 'x' }, assistant, { role: 'user', content: [{ type: 'text', text: 'and' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] }] }));
    expect(late.status).toBe(400);
    expect(((await late.json()) as { error: { message: string } }).error.message).toContain('must come first');
    const ok = await post('/v1/messages', message({ tools, messages: [{ role: 'user', content: 'x' }, assistant, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] }] }));
    expect(ok.status).toBe(200);
  });
});
