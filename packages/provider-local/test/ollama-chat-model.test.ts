import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderRegistry } from '@llm-lab/core';
import { faults, startFakeOllamaServer, type FakeOllamaServer, collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { createServer } from 'node:net';
import { createOllama, localProviders, ollamaBaseURLFromHost, type OllamaProvider } from '../src/index.js';

const ask = { messages: [{ role: 'user' as const, content: 'hello there' }] };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('OllamaChatModel against the fake Ollama server', () => {
  let server: FakeOllamaServer;
  let ollama: OllamaProvider;

  beforeAll(async () => {
    server = await startFakeOllamaServer({ models: ['llama3.2', 'qwen2.5:0.5b'] });
    ollama = createOllama({ baseURL: server.url, keepAlive: '10m', numCtx: 8192, headers: { 'x-team': 'evals' } });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('maps every setting to Ollama names under options, with format, keep_alive and num_ctx', async () => {
    const schema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
    const response = await ollama.chat('llama3.2').generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one two three' },
      ],
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      stop: ['END'],
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      responseFormat: { type: 'json', schema },
      providerOptions: { options: { repeat_penalty: 1.1 } },
    });
    const [sent] = server.requests;
    expect(sent?.path).toBe('/api/chat');
    expect(sent?.headers['x-team']).toBe('evals');
    expect(sent?.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one two three' },
      ],
      stream: false,
      format: schema,
      keep_alive: '10m',
      options: { temperature: 0.2, top_p: 0.9, top_k: 40, num_predict: 64, stop: ['END'], seed: 7, presence_penalty: 0.5, frequency_penalty: 0.25, num_ctx: 8192, repeat_penalty: 1.1 },
    });
    expect(response).toMatchObject({ text: 'one two three', finishReason: 'stop', model: 'llama3.2', providerId: 'ollama:llama3.2', warnings: [] });
    expect(response.usage).toEqual({ inputTokens: 5, outputTokens: 3, totalTokens: 8 });
    expect(response.cost).toBeUndefined();
  });

  it('sends format json without a schema, and maps num_predict cut-offs to length', async () => {
    const response = await ollama('llama3.2').generate({ ...ask, maxTokens: 1, responseFormat: { type: 'json' }, providerOptions: { keepAlive: -1 } });
    expect(server.requests[0]?.body).toMatchObject({ format: 'json', keep_alive: -1 });
    expect(response).toMatchObject({ text: 'hello ', finishReason: 'length' });
  });

  it('streams NDJSON deltas and takes usage from the final done object', async () => {
    server.setResponder(() => ({ text: 'alpha beta gamma', promptEvalCount: 26, evalCount: 3 }));
    const parts = await collectStream(ollama.chat('qwen2.5:0.5b').streamGenerate(ask));
    expect(server.requests[0]?.body).toMatchObject({ stream: true, model: 'qwen2.5:0.5b' });
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta', 'text-delta', 'usage', 'finish']);
    const finish = parts[4];
    if (finish?.type !== 'finish') throw new Error('no finish');
    expect(finish.response).toMatchObject({ text: 'alpha beta gamma', finishReason: 'stop', usage: { inputTokens: 26, outputTokens: 3, totalTokens: 29 } });
  });

  it('a model that is not pulled is bad-request telling to ollama pull it', async () => {
    const error = await providerErrorOf(() => ollama.chat('mistral').generate(ask));
    expect(error).toMatchObject({ kind: 'bad-request', statusCode: 404, isRetryable: false, vendorCode: 'model_not_found' });
    expect(error.message).toContain('ollama pull mistral');
    expect(JSON.parse(error.responseBody as string)).toEqual({ error: "model 'mistral' not found" });
    const streamed = await providerErrorOf(() => collectStream(ollama.chat('mistral').streamGenerate(ask)));
    expect(streamed.message).toContain('ollama pull mistral');
  });

  it("keeps Ollama's error text for 400 and 500, and classifies them", async () => {
    server.enqueueFault({ type: 'http-error', status: 400, message: 'invalid options: num_ctx' });
    const bad = await providerErrorOf(() => ollama('llama3.2').generate(ask));
    expect(bad).toMatchObject({ kind: 'bad-request', statusCode: 400 });
    expect(bad.message).toContain('invalid options: num_ctx');
    server.enqueueFault(faults.serverError());
    const crashed = await providerErrorOf(() => ollama('llama3.2').generate(ask));
    expect(crashed).toMatchObject({ kind: 'server', isRetryable: true });
    expect(crashed.message).toContain('llama runner process has terminated');
  });

  it('an error line in the middle of the stream is a server error; a stream without done is invalid-response', async () => {
    server.enqueueStreamError('an error was encountered while running the model: out of memory', 1);
    const seen: string[] = [];
    const error = await providerErrorOf(async () => {
      for await (const part of ollama('llama3.2').streamGenerate({ messages: [{ role: 'user', content: 'a b c' }] })) {
        if (part.type === 'text-delta') seen.push(part.text);
      }
    });
    expect(seen).toEqual(['a ']);
    expect(error).toMatchObject({ kind: 'server', isRetryable: true });
    expect(error.message).toContain('out of memory');

    server.enqueueFault({ type: 'http-error', status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: '{"model":"llama3.2","message":{"role":"assistant","content":"par"},"done":false}\n' });
    const unfinished = await providerErrorOf(() => collectStream(ollama('llama3.2').streamGenerate(ask)));
    expect(unfinished.kind).toBe('invalid-response');
    expect(unfinished.message).toContain('"done": true');
  });

  it('a truncated NDJSON stream is a retryable network error', async () => {
    server.enqueueFault(faults.truncateStream(1));
    const error = await providerErrorOf(() => collectStream(ollama('llama3.2').streamGenerate({ messages: [{ role: 'user', content: 'a b c d' }] })));
    expect(error).toMatchObject({ kind: 'network', isRetryable: true });
  });

  it("says Ollama isn't running when the connection is refused", async () => {
    const port = await freePort();
    const down = createOllama({ baseURL: `http://127.0.0.1:${port}` });
    const error = await providerErrorOf(() => down('llama3.2').generate(ask));
    expect(error).toMatchObject({ kind: 'network', isRetryable: true });
    expect(error.message).toContain(`Ollama isn't running at http://127.0.0.1:${port}`);
    expect(error.message).toContain('ollama serve');
    await expect(down.listModels()).rejects.toMatchObject({ kind: 'network' });
  });

  it('lists pulled models from /api/tags', async () => {
    const models = await ollama.listModels();
    expect(models.map((model) => model.name)).toEqual(['llama3.2:latest', 'qwen2.5:0.5b']);
    expect(models[0]).toMatchObject({ model: 'llama3.2:latest', details: { format: 'gguf' } });
    expect(typeof models[0]?.size).toBe('number');
  });

  it('warns that message names are dropped, and refuses unknown providerOptions', async () => {
    const response = await ollama('llama3.2').generate({ messages: [{ role: 'user', content: 'x', name: 'alice' }] });
    expect(response.warnings.map((warning) => warning.setting)).toEqual(['messages[].name']);
    const error = await providerErrorOf(() => ollama('llama3.2').generate({ ...ask, providerOptions: { raw: true } }));
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('raw');
  });

  it('reports the configured context window and optional pricing', () => {
    expect(ollama('llama3.2').getModelInfo()).toMatchObject({ contextWindow: 8192, id: 'ollama:llama3.2' });
    expect(createOllama({ baseURL: server.url })('x').getModelInfo().contextWindow).toBe(4096);
    const priced = createOllama({ baseURL: server.url, pricing: { inputPerMillion: 0.1, outputPerMillion: 0.2 } })('x');
    expect(priced.estimateCost({ inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 })?.totalUsd).toBeCloseTo(0.3, 9);
  });
});

