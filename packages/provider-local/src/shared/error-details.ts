import { describeError as describeAnyError } from '@llm-lab/core';

/** `Name: message (CODE cause)` of any thrown value, for error messages (the cause's system code first, when it has one). */
export function describeError(error: unknown): string {
  return describeAnyError(error, { withCode: true });
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
