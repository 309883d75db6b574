import type { ProviderErrorKind } from '@llm-lab/core';

/**
 * What to do about each kind of provider failure, appended to every ProviderError message. Most
 * of it is the same for every vendor; a provider's error mapper overrides only what differs (the
 * key to check, a vendor's dashboard, a local server's logs) with {@link errorAdvice}.
 */
export const DEFAULT_ERROR_ADVICE: Readonly<Record<ProviderErrorKind, string>> = Object.freeze({
  authentication: 'Check the API key (config apiKey or the provider\'s environment variable).',
  'rate-limit': 'Wait and retry, or send fewer requests at once.',
  timeout: 'Raise timeoutMs (in the provider config or per call), or check the server load.',
  server: 'The server failed on its side; retrying usually helps.',
  'bad-request': 'Fix the request named in the message; retrying the same request will fail again.',
  'content-filter': 'The content filter blocked the prompt or the answer; rephrase the input.',
  network: 'Check that the server is reachable at baseURL (and any proxy), then retry.',
  'invalid-response': 'The server sent something that is not a valid answer; retrying may help.',
  cancelled: 'The caller cancelled the call.',
  unknown: 'See the cause for details.',
});

/** The advice table of one provider: the defaults with its own differences. */
export function errorAdvice(overrides: Partial<Record<ProviderErrorKind, string>> = {}): Readonly<Record<ProviderErrorKind, string>> {
  return Object.freeze({ ...DEFAULT_ERROR_ADVICE, ...overrides });
}
