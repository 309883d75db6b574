import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The repository root (this file is <root>/packages/provider-local/test/helpers.ts). */
export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The shared tiny GGUF model `stories260K.gguf`, found as `../shared/models` relative to the
 * repository root (a read-only folder on the development machines; a user's clone has none).
 * Undefined when it is missing: real-inference tests then skip with a message.
 */
export const STORIES_MODEL: string | undefined = (() => {
  const path = join(REPOSITORY_ROOT, '..', 'shared', 'models', 'stories260K.gguf');
  return existsSync(path) ? path : undefined;
})();

/** True when node-llama-cpp (an optional dependency) can be imported. */
export async function nodeLlamaCppAvailable(): Promise<boolean> {
  try {
    await import('node-llama-cpp');
    return true;
  } catch {
    return false;
  }
}

/** Why real-inference tests were skipped, printed once. */
export function skipNotice(reason: string): void {
  process.stderr.write(`\n[provider-local] skipping real GGUF inference tests: ${reason}\n`);
}
