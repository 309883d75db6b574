import { describe, expect, it } from '@jest/globals';
import {
  ProviderError,
  describeError,
  isLLMLabError,
  isProviderError,
  isRetryableError,
  kindForStatus,
  retryAfterFromHeaders,
} from '../src/index.js';

describe('ProviderError', () => {
  it('classifies retryability by kind', () => {
    expect(new ProviderError({ kind: 'rate-limit', message: 'slow down' }).isRetryable).toBe(true);
    expect(new ProviderError({ kind: 'server', message: 'boom' }).isRetryable).toBe(true);
    expect(new ProviderError({ kind: 'authentication', message: 'no' }).isRetryable).toBe(false);
    expect(new ProviderError({ kind: 'bad-request', message: 'no', isRetryable: true }).isRetryable).toBe(true);
    expect(isRetryableError(new Error('plain'))).toBe(false);
  });

  it('is recognised by its marker, not by instanceof (as from another package copy)', () => {
    const original = new ProviderError({ kind: 'timeout', message: 'late', statusCode: 408 });
    // Simulate an error created by another copy of @llm-lab/core: same shape and marker, different class.
    const foreign = Object.assign(Object.create(Error.prototype), {
      [Symbol.for('llm-lab.error')]: true,
      kind: 'timeout',
      isRetryable: true,
      message: 'late',
    });
    expect(isProviderError(original)).toBe(true);
    expect(isProviderError(foreign)).toBe(true);
    expect(foreign instanceof ProviderError).toBe(false);
    expect(isLLMLabError(new Error('x'))).toBe(false);
  });

  it('never carries a key in its message or body', () => {
    const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    const error = new ProviderError({ kind: 'authentication', message: `bad key ${key}`, responseBody: `{"key":"${key}"}` });
    expect(error.message).not.toContain(key);
    expect(error.responseBody).not.toContain(key);
  });

  it('maps HTTP statuses to kinds', () => {
    expect([401, 403, 408, 429, 400, 404, 500, 503, 529].map(kindForStatus)).toEqual([
      'authentication', 'authentication', 'timeout', 'rate-limit', 'bad-request', 'bad-request', 'server', 'server', 'server',
    ]);
  });
});

describe('retryAfterFromHeaders', () => {
  const from = (headers: Record<string, string>) => (name: string) => headers[name];
  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(retryAfterFromHeaders(from({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterFromHeaders(from({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterFromHeaders(from({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterFromHeaders(from({}))).toBeUndefined();
    expect(retryAfterFromHeaders(from({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('describeError', () => {
  it('names the error, its message and its cause', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    expect(describeError(error)).toBe('TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:1)');
    expect(describeError(error, { withCode: true })).toBe('TypeError: fetch failed (ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1)');
  });

  it('stringifies what is not an error', () => {
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError({ message: 'like an error' })).toBe('Error: like an error');
  });
});
