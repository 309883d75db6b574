import { ProviderError, type GenerateResponse } from '@llm-lab/core';

/** How long after its own timeout a provider that ignores `timeoutMs` is given up on. */
const BACKSTOP_GRACE_MS = 1000;

/** Settles like `call`, or rejects with a `timeout` error when it has not settled `timeoutMs` + grace after it started. */
export function withBackstop(call: Promise<GenerateResponse>, timeoutMs: number, providerId: string): Promise<GenerateResponse> {
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ProviderError({
          kind: 'timeout',
          providerId,
          message: `${providerId} did not answer within ${timeoutMs} ms and ignored its timeout; the manager gave up on the call ${BACKSTOP_GRACE_MS} ms later. Raise timeoutMs or check the provider.`,
        }),
      );
    }, timeoutMs + BACKSTOP_GRACE_MS);
  });
  return Promise.race([call, backstop]).finally(() => clearTimeout(timer));
}
