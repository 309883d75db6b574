import type { ProviderError } from '@llm-lab/core';
import type { RetrySettings } from '../config-schema.js';

/**
 * The wait before retry number `attempt` (1 = the wait after the first failed attempt).
 * When the vendor said how long to wait (`retryAfterMs`, from retry-after, retry-after-ms or its
 * reset headers), that wait is honoured, even beyond `maxDelayMs`, plus a small jitter so that
 * calls told the same wait do not return at the same instant. Otherwise: exponential backoff with
 * full jitter, a uniform draw from [0, min(maxDelayMs, baseDelayMs × 2^(attempt-1))).
 */
export function retryDelayMs(settings: RetrySettings, attempt: number, error: ProviderError, random: () => number = Math.random): number {
  if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) {
    const jitter = Math.min(settings.baseDelayMs, error.retryAfterMs * 0.2, 1000);
    return error.retryAfterMs + random() * jitter;
  }
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return random() * ceiling;
}
