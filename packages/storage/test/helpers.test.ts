import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MIGRATIONS_FOLDER, describeConnectionUrl, generateRunId, openStorage, resultKey } from '../src/index.js';

describe('generateRunId', () => {
  it('is readable, in UTC, and sorts by time', () => {
    const id = generateRunId(new Date('2025-03-04T05:06:07.890Z'));
    expect(id).toMatch(/^run-20250304-050607-[0-9a-z]{4}$/);
    const later = generateRunId(new Date('2025-03-04T05:06:08.000Z'));
    expect([later, id].sort()).toEqual([id, later]);
    const many = new Set(Array.from({ length: 200 }, () => generateRunId(new Date(0))));
    expect(many.size).toBeGreaterThan(190);
  });
});

describe('describeConnectionUrl', () => {
  it('removes the password from the user part and the query', () => {
    expect(describeConnectionUrl('postgres://ada:hunter2@db.example.com:5433/lab?sslmode=require')).toBe(
      'postgres://ada@db.example.com:5433/lab?sslmode=require',
    );
    expect(describeConnectionUrl('postgresql://ada@db/lab?password=hunter2&application_name=x')).toBe(
      'postgresql://ada@db/lab?application_name=x',
    );
    expect(describeConnectionUrl('not a url with hunter2')).not.toContain('hunter2');
  });
});

describe('resultKey', () => {
  it('tells apart every part of the identity', () => {
    const base = { caseId: 'a', providerId: 'p', promptId: 'q', repeat: 0 };
    const keys = new Set([
      resultKey(base),
      resultKey({ ...base, caseId: 'b' }),
      resultKey({ ...base, providerId: 'p2' }),
      resultKey({ ...base, promptId: 'q2' }),
      resultKey({ ...base, repeat: 1 }),
    ]);
    expect(keys.size).toBe(5);
  });
});

describe('migrations', () => {
  it('ship as SQL with a journal, and never pin tables to the public schema', () => {
    const files = readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(0);
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(journal.entries).toHaveLength(files.length);
    for (const file of files) {
      // db:generate strips drizzle-kit's "public". so the tables follow search_path (see scripts/).
      expect(readFileSync(join(MIGRATIONS_FOLDER, file), 'utf8')).not.toContain('"public".');
    }
  });
});

describe('openStorage options', () => {
  it('rejects an invalid schema name before touching any database', async () => {
    await expect(openStorage({ dataDir: '/nonexistent/never-created', schema: 'Has Space', env: {} })).rejects.toMatchObject({
      code: 'storage_invalid_option',
    });
    await expect(openStorage({ env: { LLM_LAB_DB_SCHEMA: 'x-y', DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/db' } })).rejects.toThrow(
      'LLM_LAB_DB_SCHEMA',
    );
  });
});
