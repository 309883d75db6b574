import { afterAll, describe, expect, it } from '@jest/globals';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AlertManager, MetricCollector, openClaimStore, parseMonitorConfig, PostgresClaimStore, RedisClaimStore, type ClaimStore } from '../src/index.js';
import { Clock, endEvent, ListChannel, seeded } from './live-helpers.js';

const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const unique = `${process.pid}_${Date.now().toString(36)}`;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const config = parseMonitorConfig({
  alerts: {
    rules: [
      { type: 'threshold', name: 'errors', metric: 'error_rate', above: 0.1 },
      { type: 'budget', name: 'spend', limitUsd: 1, period: 'day' },
    ],
  },
});

/**
 * Two monitor processes' worth of collector and alert manager, each with its own connection to the
 * claim store and its own clock, seeing the same traffic: every message must reach the channel once.
 */
async function twoMonitors(stores: [ClaimStore, ClaimStore]) {
  const channel = new ListChannel('ops');
  const monitors = stores.map((claims, index) => {
    const clock = new Clock();
    const collector = new MetricCollector({ now: clock.now });
    const manager = AlertManager.fromConfig(config, [channel], { now: clock.now, claims, onError: (error) => { throw error; } });
    manager.attach(collector);
    return { clock, collector, manager, random: seeded(index + 1) };
  });
  const play = async (minutes: number, failRate: number) => {
    for (let m = 0; m < minutes; m++) {
      // Each process sees its own share of calls (two gateways behind a load balancer), with their own noise.
      await Promise.all(
        monitors.map(async ({ clock, collector, random }) => {
          for (let i = 0; i < 20; i++) collector.record(endEvent({ costUsd: 0.001, ...(random() < failRate ? { errorKind: 'server' } : {}) }));
          clock.nextMinute();
          await collector.tick();
        }),
      );
    }
  };
  await play(10, 0);
  await play(10, 0.5);
  await play(10, 0);
  // The budget ($1 at 40 calls a minute of $0.001 = 25 minutes) is spent too.
  await play(30, 0);
  return channel;
}

describe('several monitor processes send each message once', () => {
  it('with Redis SET NX', async () => {
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const prefix = `llm-lab-test:alerts:${unique}:`;
    cleanups.push(async () => {
      const keys = await clients[0]!.keys(`${prefix}*`);
      if (keys.length > 0) await clients[0]!.del(...keys);
      await Promise.all(clients.map((client) => client.quit()));
    });
    const channel = await twoMonitors([new RedisClaimStore(clients[0]!, prefix), new RedisClaimStore(clients[1]!, prefix)]);
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt', 'firing budget:spend:2026-12-07']);
  });

  it('with a PostgreSQL table with a unique (dedup key, transition)', async () => {
    const schema = `monitor_claims_${unique}`;
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pools = [new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }), new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })];
    cleanups.push(async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    });
    const table = `${schema}.monitor_alert_claims`;
    // One clock for the claims' expiry: the monitors' clocks move together.
    const clock = new Clock();
    const stores: [ClaimStore, ClaimStore] = [new PostgresClaimStore(pools[0]!, { table, now: clock.now }), new PostgresClaimStore(pools[1]!, { table, now: clock.now })];
    const channel = await twoMonitors(stores);
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt', 'firing budget:spend:2026-12-07']);
    const rows = await admin.query(`SELECT dedup_key, transition FROM ${table} ORDER BY claimed_at`);
    expect(rows.rows.map((row) => row.transition)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('with the table in PGlite (the embedded database)', async () => {
    const db = new PGlite();
    cleanups.push(() => db.close());
    const clock = new Clock();
    const store = new PostgresClaimStore(db, { now: clock.now });
    const channel = await twoMonitors([store, store]);
    expect(channel.kinds()).toEqual(['firing provider:gpt', 'resolved provider:gpt', 'firing budget:spend:2026-12-07']);
  });

  it('lets a firing message be claimed again once its cooldown is over, not before', async () => {
    const db = new PGlite();
    cleanups.push(() => db.close());
    const clock = new Clock();
    const store = new PostgresClaimStore(db, { now: clock.now });
    expect(await store.claim('provider:gpt', 'firing', 'a', 60_000)).toEqual({ won: true, value: 'a' });
    expect(await store.claim('provider:gpt', 'firing', 'b', 60_000)).toEqual({ won: false, value: 'a' });
    clock.advance(60_000);
    expect(await store.claim('provider:gpt', 'firing', 'c', 60_000)).toEqual({ won: true, value: 'c' });
    expect(() => new PostgresClaimStore(db, { table: 'claims; drop table x' })).toThrow(/not a plain SQL name/);
  });

  it('are chosen by the environment: REDIS_URL, else DATABASE_URL (in LLM_LAB_DB_SCHEMA), else memory', async () => {
    const memory = await openClaimStore({});
    expect(memory.kind).toBe('memory');
    const redis = await openClaimStore({ REDIS_URL, LLM_LAB_ALERTS_REDIS_PREFIX: `llm-lab-test:env:${unique}:` });
    expect(redis.kind).toBe('redis');
    expect((await redis.claim('k', 'firing', 'v', 1_000)).won).toBe(true);
    await redis.close();
    const schema = `monitor_env_${unique}`;
    const postgres = await openClaimStore({ DATABASE_URL: POSTGRES_URL, LLM_LAB_DB_SCHEMA: schema });
    expect(postgres.kind).toBe('postgres');
    expect((await postgres.claim('k', 'firing', 'v', 1_000)).won).toBe(true);
    await postgres.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const rows = await admin.query(`SELECT value FROM ${schema}.monitor_alert_claims`);
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    expect(rows.rows).toEqual([{ value: 'v' }]);
  });
});
