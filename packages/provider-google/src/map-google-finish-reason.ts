import type { FinishReason } from '@llm-lab/core';

/** Finish reasons that mean Google's filters stopped the answer (safety, recitation, blocklists, personal data). */
const CONTENT_FILTER_REASONS: ReadonlySet<string> = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/** True when a Gemini `finishReason` means a filter stopped the answer. */
export function isGoogleContentFilterReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && CONTENT_FILTER_REASONS.has(reason);
}

/**
 * Maps Gemini's `finishReason` to the contract's {@link FinishReason}: `STOP` → stop,
 * `MAX_TOKENS` → length, the filter reasons (`SAFETY`, `RECITATION`, `BLOCKLIST`,
 * `PROHIBITED_CONTENT`, `SPII`, ...) → content-filter, a function-call reason → tool-calls, and
 * anything else (`OTHER`, `LANGUAGE`, unknown values) → other.
 */
export function mapGoogleFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (isGoogleContentFilterReason(reason)) return 'content-filter';
  if (reason === 'MALFORMED_FUNCTION_CALL' || reason === 'UNEXPECTED_TOOL_CALL') return 'tool-calls';
  return 'other';
}
