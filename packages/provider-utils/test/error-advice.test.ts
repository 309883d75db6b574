import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ERROR_ADVICE, errorAdvice } from '../src/index.js';

describe('errorAdvice', () => {
  it('has advice for every kind of failure, and a provider replaces only what differs', () => {
    const kinds = ['authentication', 'rate-limit', 'timeout', 'server', 'bad-request', 'content-filter', 'network', 'invalid-response', 'cancelled', 'unknown'];
    expect(Object.keys(DEFAULT_ERROR_ADVICE).sort()).toEqual([...kinds].sort());
    const advice = errorAdvice({ authentication: 'Check ANTHROPIC_API_KEY.' });
    expect(advice.authentication).toBe('Check ANTHROPIC_API_KEY.');
    expect(advice['rate-limit']).toBe(DEFAULT_ERROR_ADVICE['rate-limit']);
    expect(DEFAULT_ERROR_ADVICE.authentication).not.toBe('Check ANTHROPIC_API_KEY.');
  });
});
