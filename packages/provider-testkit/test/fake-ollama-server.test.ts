import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeOllamaServer, type FakeOllamaServer } from '../src/index.js';

const chat = (server: FakeOllamaServer, body: unknown) =>
  fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const lines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('fake Ollama server', () => {
  let server: FakeOllamaServer;
  beforeAll(async () => {
    server = await startFakeOllamaServer({ models: ['llama3.2', 'qwen2.5:0.5b'] });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('streams NDJSON by default: content lines, then a final done object with counts and nanosecond durations', async () => {
    const response = await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'why is the sky blue' }] });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const objects = lines(await response.text());
    expect(objects).toHaveLength(6);
    expect(objects[0]).toMatchObject({ model: 'llama3.2', message: { role: 'assistant', content: 'why ' }, done: false });
    expect(String(objects[0]?.created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const final = objects[5] as Record<string, unknown>;
    expect(final).toMatchObject({ done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 5, message: { role: 'assistant', content: '' } });
    for (const field of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) expect(Number.isInteger(final[field])).toBe(true);
    expect(server.requests[0]?.body).toMatchObject({ model: 'llama3.2' });
  });

  it('answers one JSON object with stream false, applying num_predict (done_reason length) and stop', async () => {
    const cut = await (await chat(server, { model: 'qwen2.5:0.5b', stream: false, messages: [{ role: 'user', content: 'a b c d' }], options: { num_predict: 2 } })).json();
    expect(cut).toMatchObject({ message: { content: 'a b ' }, done: true, done_reason: 'length', eval_count: 2 });
    const stopped = await (await chat(server, { model: 'llama3.2', stream: false, messages: [{ role: 'user', content: 'one two END three' }], options: { stop: ['END'] } })).json();
    expect(stopped).toMatchObject({ message: { content: 'one two ' }, done_reason: 'stop' });
  });

  it("answers Ollama's errors: unknown model 404, missing model and badly typed options 400", async () => {
    const missing = await chat(server, { model: 'mistral', messages: [] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "model 'mistral' not found" });
    const noModel = await chat(server, { messages: [] });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toEqual({ error: 'model is required' });
    const badOption = await chat(server, { model: 'llama3.2', messages: [], options: { temperature: 'hot' } });
    expect(badOption.status).toBe(400);
    expect(((await badOption.json()) as { error: string }).error).toContain('temperature');
    const load = await (await chat(server, { model: 'llama3.2', messages: [] })).json();
    expect(load).toMatchObject({ done: true, done_reason: 'load' });
  });

  it('turns neutral faults into Ollama-shaped answers, and truncates NDJSON streams', async () => {
    server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 2 }));
    const limited = await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(Object.keys((await limited.json()) as object)).toEqual(['error']);

    server.enqueueFault(faults.truncateStream(2));
    const truncated = await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e' }] });
    await expect(truncated.text()).rejects.toThrow();

    server.enqueueStreamError('model runner crashed', 1);
    const broken = lines(await (await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'a b c' }] })).text());
    expect(broken).toEqual([expect.objectContaining({ message: { role: 'assistant', content: 'a ' } }), { error: 'model runner crashed' }]);
  });

  it('lists models on /api/tags and answers / and /api/version', async () => {
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: Array<Record<string, unknown>> };
    expect(tags.models.map((model) => model.name)).toEqual(['llama3.2:latest', 'qwen2.5:0.5b']);
    expect(tags.models[0]).toMatchObject({ model: 'llama3.2:latest', details: { format: 'gguf' } });
    expect(await (await fetch(server.url)).text()).toBe('Ollama is running');
    expect(await (await fetch(`${server.url}/api/version`)).json()).toEqual({ version: '0.12.6' });
  });

  it('streams scripted thinking, then content, then the tool calls whole, and refuses images that are not base64', async () => {
    server.enqueueReply({ reasoning: 'hmm ok', text: 'Calling.', toolCalls: [{ name: 'get_time', arguments: '{"city":"Oslo"}' }] });
    const response = await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'time?' }], tools: [{ type: 'function', function: { name: 'get_time', parameters: {} } }] });
    const objects = lines(await response.text());
    expect(objects.map((object) => object.message)).toEqual([
      { role: 'assistant', content: '', thinking: 'hmm ' },
      { role: 'assistant', content: '', thinking: 'ok' },
      { role: 'assistant', content: 'Calling.' },
      { role: 'assistant', content: '', tool_calls: [{ function: { index: 0, name: 'get_time', arguments: { city: 'Oslo' } } }] },
      { role: 'assistant', content: '' },
    ]);
    const badImage = await chat(server, { model: 'llama3.2', messages: [{ role: 'user', content: 'x', images: ['https://example.com/a.png'] }] });
    expect(badImage.status).toBe(400);
    expect(await badImage.json()).toEqual({ error: 'illegal base64 data at input byte 4' });
  });
});
