import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
