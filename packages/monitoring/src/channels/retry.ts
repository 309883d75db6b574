/** A failure a channel may try again, and how long the server asked it to wait. */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

export interface RetryOptions {
  /** Tries in all (default 4). */
  attempts?: number;
  /** First back-off, ms (default 500), doubled each time, with jitter, up to `maxDelayMs` (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How to wait (tests give one that records the delays). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `send`, trying again after a {@link RetryableError} (a 5xx, a 429, a dropped connection)
 * with exponential back-off, or after the server's `Retry-After` when it gave one (capped at
 * `maxDelayMs`). Any other error ends the tries at once: a refused payload or a revoked URL will
 * not work the second time either.
 */
export async function withRetries<T>(send: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt >= attempts) {
        if (error instanceof RetryableError) throw new Error(`${error.message} (gave up after ${attempt} tries)`);
        throw error;
      }
      const backoff = base * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      await sleep(Math.min(max, error.retryAfterMs ?? backoff));
    }
  }
}

/** `Retry-After` (seconds or an HTTP date) as ms, or undefined. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
