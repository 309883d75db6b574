import type { FinishReason } from '@llm-lab/core';

/**
 * Maps OpenAI's `finish_reason` to the contract's {@link FinishReason}; unknown values become
 * `other`. `eos`, which some OpenAI-compatible servers send, is `stop`.
 */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'eos':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    default:
      return 'other';
  }
}
