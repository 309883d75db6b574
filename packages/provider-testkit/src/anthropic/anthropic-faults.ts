import type { Fault } from '../faults.js';

/**
 * An `error` event in the middle of a streamed answer, as Anthropic sends when it becomes
 * overloaded after the stream began: the stream carries `afterEvents` events (default 3), then
 * `event: error` with the error body, and ends. A non-streamed request gets the same error as an
 * HTTP response instead (529 for `overloaded_error`).
 */
export interface AnthropicStreamErrorFault {
  type: 'stream-error';
  /** Events written before the error event. Default 3 (message_start, content_block_start, ping). */
  afterEvents?: number;
  /** Default `overloaded_error`. */
  errorType?: string;
  /** Default `Overloaded`. */
  message?: string;
}

/** What the fake Anthropic server can be told to fail with: the neutral faults plus Anthropic's mid-stream error. */
export type AnthropicFault = Fault | AnthropicStreamErrorFault;

/** Ready-made Anthropic-specific faults (the neutral ones are in `faults`). */
export const anthropicFaults = {
  /** A stream that breaks off with `event: error` / `overloaded_error` after `afterEvents` events. */
  overloadedMidStream(afterEvents = 3): AnthropicStreamErrorFault {
    return { type: 'stream-error', afterEvents, errorType: 'overloaded_error', message: 'Overloaded' };
  },
  /** 400 `prompt is too long`, Anthropic's answer to a prompt beyond the context window. */
  promptTooLong(tokens = 215_000, maximum = 200_000): Fault {
    return { type: 'http-error', status: 400, errorType: 'invalid_request_error', message: `prompt is too long: ${tokens} tokens > ${maximum} maximum` };
  },
  /** 529 `overloaded_error`. */
  overloaded(): Fault {
    return { type: 'http-error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' };
  },
} as const;
