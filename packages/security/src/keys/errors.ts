import { describeReference, type SecretReference } from './reference.js';

/**
 * Why a secret could not be read: the source refused the credentials (`auth`), has nothing at
 * the path or no such field (`not-found`), could not be reached (`unreachable`), is not set up
 * (`config`), or answered something unexpected (`invalid-response`).
 */
export type SecretErrorKind = 'auth' | 'not-found' | 'unreachable' | 'config' | 'invalid-response';

/** A secret could not be read. The message names the reference and what to do, never a value. */
export class SecretError extends Error {
  readonly kind: SecretErrorKind;
  /** The reference as text, e.g. `vault:secret/data/llm/openai#key`. */
  readonly reference: string;

  constructor(kind: SecretErrorKind, reference: SecretReference, message: string, options: { cause?: unknown } = {}) {
    const described = describeReference(reference);
    super(`secret ${described}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretError';
    this.kind = kind;
    this.reference = described;
  }
}

/** True for a {@link SecretError} (also one from another installed copy of this package). */
export function isSecretError(error: unknown): error is SecretError {
  return error instanceof Error && error.name === 'SecretError' && typeof (error as SecretError).kind === 'string';
}

/** The system error code of a failed connection (`ECONNREFUSED`), looked up through `cause`. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return code;
    // A wrapped error (the AWS SDK's wrapper of a non-Error) keeps the code only in its text.
    const inMessage = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)\b/.exec(String((current as { message?: unknown }).message ?? ''));
    if (inMessage) return inMessage[1];
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
