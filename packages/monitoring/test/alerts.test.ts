import { describe, expect, it } from '@jest/globals';
import { AlertManager, MetricCollector, parseMonitorConfig, type AlertRule } from '../src/index.js';
import { Clock, endEvent, ListChannel, seeded, type RequestEnd } from './live-helpers.js';

/** A collector and an alert manager on one fake clock, and a way to play minutes of traffic. */
function rig(rules: unknown[], alerts: Record<string, unknown> = {}) {
  const clock = new Clock();
  const channel = new ListChannel('ops');
  const config = parseMonitorConfig({ alerts: { rules, ...alerts } });
  const collector = new MetricCollector({ now: clock.now });
  const manager = AlertManager.fromConfig(config, [channel], { now: clock.now });
  manager.attach(collector);
  const play = async (minutes: number, traffic: (minute: number) => Array<Partial<RequestEnd>>) => {
    for (let m = 0; m < minutes; m++) {
      for (const event of traffic(m)) collector.record(endEvent(event));
      clock.nextMinute();
      await collector.tick();
    }
  };
  return { clock, channel, collector, manager, play };
}

const normal = (random: () => number, calls = 20) => () =>
  Array.from({ length: calls }, () => ({ latencyMs: 200 + random() * 60, ...(random() < 0.01 ? { errorKind: 'server' as const } : {}) }));

const latencyRule: AlertRule = { type: 'anomaly', name: 'latency', metric: 'latency_p95', minChange: 1 } as AlertRule;
const errorRule = { type: 'threshold', name: 'errors', metric: 'error_rate', above: 0.1 };

