import { describe, expect, it } from '@jest/globals';
import { MockProvider, type GenerateRequest, type LanguageModelProvider } from '@llm-lab/core';
import { createOpenAI } from '@llm-lab/provider-openai';
import { cacheKeyOf, canonicalJson, providerIdentity } from '../src/index.js';
import { ask } from './helpers.js';

const createMock = (model: string, config: unknown) => new MockProvider(model, config);

describe('cacheKeyOf', () => {
  const base = ask('What is 2 + 2?');

  it('is a sha256 hex digest that is stable for equal requests', () => {
    const key = cacheKeyOf('openai:gpt-4o-mini', base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKeyOf('openai:gpt-4o-mini', ask('What is 2 + 2?'))).toBe(key);
  });

  it.each([
    ['temperature', { temperature: 0.5 }],
    ['topP', { topP: 0.9 }],
    ['topK', { topK: 40 }],
    ['maxTokens', { maxTokens: 64 }],
    ['stop', { stop: ['\n'] }],
    ['seed', { seed: 7 }],
    ['presencePenalty', { presencePenalty: 0.5 }],
    ['frequencyPenalty', { frequencyPenalty: 0.5 }],
    ['logprobs', { logprobs: 0 }],
    ['responseFormat', { responseFormat: { type: 'json' as const } }],
    ['providerOptions', { providerOptions: { reasoningEffort: 'low' } }],
    ['repeat index', { context: { repeat: 1 } }],
  ])('changes with %s', (_name, extra) => {
    expect(cacheKeyOf('openai:gpt-4o-mini', { ...base, ...extra })).not.toBe(cacheKeyOf('openai:gpt-4o-mini', base));
  });

  it('changes with the provider id, the messages and a message name', () => {
    const key = cacheKeyOf('openai:gpt-4o-mini', base);
    expect(cacheKeyOf('openai:gpt-4o', base)).not.toBe(key);
    expect(cacheKeyOf('openai:gpt-4o-mini', ask('What is 2 + 3?'))).not.toBe(key);
    expect(cacheKeyOf('openai:gpt-4o-mini', { messages: [{ role: 'user', content: 'What is 2 + 2?', name: 'ann' }] })).not.toBe(key);
    expect(cacheKeyOf('openai:gpt-4o-mini', { messages: [{ role: 'system', content: 'What is 2 + 2?' }] })).not.toBe(key);
    const image = (url: string) => cacheKeyOf('openai:gpt-4o-mini', { messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'url', url } }] }] });
    expect(image('https://x.test/a.png')).not.toBe(image('https://x.test/b.png'));
  });

  it('cannot be fooled by content that imitates a message boundary', () => {
    const one = cacheKeyOf('p:m', { messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] });
    const two = cacheKeyOf('p:m', { messages: [{ role: 'user', content: 'auser:0:1:b' }] });
    expect(one).not.toBe(two);
  });

  it('ignores caseId, vars and runId, and the order of keys in providerOptions', () => {
    const key = cacheKeyOf('p:m', { ...base, providerOptions: { a: 1, b: { c: 2, d: 3 } }, context: { repeat: 0 } });
    expect(cacheKeyOf('p:m', { ...base, providerOptions: { b: { d: 3, c: 2 }, a: 1 }, context: { caseId: 'x', vars: { q: 1 }, runId: 'r', repeat: 0 } })).toBe(key);
    // Repeat 0 is the same sample as no repeat index.
    expect(cacheKeyOf('p:m', { ...base, providerOptions: { a: 1, b: { c: 2, d: 3 } } })).toBe(key);
  });

  it('changes with every field of a request but its context (a new contract field cannot be left out)', () => {
    // Every field of GenerateRequest: a field added to the contract fails to compile here until it is listed.
    const full: Required<Omit<GenerateRequest, 'context'>> = {
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      presencePenalty: 0.1,
      frequencyPenalty: 0.1,
      stop: ['\n'],
      seed: 7,
      logprobs: 5,
      responseFormat: { type: 'json', schema: { type: 'object' } },
      providerOptions: { reasoningEffort: 'low' },
      tools: [{ name: 'weather', parameters: { type: 'object' } }],
      toolChoice: 'auto',
      parallelToolCalls: true,
      n: 2,
    };
    const changed: { [K in keyof typeof full]: (typeof full)[K] } = {
      messages: [{ role: 'user', content: 'Hello' }],
      temperature: 0.3,
      topP: 0.8,
      topK: 41,
      maxTokens: 65,
      presencePenalty: 0.2,
      frequencyPenalty: 0.2,
      stop: ['\n\n'],
      seed: 8,
      logprobs: 6,
      responseFormat: { type: 'json', schema: { type: 'array' } },
      providerOptions: { reasoningEffort: 'high' },
      tools: [{ name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: 'required',
      parallelToolCalls: false,
      n: 3,
    };
    const key = cacheKeyOf('p:m', full);
    for (const field of Object.keys(full) as Array<keyof typeof full>) {
      expect([field, cacheKeyOf('p:m', { ...full, [field]: changed[field] })]).not.toEqual([field, key]);
      if (field !== 'messages') expect([field, cacheKeyOf('p:m', { ...full, [field]: undefined })]).not.toEqual([field, key]);
    }
    // The context: only the repeat index counts.
    expect(cacheKeyOf('p:m', { ...full, context: { runId: 'r', caseId: 'c', vars: { a: 1 } } })).toBe(key);
    expect(cacheKeyOf('p:m', { ...full, context: { repeat: 2 } })).not.toBe(key);
  });

  it('changes with the provider identity: the same id on another server, endpoint, deployment, API version or model file', () => {
    const key = cacheKeyOf('p:m', base, '{"baseURL":"http://a"}');
    expect(cacheKeyOf('p:m', base, '{"baseURL":"http://a"}')).toBe(key);
    for (const other of ['{"baseURL":"http://b"}', '{"baseURL":"http://a","endpoint":"x"}', '{"baseURL":"http://a","deployment":"d2"}', '{"apiVersion":"v1"}', '{"fingerprint":"sha256:2"}']) {
      expect(cacheKeyOf('p:m', base, other)).not.toBe(key);
    }
    expect(cacheKeyOf('p:m', base)).not.toBe(key);
  });

  it('takes a provider identity from each member: its id, and its cacheIdentity() when it has one', () => {
    const at = (baseURL: string) => createOpenAI({ baseURL, apiKey: 'sk-test' }).chat('gpt-4o-mini');
    const one = providerIdentity([at('http://127.0.0.1:1/v1')]);
    expect(one).toContain('http://127.0.0.1:1/v1');
    expect(providerIdentity([at('http://127.0.0.1:1/v1')])).toBe(one);
    expect(providerIdentity([at('http://127.0.0.1:2/v1')])).not.toBe(one);
    // Members behind one id: their identities in a fixed order.
    const a = at('http://127.0.0.1:1/v1');
    const b = at('http://127.0.0.1:2/v1');
    expect(providerIdentity([a, b])).toBe(providerIdentity([b, a]));
    // A plugin built for contract 1.0/1.1 has no cacheIdentity: keyed by its id. A label is not an
    // identity: one label naming another model in another run must not get the first one's answers.
    const plugin = (id: string) => ({ id, provider: 'plugin', model: id.split(':')[1] }) as unknown as LanguageModelProvider;
    expect(providerIdentity([plugin('plugin:m')])).toBe(providerIdentity([plugin('plugin:m')]));
    expect(providerIdentity([plugin('plugin:m')])).not.toBe(providerIdentity([plugin('plugin:m2')]));
    expect(cacheKeyOf('main', base, providerIdentity([plugin('plugin:m')]))).not.toBe(cacheKeyOf('main', base, providerIdentity([plugin('plugin:m2')])));
    // The mock's settings change its answers: they are its identity.
    const careful = createMock('careful', { mode: 'field', field: 'answer', accuracy: 0.9 });
    const hasty = createMock('careful', { mode: 'field', field: 'answer', accuracy: 0.5 });
    expect(providerIdentity([careful])).not.toBe(providerIdentity([hasty]));
    expect(providerIdentity([careful])).toBe(providerIdentity([createMock('careful', { mode: 'field', field: 'answer', accuracy: 0.9 })]));
  });

  it('canonicalJson sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: undefined, x: 2 }] })).toBe('{"a":[{"x":2,"z":1}],"b":1}');
  });
});
