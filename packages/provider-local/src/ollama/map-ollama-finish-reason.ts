import type { FinishReason } from '@llm-lab/core';

/**
 * Maps Ollama's `done_reason` to the contract's {@link FinishReason}. Older Ollama versions send
 * no `done_reason` on a finished answer: that is a normal stop.
 */
export function mapOllamaFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case undefined:
    case null:
    case '':
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    default:
      return 'other';
  }
}
