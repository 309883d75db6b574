import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mapConcurrent } from '@llm-lab/core';
import { createProviderManager, createRedisCache, isCacheUnavailable, MAX_CONSECUTIVE_CACHE_FAILURES, type ManagerEvents, type ResponseCache } from '../src/index.js';
import { ask, chatRequests, closeServers, openaiAt, startServer } from './helpers.js';

afterEach(closeServers);
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cache-fallback-'));
  dirs.push(dir);
  return dir;
}

/** A port on 127.0.0.1 that nothing listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Counts TCP connection attempts this process makes to `port` (every client socket, whoever opens it). */
function countConnections(port: number): { readonly count: number; stop(): void } {
  let count = 0;
  const onSocket = (message: unknown) => {
    (message as { socket: Socket }).socket.on('connectionAttempt', (_ip: string, attemptPort: number) => {
      if (attemptPort === port) count += 1;
    });
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  return {
    get count() {
      return count;
    },
    stop: () => diagnostics.unsubscribe('net.client.socket', onSocket),
  };
}

describe('a Redis cache that cannot be reached', () => {
  it('fails fast after one connection attempt, warns once, and the calls go on with the disk cache', async () => {
    const port = await closedPort();
    const connections = countConnections(port);
    const server = await startServer();
    const dir = await tempDir();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: { kind: 'redis', url: `redis://127.0.0.1:${port}`, dir } });
    const unavailable: Array<ManagerEvents['cache-unavailable']> = [];
    manager.on('cache-unavailable', (event) => unavailable.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    try {
      const responses = await mapConcurrent(Array.from({ length: 100 }, (_, index) => index), 8, (index) => provider.generate(ask(`case ${index}`)));
      expect(responses.map((response) => response.text)).toEqual(Array.from({ length: 100 }, (_, index) => `case ${index}`));
      expect(chatRequests(server)).toBe(100);

      expect(unavailable).toHaveLength(1);
      expect(unavailable[0]?.message).toBe(
        `the Redis cache at redis://127.0.0.1:${port} cannot be reached (connect ECONNREFUSED 127.0.0.1:${port}); this run goes on with the disk cache in ${dir}.`,
      );
      expect(unavailable[0]?.fallback).toBe(`disk:${dir}`);
      expect(manager.cache?.name).toBe(`disk:${dir}`);
      // Redis was tried once, not once per call.
      expect(connections.count).toBe(1);

      // The disk cache took over: a repeated question is answered from it.
      await provider.generate(ask('after the switch'));
      const again = await provider.generate(ask('after the switch'));
      expect(again.cached).toBe(true);
      expect(chatRequests(server)).toBe(101);
      expect(connections.count).toBe(1);
    } finally {
      connections.stop();
      await manager.close();
    }
    expect((await readdir(dir)).some((name) => name.endsWith('.log'))).toBe(true);
  });

  it('without a dir, the calls go on without a cache', async () => {
    const port = await closedPort();
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: { kind: 'redis', url: `redis://127.0.0.1:${port}` } });
    const unavailable: Array<ManagerEvents['cache-unavailable']> = [];
    manager.on('cache-unavailable', (event) => unavailable.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate(ask('one'));
    await provider.generate(ask('one'));
    expect(chatRequests(server)).toBe(2);
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]?.message).toMatch(/; this run goes on without a response cache\.$/);
    expect(manager.cache).toBeUndefined();
    await manager.close();
  });

  it('the cache itself fails every operation at once once it gave up', async () => {
    const port = await closedPort();
    const connections = countConnections(port);
    const cache = createRedisCache({ url: `redis://127.0.0.1:${port}` });
    try {
      const errors = await Promise.all(Array.from({ length: 20 }, (_, index) => cache.get(`k${index}`).then(() => undefined, (error: unknown) => error)));
      expect(errors.every(isCacheUnavailable)).toBe(true);
      expect(await cache.set('k', { text: '', finishReason: 'stop', usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, latencyMs: 0, warnings: [], providerId: 'p:m', model: 'm' }).catch(isCacheUnavailable)).toBe(true);
      expect(connections.count).toBe(1);
    } finally {
      connections.stop();
      await cache.close();
    }
  });
});

describe('any cache that keeps failing', () => {
  it(`is given up after ${MAX_CONSECUTIVE_CACHE_FAILURES} failures in a row, with one event`, async () => {
    let operations = 0;
    const fail = () => {
      operations += 1;
      return Promise.reject(new Error('disk full'));
    };
    const failing: ResponseCache = { name: 'failing', get: fail, set: fail, delete: fail, clear: fail, close: async () => undefined };
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: failing, singleFlight: false });
    const unavailable: Array<ManagerEvents['cache-unavailable']> = [];
    manager.on('cache-unavailable', (event) => unavailable.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    for (let index = 0; index < 10; index++) await provider.generate(ask(`q${index}`));
    expect(unavailable.map((event) => event.message)).toEqual([
      `the response cache failing failed ${MAX_CONSECUTIVE_CACHE_FAILURES} times in a row (last: disk full); this run goes on without a response cache.`,
    ]);
    expect(operations).toBe(MAX_CONSECUTIVE_CACHE_FAILURES);
  });
});

describe('a Redis cache whose server goes away during the run', () => {
  it('misses while it reconnects, stops after maxConnectAttempts attempts in a row, and warns once', async () => {
    // A TCP proxy to the real Redis, closed half-way through to take Redis away.
    const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = createConnection(Number(redis.port || 6379), redis.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const connections = countConnections(port);
    const server = await startServer();
    const manager = createProviderManager({
      providers: [openaiAt(server)],
      cache: { kind: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: `llm-lab-test:gone:${process.pid}:${Date.now()}:` },
    });
    const unavailable: Array<ManagerEvents['cache-unavailable']> = [];
    manager.on('cache-unavailable', (event) => unavailable.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    try {
      await provider.generate(ask('stored in Redis'));
      await new Promise((done) => setTimeout(done, 50)); // the write goes out
      expect((await provider.generate(ask('stored in Redis'))).cached).toBe(true);

      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      // Calls go on (as misses) until the cache gives up; then without it.
      for (let index = 0; unavailable.length === 0; index++) {
        expect((await provider.generate(ask(`while away ${index}`))).text).toBe(`while away ${index}`);
      }
      for (let index = 0; index < 20; index++) await provider.generate(ask(`after ${index}`));
      expect(unavailable).toHaveLength(1);
      // Given up after 3 attempts to reconnect, or after 5 failed lookups and writes in a row, whichever came first.
      const unreachable = `the Redis cache at redis://127\\.0\\.0\\.1:${port} cannot be reached \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`;
      expect(unavailable[0]?.message).toMatch(
        new RegExp(`^(${unreachable} after 3 connection attempts in a row|the response cache redis:.* failed 5 times in a row \\(last: ${unreachable}\\)); this run goes on without a response cache\\.$`),
      );
      // The first connection, then at most 3 attempts to reconnect; none once given up.
      expect(connections.count).toBeGreaterThanOrEqual(2);
      expect(connections.count).toBeLessThanOrEqual(4);
      const attempts = connections.count;
      await new Promise((done) => setTimeout(done, 1_000));
      await provider.generate(ask('much later'));
      expect(connections.count).toBe(attempts);
    } finally {
      connections.stop();
      await manager.close();
    }
  }, 20_000);
});
