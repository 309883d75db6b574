import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { registerSecret, type GenerateResponse } from '@llm-lab/core';
import { Redis } from 'ioredis';
import { createDiskCache, createMemoryCache, createRedisCache, type ResponseCache } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const here = dirname(fileURLToPath(import.meta.url));
const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cache-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function answer(text: string): GenerateResponse {
  return {
    text,
    finishReason: 'stop',
    usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
    latencyMs: 12,
    warnings: [],
    providerId: 'openai:gpt-4o-mini',
    model: 'gpt-4o-mini',
    answeredBy: 'openai:gpt-4o-mini',
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const factories: Array<[string, () => Promise<ResponseCache>]> = [
  ['memory', async () => createMemoryCache()],
  ['disk', async () => createDiskCache({ dir: await tempDir() })],
  ['redis', async () => createRedisCache({ url: REDIS_URL, keyPrefix: `llm-lab-test:${randomBytes(6).toString('hex')}:` })],
];

describe.each(factories)('%s cache: the ResponseCache contract', (_kind, make) => {
  it('keeps no registered secret: an answer quoting the key it was sent is stored without it', async () => {
    const secret = 'cache-test-secret-value-0042';
    registerSecret(secret);
    const cache = await make();
    try {
      const live: GenerateResponse = { ...answer(`your key is ${secret}`), warnings: [{ type: 'other', message: `sent ${secret}` }] };
      await cache.set('quoted', live);
      // The caller's answer is its own; what the cache keeps (and serves) is redacted.
      expect(live.text).toBe(`your key is ${secret}`);
      const read = await cache.get('quoted');
      expect(read?.text).toBe('your key is [REDACTED]');
      expect(read?.warnings).toEqual([{ type: 'other', message: 'sent [REDACTED]' }]);
    } finally {
      await cache.clear();
      await cache.close();
    }
  });

  it('stores, reads, deletes and clears answers; strips per-call marks', async () => {
    const cache = await make();
    try {
      expect(await cache.get('a')).toBeUndefined();
      await cache.set('a', { ...answer('one'), cached: true, attempts: 3, queueMs: 40 });
      await cache.set('b', answer('two'));
      const read = await cache.get('a');
      expect(read?.text).toBe('one');
      expect(read?.answeredBy).toBe('openai:gpt-4o-mini');
      expect(read).not.toHaveProperty('cached');
      expect(read).not.toHaveProperty('attempts');
      expect(read).not.toHaveProperty('queueMs');
      await cache.set('a', answer('one, again'));
      expect((await cache.get('a'))?.text).toBe('one, again');
      await cache.delete('a');
      expect(await cache.get('a')).toBeUndefined();
      expect((await cache.get('b'))?.text).toBe('two');
      await cache.clear();
      expect(await cache.get('b')).toBeUndefined();
    } finally {
      await cache.clear();
      await cache.close();
    }
  });

  it('expires entries after their TTL and keeps entries without one', async () => {
    const cache = await make();
    try {
      // Milliseconds, not seconds: 60 ms is long gone after 200 ms, a minute is not. (Reading 'short'
      // back before it expires would race its 60 ms on a busy machine; 'minute' shows a TTL'd entry is kept.)
      await cache.set('short', answer('short'), 60);
      await cache.set('minute', answer('minute'), 60_000);
      await cache.set('forever', answer('forever'));
      await sleep(200);
      expect(await cache.get('short')).toBeUndefined();
      expect((await cache.get('minute'))?.text).toBe('minute');
      expect((await cache.get('forever'))?.text).toBe('forever');
    } finally {
      await cache.clear();
      await cache.close();
    }
  });
});

describe('memory cache bounds', () => {
  it('evicts the least recently used entry past maxEntries', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.set('a', answer('a'));
    await cache.set('b', answer('b'));
    await cache.get('a'); // a is now more recent than b
    await cache.set('c', answer('c'));
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.text).toBe('a');
    expect((await cache.get('c'))?.text).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('evicts past maxBytes and never keeps an entry larger than the bound', async () => {
    const cache = createMemoryCache({ maxBytes: 4000 });
    await cache.set('a', answer('x'.repeat(1000)));
    await cache.set('b', answer('y'.repeat(1000)));
    expect(await cache.get('a')).toBeUndefined();
    expect(cache.sizeBytes).toBeLessThanOrEqual(4000);
    await cache.set('huge', answer('z'.repeat(10_000)));
    expect(await cache.get('huge')).toBeUndefined();
  });
});

describe('disk cache', () => {
  it('survives a restart: a new instance on the same folder reads what the last one wrote', async () => {
    const dir = await tempDir();
    const first = createDiskCache({ dir });
    await first.set('k1', answer('persisted'));
    await first.set('k2', answer('deleted later'));
    await first.delete('k2');
    await first.close();
    const second = createDiskCache({ dir });
    expect((await second.get('k1'))?.text).toBe('persisted');
    expect(await second.get('k2')).toBeUndefined();
    await second.close();
  });

  it('answers the same from segments kept in memory and from segments past the memory budget', async () => {
    const dir = await tempDir();
    for (const run of [0, 1, 2]) {
      const writer = createDiskCache({ dir });
      for (let index = 0; index < 20; index++) await writer.set(`run${run}-${index}`, answer(`run ${run} answer ${index}`));
      await writer.close();
    }
    const sizes = await Promise.all((await readdir(dir)).sort().map(async (name) => (await stat(join(dir, name))).size));
    // Room for the first segment only: the other two are read line by line from their files.
    for (const residentBytes of [0, sizes[0] as number, 1024 * 1024]) {
      const reader = createDiskCache({ dir, residentBytes });
      for (const run of [0, 1, 2]) {
        for (const index of [0, 19]) expect((await reader.get(`run${run}-${index}`))?.text).toBe(`run ${run} answer ${index}`);
      }
      await reader.close();
    }
  });

  it('batches writes: they reach the disk after the flush interval, not per call', async () => {
    const dir = await tempDir();
    const cache = createDiskCache({ dir, flushIntervalMs: 10_000 });
    for (let index = 0; index < 50; index++) await cache.set(`k${index}`, answer(`v${index}`));
    expect((await readdir(dir)).length).toBe(0); // nothing written yet, still readable from memory
    expect((await cache.get('k7'))?.text).toBe('v7');
    await cache.flush();
    expect((await readdir(dir)).length).toBe(1);
    expect((await cache.get('k7'))?.text).toBe('v7'); // now read from the file at its offset
    await cache.close();
  });

  it('is safe with two processes writing the same folder, and skips a torn last line', async () => {
    const dir = await tempDir();
    const writer = createDiskCache({ dir });
    const child = `
      const { createDiskCache } = await import(${JSON.stringify(resolve(here, '../dist/index.js'))});
      const cache = createDiskCache({ dir: ${JSON.stringify(dir)} });
      for (let i = 0; i < 200; i++) await cache.set('child-' + i, { text: 'from the child ' + i, finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, latencyMs: 1, warnings: [], providerId: 'p:m', model: 'm' });
      await cache.close();
    `;
    const childRun = promisify(execFile)(process.execPath, ['--input-type=module', '-e', child]);
    for (let index = 0; index < 200; index++) await writer.set(`parent-${index}`, answer(`from the parent ${index}`));
    await childRun;
    await writer.close();
    const segments = await readdir(dir);
    expect(segments.length).toBe(2);
    await appendFile(join(dir, segments[0] as string), 'parent-torn\t0\t{"text":"cut sho');
    const reader = createDiskCache({ dir });
    for (const index of [0, 99, 199]) {
      expect((await reader.get(`parent-${index}`))?.text).toBe(`from the parent ${index}`);
      expect((await reader.get(`child-${index}`))?.text).toBe(`from the child ${index}`);
    }
    expect(await reader.get('parent-torn')).toBeUndefined();
    await reader.clear();
    expect(await reader.get('parent-0')).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
    await reader.close();
  });
});

describe('redis cache', () => {
  it('keeps projects apart by key prefix and clears only its own keys', async () => {
    const prefixA = `llm-lab-test:${randomBytes(6).toString('hex')}:`;
    const prefixB = `llm-lab-test:${randomBytes(6).toString('hex')}:`;
    const a = createRedisCache({ url: REDIS_URL, keyPrefix: prefixA });
    const b = createRedisCache({ url: REDIS_URL, keyPrefix: prefixB });
    const raw = new Redis(REDIS_URL);
    try {
      await a.set('same-key', answer('from a'), 60_000);
      await b.set('same-key', answer('from b'));
      expect((await a.get('same-key'))?.text).toBe('from a');
      expect((await b.get('same-key'))?.text).toBe('from b');
      const ttl = await raw.pttl(`${prefixA}same-key`);
      expect(ttl).toBeGreaterThan(50_000);
      await a.clear();
      expect(await a.get('same-key')).toBeUndefined();
      expect((await b.get('same-key'))?.text).toBe('from b');
    } finally {
      await a.clear();
      await b.clear();
      await a.close();
      await b.close();
      raw.disconnect();
    }
  });

  it('rejects (so the manager can treat it as a miss) when Redis is unreachable', async () => {
    const cache = createRedisCache({ url: 'redis://127.0.0.1:1', keyPrefix: 'unreachable:', commandTimeoutMs: 300 });
    await expect(cache.get('k')).rejects.toThrow();
    await cache.close();
  });
});
