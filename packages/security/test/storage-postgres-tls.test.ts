import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { makeSelfSignedCertificate, startTlsProxy, type TlsProxy } from '../src/testing/index.js';
import { openStorage } from '@llm-lab/storage';

/**
 * PostgreSQL URLs with `sslmode` (and `sslrootcert`) work: storage reaches the local server
 * through a proxy that, like a server with `hostssl` only, answers the SSLRequest with `S`,
 * upgrades to TLS (a self-signed certificate made here), and refuses clients that do not.
 */

const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test');
const skip = process.env.LLM_LAB_SKIP_POSTGRES === '1';
const schema = `llm_lab_tls_${randomBytes(5).toString('hex')}`;

(skip ? describe.skip : describe)('storage on PostgreSQL over TLS', () => {
  let proxy: TlsProxy;
  let caFile: string;
  const through = (query: string) => `postgres://${url.username || 'postgres'}@127.0.0.1:${proxy.port}${url.pathname}?${query}`;

  beforeAll(async () => {
    const certificate = await makeSelfSignedCertificate();
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-pg-tls-'));
    caFile = join(dir, 'root.crt');
    await writeFile(caFile, certificate.cert);
    proxy = await startTlsProxy({ ...certificate, target: { host: url.hostname, port: Number(url.port || 5432) }, protocol: 'postgres' });
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await proxy.close();
  });

  it('connects with sslmode=verify-full and sslrootcert naming the CA, and stores and reads a run', async () => {
    const before = proxy.tlsConnections;
    const storage = await openStorage({ url: through(`sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`), schema });
    try {
      const run = await storage.createRun({ config: { description: 'over tls' }, resolvedConfig: { description: 'over tls' } });
      const listed = await storage.listRuns();
      expect(listed.map((entry) => entry.id)).toContain(run.id);
    } finally {
      await storage.close();
    }
    expect(proxy.tlsConnections).toBeGreaterThan(before);
  });

  it('connects with sslmode=no-verify (encrypted, server not verified)', async () => {
    const storage = await openStorage({ url: through('sslmode=no-verify'), schema });
    try {
      expect(Array.isArray(await storage.listRuns())).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it('refuses a certificate it cannot verify, and a server that demands TLS refuses a plain client', async () => {
    await expect(openStorage({ url: through('sslmode=verify-full'), schema })).rejects.toThrow(/self[- ]signed certificate/);
    const refusedBefore = proxy.refused;
    await expect(openStorage({ url: through('sslmode=disable'), schema })).rejects.toThrow();
    expect(proxy.refused).toBe(refusedBefore + 1);
  });
});
