import { join, resolve } from 'node:path';
import type pg from 'pg';
import { setLocal } from './analysis-query.js';
import { describeConnectionUrl, passwordOf, scrubSecret } from './connection-url.js';
import { createPostgresRunHolds } from './run-holds.js';
import type { StorageDatabase } from './drizzle-storage.js';
import { StorageError, messageOf } from './errors.js';
import { findLabHome } from './lab-home.js';
import { migrationConfig } from './migrations.js';
import { openPglite } from './open-pglite.js';
import { prestartPgliteWorker } from './worker-storage.js';
import { loadPostgresBackend } from './load-postgres-backend.js';
import type { Storage } from './types.js';

export { MIGRATIONS_FOLDER } from './migrations.js';

export interface OpenStorageOptions {
  /** A PostgreSQL connection URL. Default: env `DATABASE_URL`; without either, embedded PGlite is used. */
  url?: string;
  /**
   * The PGlite data folder. Default: `db` in the project's LLM Lab folder (env `LLM_LAB_HOME`,
   * else the nearest `.llm-lab/` upwards, else the project root's; see {@link findLabHome}).
   * Ignored when a URL is in use.
   */
  dataDir?: string;
  /**
   * The PostgreSQL schema that holds every table (and drizzle's migration journal), created if
   * missing. Default: env `LLM_LAB_DB_SCHEMA`; without either, the connection's default search_path.
   */
  schema?: string;
  /** The folder relative paths are resolved against. Default: `process.cwd()`. */
  cwd?: string;
  /** The environment to read `DATABASE_URL` and `LLM_LAB_DB_SCHEMA` from. Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Embedded only: run PGlite in a worker thread (default true; env LLM_LAB_STORAGE_WORKER=0
   * turns it off), so its work runs on another core than the caller's.
   */
  worker?: boolean;
}

/** The PGlite data folder inside a project (see {@link findLabHome} for which project folder). */
export const DEFAULT_DATA_DIR = '.llm-lab/db';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens LLM Lab's storage and brings its tables up to date (applies pending migrations).
 *
 * - With a URL (option, else env `DATABASE_URL`): PostgreSQL through a `pg` pool.
 * - Otherwise: embedded PGlite in the project's `.llm-lab/db` (or `dataDir`), locked against a second
 *   process. The first open of a new folder unpacks a migrated empty database (under a second).
 *
 * Throws a {@link StorageError} that says what to do when the folder is locked, is not a
 * database, or the server cannot be reached. Messages and `location` never contain a password.
 */
export async function openStorage(options: OpenStorageOptions = {}): Promise<Storage> {
  const env = options.env ?? process.env;
  const url = nonEmpty(options.url) ?? nonEmpty(env.DATABASE_URL);
  const schemaName = nonEmpty(options.schema) ?? nonEmpty(env.LLM_LAB_DB_SCHEMA);
  if (schemaName !== undefined && !SCHEMA_NAME.test(schemaName)) {
    throw new StorageError(
      'storage_invalid_option',
      `invalid database schema name "${schemaName}": use lowercase letters, digits and underscores, ` +
        'starting with a letter or underscore, at most 63 characters (option `schema` or env LLM_LAB_DB_SCHEMA)',
    );
  }
  if (url !== undefined) return openPostgres(url, schemaName);
  const cwd = options.cwd ?? process.cwd();
  const inWorker = options.worker ?? env.LLM_LAB_STORAGE_WORKER !== '0';
  const dataDir = options.dataDir !== undefined ? resolve(cwd, options.dataDir) : join(findLabHome(cwd, env).home, 'db');
  return openPglite(dataDir, schemaName, { worker: inWorker });
}

/**
 * Starts the embedded database's worker thread ahead of {@link openStorage}, when the storage
 * will be embedded as far as `env` tells (no `DATABASE_URL`, the worker not turned off): it
 * loads PGlite while the caller loads the rest of itself. Nothing changes if the storage turns
 * out to be a server after all (a URL in a config file): the unused worker goes away.
 */
