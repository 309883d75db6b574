import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GenerateResponse } from '@llm-lab/core';
import { makeSelfSignedCertificate, startTlsProxy, type TlsProxy } from '@llm-lab/security/testing';
import { createRedisCache, createRedisRateLimitStore, isCacheUnavailable, redisConnection } from '../src/index.js';

/**
 * `rediss://` URLs work, with the CA to trust (or verification turned off) given as redis-py's
 * URL parameters: the cache and the shared rate limits reach the local Redis through a TLS proxy
 * holding a self-signed certificate made here.
 */

const target = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');

function answer(text: string): GenerateResponse {
  return { text, finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 }, latencyMs: 12, warnings: [], providerId: 'openai:gpt-4o-mini', model: 'gpt-4o-mini' };
}

describe('Redis over TLS (rediss://)', () => {
  let proxy: TlsProxy;
  let caFile: string;
  const prefix = `llm-lab-test:tls:${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    const certificate = await makeSelfSignedCertificate();
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-redis-tls-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certificate.cert);
    proxy = await startTlsProxy({ ...certificate, target: { host: target.hostname, port: Number(target.port || 6379) } });
  });
  afterAll(() => proxy.close());

  it('caches through TLS when ssl_ca_certs names the CA', async () => {
    const before = proxy.tlsConnections;
    const cache = createRedisCache({ url: `rediss://127.0.0.1:${proxy.port}/0?ssl_ca_certs=${encodeURIComponent(caFile)}`, keyPrefix: prefix });
    try {
      await cache.set('k', answer('over tls'), 60_000);
      expect((await cache.get('k'))?.text).toBe('over tls');
      await cache.clear();
    } finally {
      await cache.close();
    }
    expect(proxy.tlsConnections).toBe(before + 1);
  });

  it('with ssl_cert_reqs=none, connects without verifying; the shared rate limits work too', async () => {
    const store = createRedisRateLimitStore({ url: `rediss://127.0.0.1:${proxy.port}?ssl_cert_reqs=none`, keyPrefix: prefix, now: () => 1_000 });
    try {
      // A full bucket admits the call at once (0 ms to wait).
      expect(await store.acquire('p', [{ name: 'rpm', perMinute: 60, burstSeconds: 1, amount: 1 }])).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('does not trust a self-signed certificate without its CA: the cache says why it is unavailable', async () => {
    const cache = createRedisCache({ url: `rediss://127.0.0.1:${proxy.port}`, keyPrefix: prefix, maxConnectAttempts: 1 });
    try {
      const error = await cache.get('k').catch((caught: unknown) => caught);
      expect(isCacheUnavailable(error)).toBe(true);
      expect((error as Error).message).toMatch(/self[- ]signed certificate/);
    } finally {
      await cache.close();
    }
  });

  it('reads the TLS parameters and refuses them on a plain redis:// URL', () => {
    const connection = redisConnection(`rediss://:pw@host:6380/2?ssl_ca_certs=${encodeURIComponent(caFile)}&ssl_check_hostname=false`);
    expect(connection.url).toBe('rediss://:pw@host:6380/2');
    expect(connection.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(() => redisConnection('redis://host?ssl_cert_reqs=none')).toThrow('ssl_cert_reqs in a Redis URL needs TLS: write rediss:// instead of redis://.');
    expect(() => redisConnection('rediss://host?ssl_ca_certs=/no/such.pem')).toThrow('ssl_ca_certs=/no/such.pem in the Redis URL cannot be read (ENOENT). Give a PEM file.');
  });
});
