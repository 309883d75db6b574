import { ProviderError, sleep } from '@llm-lab/core';

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
  return sleep(ms, signal).catch((reason: unknown) => {
    throw cancelledError(providerId, while_, reason);
  });
}
