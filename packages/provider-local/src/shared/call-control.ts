import type { CallOptions } from '@llm-lab/core';

/** One call's cancellation: the caller's signal joined with the call's own deadline. */
export interface CallControl {
  /** Aborts when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  /** Aborts only when the deadline passes (tells a timeout from a cancellation). */
  deadline: AbortSignal;
  timeoutMs: number;
  /** Clears the deadline timer; call it when the call ends. */
  dispose(): void;
}

/** Starts a call's deadline (`options.timeoutMs`, else `defaultTimeoutMs`) joined with the caller's signal. */
export function startCall(options: CallOptions, defaultTimeoutMs: number): CallControl {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`deadline of ${timeoutMs} ms passed`)), timeoutMs);
  timer.unref?.();
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  return { signal, deadline: deadline.signal, timeoutMs, dispose: () => clearTimeout(timer) };
}

/** `Name: message (cause)` of any thrown value, for error messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message, cause } = error as { name?: string; message?: string; cause?: unknown };
    const causeText =
      cause && typeof cause === 'object' && 'message' in cause
        ? ` (${String((cause as { code?: unknown }).code ?? '')}${(cause as { code?: unknown }).code ? ' ' : ''}${String((cause as { message: unknown }).message)})`
        : '';
    return `${name ?? 'Error'}: ${message ?? ''}${causeText}`;
  }
  return String(error);
}

/** The system error code (`ECONNREFUSED`, `ENOTFOUND`, …) of a failed fetch, looking through causes. */
export function systemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemErrorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
