import type { LoadBalancer } from '../load-balancer.js';
import type { Member } from '../member.js';
import { cancelledError } from './abortable-sleep.js';
import type { BreakerPermit } from './circuit-breaker.js';

/**
 * Waits until one of `members`' circuit breakers lets a call through and returns that member (as
 * `balancer.pick()` chooses it) with the breaker permit taken for the call, or undefined when that cannot happen before `deadline` (a
 * `performance.now()` time: the end of the call's retry budget). An open breaker lets calls
 * through at its `reopensAt`; when that is after the deadline the answer is undefined at once,
 * without waiting. A half-open breaker whose probes are all in flight lets a call through when a
 * probe's outcome is known (it closed, or its permit came back): callers wait for that, up to the
 * deadline, instead of failing. Rejects with a `cancelled` ProviderError when `signal` fires.
 *
 * Only a call that has nowhere else to go waits: a provider with fallbacks moves on to them at once.
 */
export async function waitForMember(
  members: readonly Member[],
  balancer: LoadBalancer,
  deadline: number,
  signal: AbortSignal | undefined,
  providerId: string,
): Promise<{ member: Member; permit: BreakerPermit } | undefined> {
  for (;;) {
    const member = balancer.pick();
    // Taken at once, in the same turn: another waiter woken by the same change cannot take it first.
    const permit = member?.breaker.acquire();
    if (member !== undefined && permit !== undefined) return { member, permit };
    const remainingMs = deadline - performance.now();
    const now = Date.now();
    let reopensInMs = Infinity;
    let probing = false;
    for (const candidate of members) {
      const at = candidate.breaker.reopensAt;
      if (at === undefined) probing = true;
      else reopensInMs = Math.min(reopensInMs, Math.max(0, at - now));
    }
    // Nothing can let the call through within its budget: fail now, not at the deadline.
    if (remainingMs <= 0 || (!probing && reopensInMs > remainingMs)) return undefined;
    await breakerChange(members, Math.min(reopensInMs, remainingMs), signal, providerId);
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
