import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '@llm-lab/core';
import type { GatewayRequestError} from '../src/index.js';
import { parseChatRequest, parseEmbeddingsRequest, toGatewayError } from '../src/index.js';

function refusal(body: unknown): GatewayRequestError {
  try {
    parseChatRequest(body);
  } catch (error) {
    return error as GatewayRequestError;
  }
  throw new Error('expected a refusal');
}

describe("reading OpenAI's chat completions body into a contract request", () => {
  it('reads images, developer messages, sampling settings and tool results (with the tool name from its call)', () => {
    const parsed = parseChatRequest({
      model: 'gpt',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      ],
      max_completion_tokens: 50,
      stop: 'END',
      temperature: 0.2,
      logprobs: true,
      top_logprobs: 3,
      user: 'ignored',
    });
    expect(parsed.request).toMatchObject({ maxTokens: 50, stop: ['END'], temperature: 0.2, logprobs: 3 });
    expect(parsed.request.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(parsed.request.messages[1]).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'url', url: 'data:image/png;base64,AAAA' }, detail: 'low' }],
    });
    expect(parsed.request.messages[3]).toEqual({ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', name: 'look', result: 'a cat' }] });
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'gpt', messages: 'hi' }, 'messages'],
    [{ model: 'gpt', messages: [{ role: 'user', content: [{ type: 'audio' }] }] }, 'messages[0].content[0].type'],
    [{ model: 'gpt', messages: [{ role: 'user', content: 'x' }], top_p: 2 }, 'top_p'],
    [{ model: 'gpt', messages: [{ role: 'user', content: 'x' }], n: 2, stream: true }, 'n'],
    [{ model: 'gpt', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'bad name!' } }] }, 'tools[0].function.name'],
    [{ model: 'gpt', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } }, 'response_format.type'],
    [{ model: 'gpt', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
  ])('refuses %j with a 400 naming %s', (body, param) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message.startsWith(`${param}: `)).toBe(true);
  });

  it('reads embeddings input and encoding', () => {
    expect(parseEmbeddingsRequest({ model: 'e', input: 'one' })).toEqual({ model: 'e', input: ['one'], encoding: 'float' });
    expect(() => parseEmbeddingsRequest({ model: 'e', input: [1, 2, 3] })).toThrow(/input: required: a string or a non-empty array of strings/);
  });
});

describe("mapping failures to OpenAI's status codes and error objects", () => {
  it.each([
    ['authentication', 401, 401, 'authentication_error'],
    ['authentication', 403, 403, 'authentication_error'],
    ['rate-limit', 429, 429, 'rate_limit_error'],
    ['timeout', undefined, 504, 'timeout_error'],
    ['server', 500, 502, 'server_error'],
    ['server', 529, 503, 'server_error'],
    ['bad-request', 400, 400, 'invalid_request_error'],
    ['content-filter', 400, 400, 'invalid_request_error'],
    ['network', undefined, 502, 'server_error'],
    ['invalid-response', 200, 502, 'server_error'],
  ] as const)('%s (vendor status %s) is %i %s', (kind, statusCode, status, type) => {
    const mapped = toGatewayError(new ProviderError({ kind, message: 'it failed', ...(statusCode ? { statusCode } : {}) }));
    expect(mapped.status).toBe(status);
    expect(mapped.error.type).toBe(type);
    expect(mapped.errorClass).toBe(kind);
    expect(mapped.error.message).toBe('it failed');
  });

  it("keeps the vendor's error code, and turns a retry-after into whole seconds", () => {
    const mapped = toGatewayError(new ProviderError({ kind: 'rate-limit', message: 'slow down', vendorCode: 'insufficient_quota', retryAfterMs: 1500 }));
    expect(mapped.error.code).toBe('insufficient_quota');
    expect(mapped.retryAfterSeconds).toBe(2);
  });

  it('answers an unexpected failure with a 500 in the same shape', () => {
    expect(toGatewayError(new TypeError('boom'))).toEqual({
      status: 500,
      error: { message: 'internal error: boom', type: 'server_error', param: null, code: 'internal_error' },
      errorClass: 'internal',
    });
  });
});