export function prestartEmbeddedDatabase(env: Record<string, string | undefined> = process.env): void {
  if (nonEmpty(env.DATABASE_URL) !== undefined || env.LLM_LAB_STORAGE_WORKER === '0') return;
  prestartPgliteWorker();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A driver error's text: `pg` reports some network failures as an AggregateError with no message. */
function describeDriverError(error: unknown): string {
  const inner = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(inner) && inner.length > 0 && messageOf(error) === '') {
    return inner.map(describeDriverError).join('; ');
  }
  const code = (error as { code?: unknown }).code;
  const message = messageOf(error);
  return message !== '' ? message : typeof code === 'string' ? code : 'unknown error';
}

/** Pool settings that place every connection's search_path in `schemaName`. */
function poolConfig(url: string, schemaName: string | undefined): pg.PoolConfig {
  const config: pg.PoolConfig = { connectionString: url, connectionTimeoutMillis: 10_000 };
  if (schemaName === undefined) return config;
  const searchPath = `-c search_path=${schemaName}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const urlOptions = parsed?.searchParams.get('options');
  if (parsed && urlOptions) {
    // Options in the URL take precedence over the pool's, so add ours to them.
    parsed.searchParams.set('options', `${urlOptions} ${searchPath}`);
    config.connectionString = parsed.toString();
  } else {
    config.options = searchPath;
  }
  return config;
}

/**
 * One read-only aggregate over many rows (a comparison's pairing), in a transaction of its own:
 * without PostgreSQL's JIT, which compiled the pairing statement for 6.5 of its 10 s on 100,000
 * results a side (its cost estimate is far past jit_above_cost), and with room to sort and hash
 * in memory rather than on disk. Both settings end with the transaction.
 */
async function analyticQuery(pool: pg.Pool, text: string, params: unknown[], settings: Readonly<Record<string, string>> = {}): Promise<Array<Record<string, unknown>>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL jit = off; SET LOCAL work_mem = '64MB'${setLocal(settings)}`);
    const { rows } = await client.query<Record<string, unknown>>(text, params);
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function openPostgres(url: string, schemaName: string | undefined): Promise<Storage> {
  const location = describeConnectionUrl(url);
  const password = passwordOf(url);
  const scrub = (text: string): string => scrubSecret(text, password);
  const { pgDriver, drizzleNodePostgres, migrateNodePostgres, DrizzleStorage, schema: tables } = await loadPostgresBackend();
  const pool = new pgDriver.Pool(poolConfig(url, schemaName));
  // An idle connection that drops (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  let lockClient: pg.PoolClient;
  try {
    lockClient = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StorageError(
      'storage_unreachable',
      `cannot connect to PostgreSQL at ${location}: ${scrub(describeDriverError(error))}. ` +
        'Check DATABASE_URL and that the server is running, or unset DATABASE_URL to use the embedded database.',
    );
  }

  try {
    // Serialise migrations across processes that open the same database at once.
    const lockKey = `llm-lab-migrations:${schemaName ?? ''}`;
    await lockClient.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      if (schemaName !== undefined) await lockClient.query(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`);
      const database = drizzleNodePostgres({ client: pool, schema: tables });
      await migrateNodePostgres(database, migrationConfig(schemaName));
      return new DrizzleStorage({
        kind: 'postgres',
        location,
        schema: schemaName,
        database: database as unknown as StorageDatabase,
        query: async (text, params) => (await pool.query<Record<string, unknown>>(text, params)).rows,
        analyticQuery: (text, params, settings) => analyticQuery(pool, text, params, settings),
        close: () => pool.end(),
        runHolds: createPostgresRunHolds(pool, schemaName),
      });
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
      lockClient.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StorageError(
      'storage_open_failed',
      `preparing the database at ${location} failed: ${scrub(describeDriverError(error))}`,
      { cause: error },
    );
  }
}
