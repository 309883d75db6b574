import { existsSync } from 'node:fs';
import type * as PostgresBackend from './postgres-backend.js';

/** The server backend's modules: the build's bundle of them when it is there (see postgres-backend.ts). */
export async function loadPostgresBackend(): Promise<typeof PostgresBackend> {
  const bundle = new URL('./postgres-backend.bundle.js', import.meta.url);
  if (existsSync(bundle)) return (await import(bundle.href)) as typeof PostgresBackend;
  return import('./postgres-backend.js');
}
