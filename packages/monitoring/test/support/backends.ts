import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, type Storage } from '@llm-lab/storage';
import pg from 'pg';

/**
 * The two storage backends the time-series store runs on: embedded PGlite (a temporary folder)
 * and a PostgreSQL server (DATABASE_URL, else the local test database) in a schema of its own,
 * dropped at the end. LLM_LAB_SKIP_POSTGRES=1 leaves the server out deliberately.
 */
export interface Backend {
  name: string;
  open(): Promise<Storage>;
  cleanup(): Promise<void>;
}

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export function backends(): Backend[] {
  const folder = mkdtempSync(join(tmpdir(), 'llm-lab-monitoring-'));
  const list: Backend[] = [
    { name: 'PGlite', open: () => openStorage({ dataDir: join(folder, 'db'), env: {} }), cleanup: async () => rmSync(folder, { recursive: true, force: true }) },
  ];
  if (process.env.LLM_LAB_SKIP_POSTGRES !== '1') {
    const schema = `llm_lab_monitoring_${randomBytes(5).toString('hex')}`;
    list.push({
      name: 'PostgreSQL',
      open: async () => {
        try {
          return await openStorage({ url, schema, env: {} });
        } catch (error) {
          throw new Error(`${(error as Error).message}\nThese tests need PostgreSQL at ${url} (or DATABASE_URL); set LLM_LAB_SKIP_POSTGRES=1 to skip it deliberately.`, { cause: error });
        }
      },
      cleanup: async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    });
  }
  return list;
}
