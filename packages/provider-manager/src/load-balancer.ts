import type { BalancingStrategy } from './config-schema.js';
import type { Member } from './member.js';

/**
 * Picks the member of a logical provider that takes the next call, skipping members whose
 * circuit breaker is open: `round-robin` takes them in turn; `least-busy` the one with the fewest
 * calls in flight; `lowest-latency` the one with the lowest latency EWMA (members not yet measured
 * first, then fewest in flight). Ties go round-robin, so equal members share the load.
 */
export class LoadBalancer {
  private readonly members: readonly Member[];
  private readonly strategy: BalancingStrategy;
  private cursor = 0;

  constructor(members: readonly Member[], strategy: BalancingStrategy) {
    this.members = members;
    this.strategy = strategy;
  }

  /** The member for the next call, or undefined when every member's breaker refuses calls. */
  pick(now: number = Date.now()): Member | undefined {
    const members = this.members;
    const count = members.length;
    if (count === 1) {
      const only = members[0] as Member;
      return only.breaker.isAvailable(now) ? only : undefined;
    }
    const start = this.cursor;
    this.cursor = (this.cursor + 1) % count;
    let best: Member | undefined;
    for (let offset = 0; offset < count; offset++) {
      const member = members[(start + offset) % count] as Member;
      if (!member.breaker.isAvailable(now)) continue;
      if (this.strategy === 'round-robin') return member;
      if (best === undefined || this.better(member, best)) best = member;
    }
    return best;
  }

  private better(candidate: Member, best: Member): boolean {
    if (this.strategy === 'least-busy') return candidate.inFlight < best.inFlight;
    if (candidate.latencyMs !== best.latencyMs) {
      if (candidate.latencyMs === 0) return true;
      if (best.latencyMs === 0) return false;
      return candidate.latencyMs < best.latencyMs;
    }
    return candidate.inFlight < best.inFlight;
  }
}
