import type { FinishReason } from '@llm-lab/core';

/** Maps TGI's finish reason to the contract's: EOS and stop sequences are `stop`, the token limit is `length`. */
export function mapTgiFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'eos_token':
    case 'stop_sequence':
      return 'stop';
    case 'length':
      return 'length';
    default:
      return 'other';
  }
}
