import type { CallOptions } from './types.js';

/** What an error mapper needs to tell a cancelled call from a timed-out one. */
export interface CallAbortState {
  /** The caller's signal: when it is aborted, the failure is `cancelled`. */
  signal?: AbortSignal | undefined;
  /** True when the call's own deadline fired. */
  timedOut?: boolean;
  /** The deadline in milliseconds, named in timeout messages. */
  timeoutMs?: number;
}

/** One call's cancellation: the caller's signal joined with the call's own deadline. */
export interface CallDeadline {
  /** Aborts when the caller cancels or the deadline passes: hand it to the transport. */
  readonly signal: AbortSignal;
  /** Aborts only when the deadline passes (tells a timeout from a cancellation). */
  readonly deadline: AbortSignal;
  /** The deadline in milliseconds. */
  readonly timeoutMs: number;
  /** `{ signal: the caller's signal, timedOut, timeoutMs }` as they stand now, for an error mapper's context. */
  abortState(): CallAbortState;
  /** Clears the deadline timer and stops listening to the caller's signal. Call it when the call ends; calling it again does nothing. */
  dispose(): void;
}

/**
 * Starts one call's deadline (`options.timeoutMs`, else `defaultTimeoutMs`) joined with the
 * caller's `options.signal`. The returned `signal` aborts when either fires, and keeps running to
 * the end of a streamed answer (an SDK's own timeout usually stops at the response headers).
 *
 * The two are joined with one controller and a listener that `dispose()` removes, not with
 * `AbortSignal.any`, which keeps every combined signal alive for as long as the caller's signal
 * lives (a run-wide signal shared by thousands of calls would hold them all).
 */
export function startCallDeadline(options: CallOptions, defaultTimeoutMs: number): CallDeadline {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const outer = options.signal;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const abortState = (): CallAbortState => ({ signal: outer, timedOut: deadline.signal.aborted, timeoutMs });
  if (!outer) {
    return { signal: deadline.signal, deadline: deadline.signal, timeoutMs, abortState, dispose: () => clearTimeout(timer) };
  }
  const call = new AbortController();
  const onOuterAbort = () => call.abort(outer.reason);
  if (outer.aborted) call.abort(outer.reason);
  else outer.addEventListener('abort', onOuterAbort, { once: true });
  deadline.signal.addEventListener('abort', () => call.abort(deadline.signal.reason), { once: true });
  return {
    signal: call.signal,
    deadline: deadline.signal,
    timeoutMs,
    abortState,
    dispose: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    },
  };
}

/** How a call was stopped, in the words error messages use. */
export interface CallAbortOutcome {
  kind: 'cancelled' | 'timeout';
  /** What happened, e.g. `the server at http://… did not finish answering within 5000 ms.` (advice is the caller's to add). */
  what: string;
}

/**
 * Classifies a failed call by how it was stopped: `cancelled` when the caller's signal aborted
 * (checked first: a caller who cancelled is not told about a timeout), `timeout` when the call's
 * deadline fired. Undefined when neither, so the error mapper goes on to classify the failure
 * itself. `serverName` names who did not answer, e.g. `the OpenAI API` or `Ollama at http://…`.
 */
export function abortOutcomeOf(state: CallAbortState, serverName: string): CallAbortOutcome | undefined {
  if (state.signal?.aborted) return { kind: 'cancelled', what: 'the call was cancelled before it finished.' };
  if (state.timedOut) {
    const limit = state.timeoutMs !== undefined ? ` within ${state.timeoutMs} ms` : '';
    return { kind: 'timeout', what: `${serverName} did not finish answering${limit}.` };
  }
  return undefined;
}
