import { describe, expect, it } from '@jest/globals';
import { isProviderError, ProviderError, type GenerateRequest } from '@llm-lab/core';
import { prepareBatchItems } from '../src/index.js';

const ask = (content: string): GenerateRequest => ({ messages: [{ role: 'user', content }] });
const build = (request: GenerateRequest) => {
  const text = String(request.messages[0]?.content);
  if (text === 'bad') throw new ProviderError({ kind: 'bad-request', providerId: 'p', message: 'p: bad request' });
  return { built: text.toUpperCase(), warnings: [] };
};

describe('prepareBatchItems', () => {
  it('builds each request under its item id, and fails a bad one or a repeated id in its place', () => {
    const items = prepareBatchItems([ask('a'), ask('bad'), ask('c'), ask('d')], { providerId: 'p', itemIds: ['x', 'y', 'z', 'x'], idPrefix: 'llm-lab-', build });
    expect([...items.pending].map(([id, item]) => [id, item.index, item.built])).toEqual([['x', 0, 'A'], ['z', 2, 'C']]);
    const results = items.finish(() => new Error('never answered'));
    expect(results.map((result) => (result.ok ? 'ok' : result.error.message))).toEqual([
      'never answered',
      'p: bad request',
      'never answered',
      "p: item id 'x' is given twice; item ids must be unique in a batch.",
    ]);
  });

  it('numbers the items with the prefix when no ids are given', () => {
    expect([...prepareBatchItems([ask('a'), ask('b')], { providerId: 'p', idPrefix: 'llm-lab-', build }).pending.keys()]).toEqual(['llm-lab-0', 'llm-lab-1']);
  });

  it('fails every item, sending nothing, when itemIds are not one per request', () => {
    const items = prepareBatchItems([ask('a'), ask('b')], { providerId: 'p', itemIds: ['only-one'], idPrefix: 'llm-lab-', build });
    expect(items.pending.size).toBe(0);
    const results = items.finish(() => new Error('unused'));
    expect(results.every((result) => !result.ok && isProviderError(result.error) && result.error.kind === 'bad-request')).toBe(true);
    expect(results[0]).toMatchObject({ ok: false, error: { message: 'p: itemIds has 1 ids for 2 requests; give one id per request.' } });
  });
});
