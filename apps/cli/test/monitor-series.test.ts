import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucketSink, emptyBucket } from '@llm-lab/monitoring';
import { openStorage } from '@llm-lab/storage';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-lab-monitor-series-'));
const dataDir = join(dir, 'db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Generous: each test spawns the CLI, which opens the embedded database. */
const TIMEOUT_MS = 180_000;
const MINUTE = 60_000;

// Two minutes of calls to `fast` (a gateway route) a few minutes ago, and one of another route.
const minute = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE;
beforeAll(async () => {
  const storage = await openStorage({ dataDir, env: {} });
  try {
    const sink = createBucketSink(storage, { flushEvery: 0 });
    const key = { source: 'gateway' as const, providerId: 'fast', provider: 'openai', model: 'gpt-4o-mini', route: 'fast', key: '' };
    const first = emptyBucket(key, minute);
    for (const latency of [100, 120, 140, 2_000]) first.latency.accept(latency);
    Object.assign(first, { count: 4, errors: { timeout: 1 }, costUsd: 0.02 });
    const second = emptyBucket(key, minute + MINUTE);
    second.latency.accept(300);
    Object.assign(second, { count: 1, costUsd: 0.01 });
    const other = emptyBucket({ ...key, providerId: 'smart', route: 'smart' }, minute);
    other.latency.accept(50);
    other.count = 1;
    [first, second, other].forEach((bucket) => sink.write(bucket));
    await sink.close();
  } finally {
    await storage.close();
  }
}, TIMEOUT_MS);

describe('llm-lab monitor series', () => {
  it('prints one metric of one provider per minute as JSON', async () => {
    const result = await runCli(['monitor', 'series', 'error_rate', '--provider', 'fast', '--since', '1h', '--json', '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { metric: string; step: string; provider: string; points: Array<{ start: string; value: number; count: number }> };
    expect(answer).toMatchObject({ metric: 'error_rate', step: '1m', provider: 'fast' });
    expect(answer.points).toEqual([
      { start: new Date(minute).toISOString(), value: 0.25, count: 4 },
      { start: new Date(minute + MINUTE).toISOString(), value: 0, count: 1 },
    ]);
  }, TIMEOUT_MS);

  it('prints a table for people, and 1-hour points for a week', async () => {
    const table = await runCli(['monitor', 'series', 'latency_p50', '--provider', 'fast', '--since', '2h', '--data-dir', dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('latency_p50 (median latency, ms) of fast, 1-minute points');
    expect(table.stdout).toMatch(/Minute \(UTC\)\s+latency_p50\s+Calls/);
    // The median of 100, 120, 140 and 2000 ms (the sketch's rank, within its 1%), then the one 300 ms call.
    expect(table.stdout).toMatch(/ (119|120|121) ms\s+4\n.* (297|298|299|300|301|302|303) ms\s+1\n/);
    expect(table.stdout).toContain('2 points; minutes without calls have none.');
    const week = await runCli(['monitor', 'series', 'count', '--provider', 'openai', '--source', 'gateway', '--since', '7d', '--json', '--data-dir', dataDir]);
    expect(week.code).toBe(0);
    const answer = JSON.parse(week.stdout) as { step: string; points: Array<{ value: number }> };
    expect(answer.step).toBe('1h');
    expect(answer.points.reduce((sum, point) => sum + point.value, 0)).toBe(6);
  }, TIMEOUT_MS);

  it('refuses an unknown metric (listing the valid ones), a bad --since and a bad --source', async () => {
    const metric = await runCli(['monitor', 'series', 'latency_p90', '--provider', 'fast', '--data-dir', dataDir]);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain('unknown metric "latency_p90"; give one of: count, errors, error_rate, latency_p50, latency_p95, latency_p99');
    const since = await runCli(['monitor', 'series', 'count', '--provider', 'fast', '--since', 'yesterday', '--data-dir', dataDir]);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "yesterday" is not a duration: give a number and a unit, e.g. 30s, 90m, 24h, 7d or 2w');
    const source = await runCli(['monitor', 'series', 'count', '--provider', 'fast', '--source', 'batch', '--data-dir', dataDir]);
    expect(source.code).toBe(2);
    expect(source.stderr).toContain('--source "batch" is not one of gateway, run, probe');
  }, TIMEOUT_MS);
});
