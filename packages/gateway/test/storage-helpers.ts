import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStorage, type Storage } from '@llm-lab/storage';

export const POSTGRES_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
/** PGlite's first start can take tens of seconds on a busy machine: a safety net, not a measure. */
export const STORAGE_TIMEOUT_MS = 300_000;

export interface Backend {
  name: string;
  open(): Promise<Storage>;
  cleanup(): Promise<void>;
}

/** The embedded database in a fresh folder, and PostgreSQL in a fresh schema: each test file opens each once. */
export function backends(): Backend[] {
  const folder = mkdtempSync(join(tmpdir(), 'llm-lab-gateway-'));
  const schema = `llm_lab_gw_${randomBytes(5).toString('hex')}`;
  return [
    {
      name: 'PGlite',
      open: () => openStorage({ dataDir: join(folder, 'db'), env: {} }),
      cleanup: async () => rmSync(folder, { recursive: true, force: true }),
    },
    {
      name: 'PostgreSQL',
      open: () => openStorage({ url: POSTGRES_URL, schema }),
      cleanup: async () => {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    },
  ];
}

/** A unique Redis key prefix per test, so tests never share counters. */
export function redisPrefix(label: string): string {
  return `llm-lab-test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** A clock tests move by hand. */
export function fakeClock(start = 1_800_000_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}
