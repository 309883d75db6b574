import type { FinishReason } from '@llm-lab/core';

/**
 * Maps Anthropic's `stop_reason` to the contract's {@link FinishReason}: `end_turn` and
 * `stop_sequence` → stop, `max_tokens` and `model_context_window_exceeded` → length, `tool_use` →
 * tool-calls, `refusal` (Claude declined for safety reasons) → content-filter; anything else
 * (`pause_turn`, null, a future value) → other.
 */
export function mapAnthropicFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}
