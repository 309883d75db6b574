import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { verifyWebhook } from '../src/index.js';

const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const CHILD = fileURLToPath(new URL('./fixtures/monitor-process.mjs', import.meta.url));
const unique = `${process.pid}_${Date.now().toString(36)}`;

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: POSTGRES_URL, REDIS_URL } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Two monitor processes, started together, watching the same incident: the receiver gets each message once. */
describe('two monitor processes', () => {
  let receiver: Server;
  let url = '';
  const received: Array<{ kind: string; ok: boolean }> = [];
  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // The children sign with their simulated clock: check the signature with the same one.
        const signedAt = Number(request.headers['x-llm-lab-timestamp']) * 1000;
        received.push({ kind: (JSON.parse(body) as { kind: string }).kind, ok: verifyWebhook({ body, headers: request.headers, secret: 'two-processes', now: signedAt }).ok });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('with Redis: one firing and one resolved message between them', async () => {
    received.length = 0;
    const prefix = `llm-lab-test:two:${unique}:`;
    const results = await Promise.all([runChild(['redis', prefix, '1', url]), runChild(['redis', prefix, '2', url])]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(received.map((r) => r.kind).sort()).toEqual(['firing', 'resolved']);
    expect(received.every((r) => r.ok)).toBe(true);
    // Each process did judge the incident; the claims decided who spoke.
    const sent = results.map((result) => JSON.parse(result.stdout) as string[]);
    expect(sent.flat().sort()).toEqual(['firing', 'resolved']);
  }, 120_000);

  it('with PostgreSQL: one firing and one resolved message between them', async () => {
    received.length = 0;
    const schema = `monitor_two_${unique}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const results = await Promise.all([runChild(['postgres', schema, '1', url]), runChild(['postgres', schema, '2', url])]);
      for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(received.map((r) => r.kind).sort()).toEqual(['firing', 'resolved']);
      expect(received.every((r) => r.ok)).toBe(true);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  }, 120_000);
});
