/**
 * What opening a PostgreSQL server loads: the pg driver, drizzle-orm's node-postgres driver and
 * migrator, and the storage built on them. The build bundles this module with drizzle-orm into
 * dist/postgres-backend.bundle.js (scripts/bundle.mjs), which open-storage.ts imports when it
 * is there: ~100 drizzle-orm modules then load as one file.
 */
export { default as pgDriver } from 'pg';
export { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
export { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
export { DrizzleStorage } from './drizzle-storage.js';
export { schema } from './schema.js';