describe('Ollama settings', () => {
  it('reads OLLAMA_HOST the way Ollama does', () => {
    expect(ollamaBaseURLFromHost('0.0.0.0')).toBe('http://127.0.0.1:11434');
    expect(ollamaBaseURLFromHost('gpu-box:8080')).toBe('http://gpu-box:8080');
    expect(ollamaBaseURLFromHost('https://ollama.example.com')).toBe('https://ollama.example.com');
    expect(ollamaBaseURLFromHost('')).toBeUndefined();
    expect(createOllama({}, { env: { OLLAMA_HOST: '10.0.0.5' } }).settings.baseURL).toBe('http://10.0.0.5:11434');
    expect(createOllama({}, { env: {} }).settings.baseURL).toBe('http://127.0.0.1:11434');
    expect(createOllama({ baseURL: 'http://h:1/' }, { env: { OLLAMA_HOST: 'x' } }).settings.baseURL).toBe('http://h:1');
  });

  it('registers the three local families, and refuses bad config naming the field', () => {
    const registry = new ProviderRegistry();
    for (const plugin of localProviders) registry.register(plugin);
    expect(registry.list().map((entry) => entry.name)).toEqual(['gguf', 'ollama', 'openai-compatible']);
    expect(registry.create('ollama:llama3.2:1b', {}).id).toBe('ollama:llama3.2:1b');
    expect(() => registry.create('ollama:x', { timeoutMs: -1 })).toThrow(/config\.timeoutMs/);
  });
});
