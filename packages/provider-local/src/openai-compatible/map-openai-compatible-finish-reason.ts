import type { FinishReason } from '@llm-lab/core';

/** Maps an OpenAI-style `finish_reason` to the contract's {@link FinishReason}; unknown values become `other`. */
export function mapOpenAICompatibleFinishReason(reason: string | null | undefined): FinishReason {
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
