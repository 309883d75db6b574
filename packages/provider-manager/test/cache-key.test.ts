import { describe, expect, it } from '@jest/globals';
import { cacheKeyOf, canonicalJson } from '../src/index.js';
import { ask } from './helpers.js';

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

  it('canonicalJson sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: undefined, x: 2 }] })).toBe('{"a":[{"x":2,"z":1}],"b":1}');
  });
});
