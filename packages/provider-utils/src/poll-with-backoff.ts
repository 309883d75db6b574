/** Options of {@link pollWithBackoff}. */
export interface PollWithBackoffOptions<T> {
  /** The state known before the first poll (e.g. the batch as created). */
  initial: T;
  /** True when `state` needs no more polling (the batch has ended). */
  isDone(state: T): boolean;
  /** Fetches the state again (e.g. retrieves the batch). Its failures reject the whole poll. */
  poll(state: T): Promise<T>;
  /** First wait between polls, in milliseconds. */
  pollIntervalMs: number;
  /** Longest wait between polls; the wait grows by `growth` per poll up to this. */
  maxPollIntervalMs: number;
  /** How long to poll in all, in milliseconds, before giving up (`timed-out`). */
  maxWaitMs: number;
  /** Factor the wait grows by per poll. Default 1.5. */
  growth?: number;
  /** Stops the polling (`aborted`): the wait in progress ends at once. */
  signal?: AbortSignal | undefined;
  /** Called with every polled state, e.g. to report progress. */
  onPoll?(state: T): void;
  /** The clock, in milliseconds. Default `performance.now`; tests pass a fake one with a matching `sleep`. */
  now?: () => number;
  /** Waits `ms` or until `signal` aborts (never rejects). Default a timer. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** How {@link pollWithBackoff} ended, with the last state it saw. */
export interface PollOutcome<T> {
  outcome: 'done' | 'timed-out' | 'aborted';
  state: T;
  /** Milliseconds from the start of polling to its end. */
  waitedMs: number;
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls a long-running vendor job (OpenAI's Batch API, Anthropic's Message Batches) until it is
 * done, with a growing wait: `pollIntervalMs` first, `growth` times longer each poll, never more
 * than `maxPollIntervalMs`, and never past `maxWaitMs` in all. It does not throw for a timeout or
 * an abort: it says which happened (`timed-out`, `aborted`) with the last state, so the caller can
 * cancel the job (it keeps costing otherwise) and report the failure in its own words.
 */
export async function pollWithBackoff<T>(options: PollWithBackoffOptions<T>): Promise<PollOutcome<T>> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? sleepUnlessAborted;
  const growth = options.growth ?? 1.5;
  const { signal } = options;
  const startedAt = now();
  let state = options.initial;
  let interval = options.pollIntervalMs;
  while (!options.isDone(state)) {
    const waited = now() - startedAt;
    if (signal?.aborted) return { outcome: 'aborted', state, waitedMs: waited };
    if (waited >= options.maxWaitMs) return { outcome: 'timed-out', state, waitedMs: waited };
    await sleep(Math.min(interval, options.maxWaitMs - waited), signal);
    interval = Math.min(options.maxPollIntervalMs, Math.round(interval * growth));
    if (signal?.aborted) continue;
    state = await options.poll(state);
    options.onPoll?.(state);
  }
  return { outcome: 'done', state, waitedMs: now() - startedAt };
}
