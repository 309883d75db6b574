import type { ManagerEvents } from '@llm-lab/provider-manager';
import type { Notification, NotificationChannel } from '../src/index.js';
import { seededRandom } from '@llm-lab/provider-testkit';

/** A clock the test moves; starts on a minute boundary. */
export class Clock {
  constructor(public time = Date.UTC(2026, 11, 7, 8, 0, 0)) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
  /** Moves to the start of the next minute. */
  nextMinute(): void {
    this.time = (Math.floor(this.time / 60_000) + 1) * 60_000;
  }
}

export type RequestEnd = ManagerEvents['request-end'];

let ids = 0;
/** A `request-end` event as the provider manager emits it. */
export function endEvent(overrides: Partial<RequestEnd> = {}): RequestEnd {
  return {
    requestId: `r${++ids}`,
    source: 'gateway:gpt',
    providerId: 'gpt',
    provider: 'openai',
    model: 'gpt-4o-mini',
    stream: false,
    latencyMs: 100,
    cached: false,
    attempts: 1,
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    costUsd: 0.001,
    ...overrides,
  };
}

/** A channel that keeps what it is sent (the test's receiver). */
export class ListChannel implements NotificationChannel {
  readonly received: Notification[] = [];
  constructor(readonly name = 'list') {}
  async send(notification: Notification): Promise<void> {
    this.received.push(notification);
  }
  kinds(): string[] {
    return this.received.map((n) => `${n.kind} ${n.key}`);
  }
}

/** A seeded generator (the testkit's mulberry32), for reproducible noise. */
export const seeded = seededRandom;
