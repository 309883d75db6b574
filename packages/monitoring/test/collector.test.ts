import { describe, expect, it } from '@jest/globals';
import { MetricCollector, gatewaySource, metricValue, parseSource, type MetricBucket } from '../src/index.js';
import { Clock, endEvent } from './live-helpers.js';

describe('MetricCollector', () => {
  it('keeps one bucket per series and minute and hands it over once the minute is over', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    const closed: MetricBucket[][] = [];
    collector.onBucket((buckets) => void closed.push(buckets));
    const observer = collector.observer();
    for (let i = 1; i <= 100; i++) observer['request-end']!(endEvent({ latencyMs: i, costUsd: 0.01 }));
    observer['request-end']!(endEvent({ errorKind: 'server', latencyMs: 500 }));
    observer['request-end']!(endEvent({ source: gatewaySource('gpt', 'team a'), cached: true, latencyMs: 1 }));
    clock.advance(59_999);
    expect(await collector.tick()).toEqual([]);
    clock.advance(1);
    const buckets = await collector.tick();
    expect(closed).toHaveLength(1);
    expect(buckets.map((b) => [b.route, b.key, b.count])).toEqual([
      ['gpt', '', 101],
      ['gpt', 'team a', 1],
    ]);
    const [plain, keyed] = buckets as [MetricBucket, MetricBucket];
    expect(plain.start).toBe(Date.UTC(2026, 11, 7, 8, 0));
    expect(metricValue(plain, 'error_rate')).toBeCloseTo(1 / 101);
    expect(metricValue(plain, 'latency_p50')).toBeGreaterThan(49);
    expect(metricValue(plain, 'latency_p50')).toBeLessThan(53);
    expect(metricValue(plain, 'latency_p99')).toBeGreaterThan(98);
    expect(metricValue(plain, 'cost_usd')).toBeCloseTo(1.001);
    expect(metricValue(plain, 'tokens_in')).toBe(1010);
    expect(metricValue(keyed, 'cache_hit_rate')).toBe(1);
    expect(await collector.tick()).toEqual([]);
  });

  it('does its work in the listener itself: nothing is awaited, nothing is left running', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    let closed = 0;
    collector.onBucket((buckets) => void (closed += buckets.length));
    const listener = collector.observer()['request-end']!;
    expect(listener(endEvent())).toBeUndefined();
    // Counted before the listener returned: no promise, no queue to drain.
    expect(collector.openSeries()).toBe(1);
    clock.nextMinute();
    await collector.tick();
    expect(closed).toBe(1);
  });

  it('hands buckets to every sink even when one of them fails, then reports the failure', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    const seen: number[] = [];
    collector.onBucket(() => {
      throw new Error('the store is down');
    });
    collector.onBucket((buckets) => void seen.push(buckets.length));
    collector.record(endEvent());
    clock.nextMinute();
    await expect(collector.tick()).rejects.toThrow('the store is down');
    expect(seen).toEqual([1]);
  });

  it('tells run, probe and gateway calls apart by their source', () => {
    expect(parseSource('gateway:gpt-4o')).toEqual({ source: 'gateway', route: 'gpt-4o', key: '' });
    expect(parseSource(gatewaySource('openai:gpt-4o', 'a?key=b'))).toEqual({ source: 'gateway', route: 'openai:gpt-4o', key: 'a?key=b' });
    expect(parseSource('run:20261207-abc')).toEqual({ source: 'run', route: '', key: '' });
    expect(parseSource('probe:nightly-math')).toEqual({ source: 'probe', route: 'nightly-math', key: '' });
    expect(parseSource(undefined).source).toBe('run');
  });

  it('records probe scores as their own series and refuses a score outside [0, 1]', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    const key = { providerId: 'gpt', provider: 'openai', model: 'gpt-4o-mini', route: 'math' };
    collector.recordProbeScore(key, 0.8);
    collector.recordProbeScore(key, 0.6);
    expect(() => collector.recordProbeScore(key, 80)).toThrow(/not in \[0, 1\]/);
    clock.nextMinute();
    const [bucket] = await collector.tick();
    expect(bucket!.source).toBe('probe');
    expect(metricValue(bucket!, 'probe_score')).toBeCloseTo(0.7);
  });

  it('stops opening series past maxSeries in a minute and counts what it dropped', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now, maxSeries: 3 });
    for (let i = 0; i < 10; i++) collector.record(endEvent({ source: gatewaySource('gpt', `key${i}`) }));
    expect(collector.openSeries()).toBe(3);
    expect(collector.dropped).toBe(7);
  });

  it('passes breaker changes on at the next tick, stamped with its clock', async () => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    const seen: string[] = [];
    collector.onBreaker((changes) => void seen.push(...changes.map((c) => `${c.member} ${c.to} ${c.at}`)));
    const snapshot = { name: 'gpt', state: 'open' as const, consecutiveFailures: 5, windowCalls: 5, windowFailures: 5 };
    collector.observer()['breaker-state-change']!({ member: 'gpt', from: 'closed', to: 'open', snapshot });
    expect(seen).toEqual([]);
    await collector.tick();
    expect(seen).toEqual([`gpt open ${clock.time}`]);
  });
});