describe('alert incidents', () => {
  it('sends nothing over a day of normal noise', async () => {
    const { channel, play } = rig([latencyRule, errorRule]);
    await play(24 * 60, normal(seeded(7)));
    expect(channel.received).toEqual([]);
  });

  it('fires once when a provider slows down and fails, across rules and routes, and resolves once', async () => {
    const random = seeded(3);
    const { channel, play, manager } = rig([latencyRule, errorRule]);
    await play(60, normal(random));
    // Two routes of one provider both suffer: slow (5x) and 20% failures, for 20 minutes.
    await play(20, () =>
      ['gpt', 'gpt-backup'].flatMap((route) =>
        Array.from({ length: 20 }, () => ({ source: `gateway:${route}`, latencyMs: 1_000 + random() * 300, ...(random() < 0.2 ? { errorKind: 'server' as const } : {}) })),
      ),
    );
    expect(channel.kinds()).toEqual(['firing provider:gpt']);
    expect(channel.received[0]!.text).toMatch(/latency_p95/);
    expect(channel.received[0]!.text).toMatch(/error_rate/);
    expect(manager.open()).toEqual([{ key: 'provider:gpt', state: 'firing', rules: ['latency', 'errors'] }]);
    await play(30, normal(random));
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt']);
    expect(channel.received[1]!.episode).toBe(channel.received[0]!.episode);
  });

  it('does not page for a blip shorter than `for`', async () => {
    const random = seeded(5);
    const { channel, play } = rig([errorRule]);
    await play(10, normal(random));
    await play(1, () => Array.from({ length: 20 }, () => ({ errorKind: 'server' as const, latencyMs: 50 })));
    await play(10, normal(random));
    expect(channel.received).toEqual([]);
  });

  it('keeps a flapping incident to one firing message within the cooldown', async () => {
    const random = seeded(9);
    const { channel, play } = rig([{ ...errorRule, for: '1m', resolveAfter: '1m' }], { cooldown: '1h' });
    const failing = () => Array.from({ length: 20 }, () => ({ errorKind: 'server' as const }));
    for (let i = 0; i < 5; i++) {
      await play(3, failing);
      await play(3, normal(random));
    }
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt']);
  });

  // LiteLLM #3738: an alert per failed request.
  it('sends one message for a thousand failed requests, not one per request', async () => {
    const { channel, play } = rig([errorRule]);
    await play(5, () => Array.from({ length: 1_000 }, () => ({ errorKind: 'server' as const })));
    expect(channel.kinds()).toEqual(['firing provider:gpt']);
  });

  // LiteLLM PR #21683: hundreds of "hanging request" alerts a day.
  it('does not page for the odd hanging request over a day, and pages once for a day of them', async () => {
    const random = seeded(11);
    const p99 = { type: 'threshold', name: 'hanging', metric: 'latency_p99', above: 30_000 };
    const sporadic = rig([p99]);
    // One request in five minutes hangs for ten minutes: about 290 hanging requests in the day.
    await sporadic.play(24 * 60, (m) => [...normal(random)(), ...(m % 5 === 0 ? [{ latencyMs: 600_000 }] : [])]);
    expect(sporadic.channel.received).toEqual([]);
    const steady = rig([p99]);
    // Three of every twenty-three requests hang, all day: one incident, one message.
    await steady.play(24 * 60, () => [...normal(random)(), ...Array.from({ length: 3 }, () => ({ latencyMs: 600_000 }))]);
    expect(steady.channel.kinds()).toEqual(['firing provider:gpt']);
  });

  // LiteLLM #3113: the budget alert repeated on every request once over.
  it('sends one budget message per period however long spending goes on, and a new one next period', async () => {
    const { channel, play } = rig([{ type: 'budget', name: 'daily-spend', limitUsd: 5, period: 'day' }]);
    // $0.02 a call, 20 calls a minute: the $5 budget is spent after 13 minutes; the day goes on to midnight.
    await play(16 * 60, () => Array.from({ length: 20 }, () => ({ costUsd: 0.02 })));
    expect(channel.kinds()).toEqual(['firing budget:daily-spend:2026-12-07']);
    await play(60, () => Array.from({ length: 20 }, () => ({ costUsd: 0.02 })));
    expect(channel.kinds()).toEqual(['firing budget:daily-spend:2026-12-07', 'firing budget:daily-spend:2026-12-08']);
  });

  it('needs minimum volume: a quiet night of a few calls pages nobody', async () => {
    const random = seeded(13);
    const { channel, play } = rig([latencyRule, errorRule]);
    await play(60, normal(random));
    // Two calls a minute, one of them failing and slow: under minCount (10), not judged.
    await play(120, () => [{ latencyMs: 5_000, errorKind: 'server' as const }, { latencyMs: 200 }]);
    expect(channel.received).toEqual([]);
  });

  it('alerts on an open breaker and sends the resolved message once it closes', async () => {
    const { channel, collector, clock, manager } = rig([{ type: 'breaker', name: 'breakers', resolveAfter: '0s' }]);
    const observer = collector.observer();
    const snapshot = { name: 'gpt', state: 'open' as const, consecutiveFailures: 5, windowCalls: 5, windowFailures: 5 };
    observer['breaker-state-change']!({ member: 'gpt', from: 'closed', to: 'open', snapshot });
    observer['breaker-state-change']!({ member: 'gpt', from: 'open', to: 'half-open', snapshot });
    observer['breaker-state-change']!({ member: 'gpt', from: 'half-open', to: 'open', snapshot });
    await collector.tick();
    expect(channel.kinds()).toEqual(['firing breaker:gpt']);
    clock.advance(60_000);
    observer['breaker-state-change']!({ member: 'gpt', from: 'open', to: 'closed', snapshot });
    await collector.tick();
    expect(channel.kinds()).toEqual(['firing breaker:gpt', 'resolved breaker:gpt']);
    expect(manager.open()).toEqual([]);
  });

  it('alerts when a probe score drops below its recent median', async () => {
    const { channel, collector, clock } = rig([{ type: 'probe', name: 'quality', drop: 0.15, for: '0s', resolveAfter: '10m' }]);
    const key = { providerId: 'gpt', provider: 'openai', model: 'gpt-4o-mini', route: 'math' };
    const scores = [0.81, 0.8, 0.82, 0.79, 0.8, 0.81, 0.8, 0.55, 0.5, 0.8, 0.81];
    for (const score of scores) {
      collector.recordProbeScore(key, score);
      clock.advance(10 * 60_000);
      await collector.tick();
    }
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt']);
    expect(channel.received[0]!.text).toMatch(/probe score 55\.0%/);
  });

  it('lists digest-only rules in a daily digest at the configured time, once a day', async () => {
    const { channel, play } = rig([{ ...errorRule, notify: 'digest' }], { digest: { at: '09:00' } });
    await play(30, () => Array.from({ length: 20 }, () => ({ errorKind: 'server' as const })));
    expect(channel.received).toEqual([]);
    await play(60, () => Array.from({ length: 20 }, () => ({})));
    expect(channel.kinds()).toEqual(['digest digest']);
    expect(channel.received[0]!.title).toMatch(/1 incident/);
    expect(channel.received[0]!.text).toMatch(/error_rate/);
    await play(120, () => []);
    expect(channel.received).toHaveLength(1);
  });

  it('refuses a rule that names a missing channel, and a secret written in clear', () => {
    expect(() => parseMonitorConfig({ alerts: { rules: [{ ...errorRule, channels: ['pager'] }] } }, 'mon.yaml')).toThrow(/mon.yaml.*\n.*no channel named pager/);
    expect(() => parseMonitorConfig({ channels: { s: { type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' } } })).toThrow(/channels\.s\.url.*environment variable/);
    expect(() => parseMonitorConfig({ alerts: { for: '5 minutes' } })).toThrow(/alerts\.for.*not a duration/);
  });
});
