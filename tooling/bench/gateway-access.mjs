#!/usr/bin/env node
// The gateway's key check and call record, per call, without the server around them:
//
//   pnpm bench:gateway-access                    (N=200,000 calls, 16 in flight)
//   node tooling/bench/gateway-access.mjs --n 50000 --c 64
//
// Each call is `authenticate` (parse the header, SHA-256, the key table in memory, the limits)
// then `onCallEnd` (charge the cost, queue the traffic record), as the gateway makes them, with:
//   memory  limits in this process
//   redis   limits in Redis (REDIS_URL, default redis://127.0.0.1:6379): one Lua script per call
// Storage is an in-memory stand-in counting what it is given: the request path never reads it
// (the key table is read once), and writes go in the background, so its speed is not measured
// here. Prints one JSON line per mode: wall time, CPU per call, calls per second of wall time.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { benchArgs, root } from './bench-server.mjs';

const args = benchArgs({ n: { type: 'string', default: '200000' }, c: { type: 'string', default: '16' } });
const N = Number(args.n);
const C = Number(args.c);
const { createAccessHooks, generateVirtualKey } = await import(join(root, 'packages', 'gateway', 'dist', 'index.js'));

const made = generateVirtualKey();
const key = {
  id: 'key_bench', name: 'bench', keyHash: made.hash, prefix: made.prefix, createdAt: new Date(), revokedAt: null,
  budgetUsd: 1e9, rpm: 1e9, models: null, spendUsd: 0,
};
const storage = {
  stored: 0,
  listKeys: async () => [key],
  addKeySpend: async () => undefined,
  insertRequests: async (rows) => ((storage.stored += rows.length), rows.length),
};

async function measure(mode) {
  const hooks = createAccessHooks({
    storage,
    ...(mode === 'redis' ? { redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379', redisPrefix: `llm-lab-bench:${randomBytes(4).toString('hex')}:` } : {}),
    log: () => undefined,
  });
  const request = { authorization: `Bearer ${made.key}`, model: 'fast', endpoint: 'chat.completions' };
  const record = { keyId: key.id, keyName: key.name, endpoint: 'chat.completions', route: 'fast', provider: 'openai:gpt-4o-mini', status: 200, latencyMs: 20, overheadMs: 0.1, inputTokens: 12, outputTokens: 30, costUsd: 0.000_02, cacheHit: false, stream: false };
  await hooks.authenticate(request); // the key table's one read
  let next = 0;
  let refused = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        next += 1;
        const result = await hooks.authenticate(request);
        if (!result.ok) refused += 1;
        hooks.onCallEnd({ ...record, time: Date.now() });
      }
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await hooks.close();
  return {
    mode, calls: N, inFlight: C, refused,
    wallS: +(wallMs / 1000).toFixed(2),
    cpuPerCallUs: +(((used.user + used.system) / N)).toFixed(1),
    callsPerS: Math.round(N / (wallMs / 1000)),
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  };
}

for (const mode of ['memory', 'redis']) console.log(JSON.stringify(await measure(mode)));
