import { ProviderError } from '@llm-lab/core';

/** The `cancelled` ProviderError for a call whose signal fired while it was waiting. */
export function cancelledError(providerId: string, while_: string, cause?: unknown): ProviderError {
  return new ProviderError({
    kind: 'cancelled',
    providerId,
    message: `${providerId}: the call was cancelled while ${while_}.`,
    cause,
  });
}

/**
 * Waits `ms` milliseconds; rejects with a `cancelled` ProviderError as soon as `signal` fires
 * (or at once when it already has). The timer does not keep the process alive on its own.
 */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, providerId: string, while_: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelledError(providerId, while_, signal.reason));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError(providerId, while_, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
