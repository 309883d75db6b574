import { isProviderError, type ProviderError } from '@llm-lab/core';

/**
 * The ProviderError `action` rejects with, for asserting on its kind and message. Throws when
 * the action resolves, or rejects with anything that is not a ProviderError (named in the error).
 */
export async function providerErrorOf(action: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await action();
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

/** Drains an async iterable (e.g. a provider's `streamGenerate`) into an array, in order. */
export async function collectStream<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
