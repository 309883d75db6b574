import type { LoadBalancer } from '../load-balancer.js';
import type { Member } from '../member.js';
import { cancelledError } from './abortable-sleep.js';
import type { BreakerPermit } from './circuit-breaker.js';

/**
 * Waits until one of `members`' circuit breakers lets a call through and returns that member (as
 * `balancer.pick()` chooses it) with the breaker permit taken for the call, or undefined when
 * waiting cannot help. An open breaker lets calls through at its `reopensAt`; a half-open one
 * whose probes are all in flight when a probe's outcome is known (it closed, or its permit came
 * back): callers wait for that instead of failing. A member is waited for only while
 *
 * - the wait ends before `deadline` (a `performance.now()` time: the end of the call's retry
 *   budget, `maxTotalMs` after its first attempt);
 * - its outage (since its breaker opened from closed, through failed probes) is younger than
 *   `maxTotalMs`: a provider down for longer than one retry budget fails every later call at
 *   once, as it would without waiting, rather than costing each wave of calls a budget;
 * - it has answered before: a breaker that opened before the provider ever answered is a provider
 *   down or misconfigured (a wrong URL), not a burst of faults, and waiting would only delay the
 *   error.
 *
 * When no member qualifies, the answer is undefined at once. Rejects with a `cancelled`
 * ProviderError when `signal` fires. Only a call that has nowhere else to go waits: a provider
 * with fallbacks moves on to them at once.
 */
export async function waitForMember(
  members: readonly Member[],
  balancer: LoadBalancer,
  deadline: number,
  maxTotalMs: number,
  signal: AbortSignal | undefined,
  providerId: string,
): Promise<{ member: Member; permit: BreakerPermit } | undefined> {
  for (;;) {
    const member = balancer.pick();
    // Taken at once, in the same turn: another waiter woken by the same change cannot take it first.
    const permit = member?.breaker.acquire();
    if (member !== undefined && permit !== undefined) return { member, permit };
    const now = Date.now();
    const callRemainingMs = deadline - performance.now();
    // The longest any qualifying member lets the call wait, and the soonest an open one lets a probe through.
    let waitMs = 0;
    let reopensInMs = Infinity;
    for (const candidate of members) {
      const breaker = candidate.breaker;
      if (!breaker.hasAnswered) continue;
      const outage = breaker.outageStartedAt;
      const limitMs = Math.min(callRemainingMs, outage === undefined ? Infinity : outage + maxTotalMs - now);
      const at = breaker.reopensAt;
      if (at === undefined) {
        if (limitMs > 0) waitMs = Math.max(waitMs, limitMs);
      } else if (at - now <= limitMs) {
        waitMs = Math.max(waitMs, limitMs);
        reopensInMs = Math.min(reopensInMs, Math.max(0, at - now));
      }
    }
    if (waitMs <= 0) return undefined;
    await breakerChange(members, Math.min(reopensInMs, waitMs), signal, providerId);
  }
}

/** The longest delay a Node timer takes (a longer one would fire at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves at the first change of any member's breaker, or after `timeoutMs`; rejects when `signal` fires. */
function breakerChange(members: readonly Member[], timeoutMs: number, signal: AbortSignal | undefined, providerId: string): Promise<void> {
  const waiting = 'waiting for the circuit breaker to let a call through';
  if (signal?.aborted) return Promise.reject(cancelledError(providerId, waiting, signal.reason));
  return new Promise<void>((resolve, reject) => {
    const removers: Array<() => void> = [];
    const finish = () => {
      for (const remove of removers) remove();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onChange = () => {
      finish();
      resolve();
    };
    const onAbort = () => {
      finish();
      reject(cancelledError(providerId, waiting, signal?.reason));
    };
    for (const member of members) removers.push(member.breaker.onNextChange(onChange));
    const timer = setTimeout(onChange, Math.min(Math.ceil(timeoutMs), MAX_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
