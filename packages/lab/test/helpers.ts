import pg from 'pg';
import type { Lab, ResultRecord } from '../src/index.js';

/** Drops a test's PostgreSQL schema and everything in it. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Every stored result of a run, read page by page as a reader of a large run would. */
export async function storedResults(lab: Lab, runId: string): Promise<ResultRecord[]> {
  const all: ResultRecord[] = [];
  for await (const result of lab.eachResult({ runId })) all.push(result);
  return all;
}
