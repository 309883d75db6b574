import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import type { StreamPart } from '@llm-lab/core';
import { createTgi, type TgiProvider } from '../src/index.js';
import { startFakeTgiServer, type FakeTgiServer } from './fake-tgi-server.js';

const TOKEN = 'hf_model_test_token_0123456789';
const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });
const textOf = (parts: StreamPart[]) => parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
const finishOf = (parts: StreamPart[]) => {
  const last = parts[parts.length - 1];
  if (last?.type !== 'finish') throw new Error('the stream did not end with finish');
  return last.response;
};

describe('TgiModel against the fake TGI server', () => {
  let server: FakeTgiServer;
  let tgi: TgiProvider;

  beforeAll(async () => {
    server = await startFakeTgiServer({ apiKey: TOKEN });
    tgi = createTgi({ baseURL: `${server.url}/`, apiKey: TOKEN, headers: { 'x-team': 'evals' } });
  });
  afterEach(() => {
    server.reset();
    server.setResponder(undefined);
  });
  afterAll(() => server.close());

  it('flattens the messages into inputs and maps every setting to its TGI parameter', async () => {
    const response = await tgi('zephyr').generate({
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Two plus two?' },
        { role: 'assistant', content: 'Four.' },
        { role: 'user', content: 'And three plus three?' },
      ],
      temperature: 0.7,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      frequencyPenalty: 0.5,
      stop: ['\nUser:'],
      seed: 7,
      responseFormat: { type: 'json', schema: { type: 'object', properties: { answer: { type: 'string' } } } },
      providerOptions: { repetitionPenalty: 1.1, truncate: 1000 },
    });
    const [sent] = server.requests;
    expect(sent?.path).toBe('/generate');
    expect(sent?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent?.headers['x-team']).toBe('evals');
    expect(sent?.body).toEqual({
      inputs: 'System: Answer briefly.\n\nUser: Two plus two?\n\nAssistant: Four.\n\nUser: And three plus three?\n\nAssistant:',
      parameters: {
        details: true,
        return_full_text: false,
        max_new_tokens: 64,
        temperature: 0.7,
        top_p: 0.9,
        top_k: 40,
        frequency_penalty: 0.5,
        stop: ['\nUser:'],
        seed: 7,
        grammar: { type: 'json', value: { type: 'object', properties: { answer: { type: 'string' } } } },
        repetition_penalty: 1.1,
        truncate: 1000,
      },
    });
    expect(response.warnings).toEqual([]);
  });

  it('sends temperature 0 as greedy decoding, leaves topP 1 out, and warns about presencePenalty', async () => {
    const response = await tgi('zephyr').generate({ ...ask('hi'), temperature: 0, topP: 1, presencePenalty: 0.5 });
    expect(server.requests[0]?.body).toEqual({ inputs: 'User: hi\n\nAssistant:', parameters: { details: true, return_full_text: false, do_sample: false } });
    expect(response.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'presencePenalty' })]);
  });

  it('refuses values TGI would refuse, and unknown providerOptions, without calling the server', async () => {
    for (const request of [{ ...ask('hi'), topP: 0 }, { ...ask('hi'), seed: -1 }, { ...ask('hi'), providerOptions: { bestOf: 2 } }]) {
      const error = await providerErrorOf(() => tgi('zephyr').generate(request));
      expect(error.kind).toBe('bad-request');
      expect(error.message).toMatch(/topP|seed|providerOptions/);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('reports usage from x-prompt-tokens and details, and maps the finish reasons', async () => {
    server.setResponder(() => 'one two three four five');
    const whole = await tgi('zephyr').generate(ask('count please'));
    expect(whole.text).toBe('one two three four five');
    expect(whole.finishReason).toBe('stop');
    // 'User: count please\n\nAssistant:' is 4 words on the fake; 5 words + the EOS token.
    expect(whole.usage).toEqual({ inputTokens: 4, outputTokens: 6, totalTokens: 10 });
    const cut = await tgi('zephyr').generate({ ...ask('count please'), maxTokens: 2 });
    expect(cut.text).toBe('one two');
    expect(cut.finishReason).toBe('length');
    expect(cut.usage.outputTokens).toBe(2);
  });

  it('removes the stop sequence TGI leaves at the end of the answer, whole and streamed', async () => {
    server.setResponder(() => 'Paris.\nUser: and Rome?');
    const request = { ...ask('Capital of France?'), stop: ['\nUser:'] };
    const whole = await tgi('zephyr').generate(request);
    expect(whole.text).toBe('Paris.');
    expect(whole.finishReason).toBe('stop');
    const parts = await collectStream(tgi('zephyr').streamGenerate(request));
    expect(textOf(parts)).toBe('Paris.');
    expect(finishOf(parts).text).toBe('Paris.');

    const keeping = createTgi({ baseURL: server.url, apiKey: TOKEN, trimStopSequence: false })('zephyr');
    expect((await keeping.generate(request)).text).toBe('Paris.\nUser:');
    expect(finishOf(await collectStream(keeping.streamGenerate(request))).text).toBe('Paris.\nUser:');
  });

  it('streams token by token, skipping special tokens, with usage from the final event', async () => {
    server.setResponder(() => 'alpha beta gamma');
    const parts = await collectStream(tgi('zephyr').streamGenerate(ask('go')));
    expect(server.requests[0]?.path).toBe('/generate_stream');
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : ''))).toEqual(['alpha', ' beta', ' gamma']);
    const response = finishOf(parts);
    expect(response.text).toBe('alpha beta gamma');
    expect(response.usage).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
    expect(parts.find((part) => part.type === 'usage')).toEqual({ type: 'usage', usage: response.usage });
  });

  it('turns an error event inside the stream into a classified error', async () => {
    server.enqueueFault({ type: 'stream-error', errorType: 'generation', message: 'Request failed during generation: Server error: CUDA out of memory', afterTokens: 2 });
    const error = await providerErrorOf(() => collectStream(tgi('zephyr').streamGenerate(ask('one two three four'))));
    expect(error.kind).toBe('server');
    expect(error.isRetryable).toBe(true);
    expect(error.vendorCode).toBe('generation');
    expect(error.message).toContain('CUDA out of memory');
  });

  it("classifies TGI's error types: validation, overloaded, generation", async () => {
    const huge = Array.from({ length: 5000 }, () => 'word').join(' ');
    const validation = await providerErrorOf(() => tgi('zephyr').generate(ask(huge)));
    expect(validation).toMatchObject({ kind: 'bad-request', statusCode: 422, vendorCode: 'validation', isRetryable: false });
    expect(validation.message).toContain('must have less than 4096 tokens');

    server.enqueueFault({ type: 'http-error', status: 429, headers: { 'retry-after': '3' } });
    expect(await providerErrorOf(() => tgi('zephyr').generate(ask('hi')))).toMatchObject({ kind: 'rate-limit', vendorCode: 'overloaded', retryAfterMs: 3000 });

    server.enqueueFault({ type: 'http-error', status: 424 });
    expect(await providerErrorOf(() => tgi('zephyr').generate(ask('hi')))).toMatchObject({ kind: 'server', statusCode: 424, isRetryable: true });

    server.enqueueFault({ type: 'http-error', status: 503 });
    expect(await providerErrorOf(() => collectStream(tgi('zephyr').streamGenerate(ask('hi'))))).toMatchObject({ kind: 'rate-limit', statusCode: 503 });
  });

  it('a wrong API key is authentication, and the key never appears in the error', async () => {
    const wrongKey = 'hf_wrong_token_abcdefghijklmnop';
    const error = await providerErrorOf(() => createTgi({ baseURL: server.url, apiKey: wrongKey })('zephyr').generate(ask('hi')));
    expect(error.kind).toBe('authentication');
    expect(error.message).not.toContain(wrongKey);
    expect(error.message).toContain('apiKey');
  });

  it('fetchInfo reads /info: the served model is reported and its token limits become the model info', async () => {
    const model = tgi('zephyr');
    expect(model.getModelInfo().contextWindow).toBe(4096);
    const info = await model.fetchInfo();
    expect(info.model_id).toBe('HuggingFaceH4/zephyr-7b-beta');
    expect(model.getModelInfo()).toMatchObject({ id: 'tgi:zephyr', contextWindow: 8192, maxOutputTokens: 4096 });
    expect((await model.generate(ask('hi'))).model).toBe('HuggingFaceH4/zephyr-7b-beta');
  });

  it('a server that cannot be reached is network, naming the baseURL', async () => {
    const closed = await startFakeTgiServer();
    await closed.close();
    const error = await providerErrorOf(() => createTgi({ baseURL: closed.url })('zephyr').generate(ask('hi')));
    expect(error.kind).toBe('network');
    expect(error.message).toContain(closed.url);
  });
});

describe('an older TGI without input_length in the stream', () => {
  it('counts prompt tokens as 0 with a warning, and reports no cost', async () => {
    const server = await startFakeTgiServer({ omitInputLength: true });
    try {
      const model = createTgi({ baseURL: server.url, pricing: { inputPerMillion: 1, outputPerMillion: 1 } })('old');
      const response = finishOf(await collectStream(model.streamGenerate(ask('hello there'))));
      expect(response.usage.inputTokens).toBe(0);
      expect(response.cost).toBeUndefined();
      expect(response.warnings).toEqual([expect.objectContaining({ message: expect.stringContaining('prompt token count') })]);
    } finally {
      await server.close();
    }
  });
});
