import { isProviderError, type ProviderError } from '@llm-lab/core';

/** The ProviderError `action` rejects with; throws when it resolves or rejects with something else. */
export async function providerErrorOf(action: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await action();
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
