import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderRegistry } from '@llm-lab/core';
import { FAKE_GENERATED_TOKEN, fakeTokenize, providerErrorOf, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createOpenAICompatible, openaiCompatibleProvider } from '../src/index.js';

/**
 * A prompt token's log-probability on the fake server: -1 per character of the token, so each
 * continuation's expected log-likelihood is minus the characters of its tokens, and any context
 * token wrongly counted would change the sum.
 */
const perCharacter = (token: string) => -token.length;

describe('openai-compatible scoreCompletions (echoed prompt log-probabilities, as vLLM serves them)', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAIServer({ promptLogprob: perCharacter });
  });
  afterAll(() => server.close());

  it('sums the log-probabilities of the continuation tokens only, found by text_offset, in one completions call', async () => {
    const model = createOpenAICompatible({ baseURL: server.url, promptLogprobs: true }).chat('meta-llama/Llama-3.2-1B');
    server.reset();
    const scores = await model.scoreCompletions!({ messages: [{ role: 'user', content: 'Question: Which gas do plants take in?\nAnswer:' }], completions: [' Oxygen', ' Carbon dioxide'] });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe('/v1/completions');
    expect(server.requests[0]?.body).toEqual({
      model: 'meta-llama/Llama-3.2-1B',
      prompt: ['Question: Which gas do plants take in?\nAnswer: Oxygen', 'Question: Which gas do plants take in?\nAnswer: Carbon dioxide'],
      echo: true,
      logprobs: 1,
      max_tokens: 0,
      temperature: 0,
    });
    // ' Oxygen' is one token of 7 characters; ' Carbon dioxide' two tokens, 7 + 8 characters.
    expect(scores).toEqual([
      { completion: ' Oxygen', logprob: -7, tokens: 1 },
      { completion: ' Carbon dioxide', logprob: -15, tokens: 2 },
    ]);
  });

  it('moves the context\'s trailing spaces into the continuation, and ignores tokens generated after the prompt', async () => {
    const model = createOpenAICompatible({ baseURL: server.url, promptLogprobs: true }).chat('m');
    // "Answer: " + "Paris": the fake tokenizes "Answer: Paris" as ... ':' ' Paris', so the space-led token is the continuation.
    const [spaced] = await model.scoreCompletions!({ messages: [{ role: 'user', content: 'Capital of France? Answer: ' }], completions: ['Paris'] });
    expect(fakeTokenize('Capital of France? Answer: Paris').at(-1)).toBe(' Paris');
    expect(spaced).toEqual({ completion: 'Paris', logprob: -6, tokens: 1 });
    // A server that also generates a token (max_tokens ignored, as some do): the generated token is past the prompt and not counted.
    const answer = await fetch(`${server.url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'Once upon a time', echo: true, logprobs: 1, max_tokens: 1 }),
    }).then((response) => response.json() as Promise<{ choices: Array<{ text: string; logprobs: { tokens: string[]; token_logprobs: Array<number | null>; text_offset: number[] } }> }>);
    expect(answer.choices[0]?.logprobs).toEqual({
      tokens: ['Once', ' upon', ' a', ' time', FAKE_GENERATED_TOKEN.token],
      token_logprobs: [null, -5, -2, -5, FAKE_GENERATED_TOKEN.logprob],
      text_offset: [0, 4, 9, 11, 16],
      top_logprobs: [null, { ' upon': -5 }, { ' a': -2 }, { ' time': -5 }, { [FAKE_GENERATED_TOKEN.token]: FAKE_GENERATED_TOKEN.logprob }],
    });
    const { scoresFromEchoedCompletion } = await import('@llm-lab/openai-compatible');
    expect(scoresFromEchoedCompletion(answer, 'Once upon a', [' time'], 'm', server.url)).toEqual([{ completion: ' time', logprob: -5, tokens: 1 }]);
  });

  it('is absent unless the config says the server returns prompt log-probabilities, and passes through the registry', async () => {
    expect(createOpenAICompatible({ baseURL: server.url }).chat('m').scoreCompletions).toBeUndefined();
    const registered = new ProviderRegistry().register(openaiCompatibleProvider).create('openai-compatible:m', { baseURL: server.url, promptLogprobs: true });
    expect(typeof registered.scoreCompletions).toBe('function');
  });

  it('says what is missing when the answer has no echoed log-probabilities, and refuses an empty list', async () => {
    const { scoresFromEchoedCompletion } = await import('@llm-lab/openai-compatible');
    expect(() => scoresFromEchoedCompletion({ choices: [{ index: 0, text: 'ctx a', logprobs: null }] }, 'ctx', [' a'], 'openai-compatible:m', 'http://127.0.0.1:8080/v1')).toThrow(
      /openai-compatible:m: scoring completions needs prompt log-probabilities from http:\/\/127\.0\.0\.1:8080\/v1\/completions .*but choice 0 has no echoed tokens.*\(llama\.cpp server, LM Studio\) cannot score completions/,
    );
    const model = createOpenAICompatible({ baseURL: server.url, promptLogprobs: true }).chat('m');
    const empty = await providerErrorOf(() => model.scoreCompletions!({ messages: [{ role: 'user', content: '' }], completions: ['Hello'] }));
    expect(empty.kind).toBe('invalid-response');
    expect(empty.message).toMatch(/has no log-probability \(the first token of a prompt has none: give the completion a context\)/);
    expect((await providerErrorOf(() => model.scoreCompletions!({ messages: [{ role: 'user', content: 'x' }], completions: [] }))).kind).toBe('bad-request');
  });
});
