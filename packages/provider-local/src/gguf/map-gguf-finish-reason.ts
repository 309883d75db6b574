import type { FinishReason } from '@llm-lab/core';

/** node-llama-cpp's stop reasons for a completion. */
export type LlamaStopReason = 'eogToken' | 'stopGenerationTrigger' | 'customStopTrigger' | 'maxTokens' | 'abort';

/** Maps node-llama-cpp's `stopReason` to the contract's {@link FinishReason} (an abort is turned into an error by the caller). */
export function mapGgufFinishReason(reason: LlamaStopReason): FinishReason {
  switch (reason) {
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
      return 'stop';
    case 'maxTokens':
      return 'length';
    default:
      return 'other';
  }
}
