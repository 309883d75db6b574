import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { DrizzleStorage, type StorageDatabase } from './drizzle-storage.js';
import { StorageError, messageOf } from './errors.js';
import { migrationConfig } from './migrations.js';
import { LOCK_FILE_NAME, acquireFolderLock } from './pglite-lock.js';
import { schema as tables } from './schema.js';
import type { Storage } from './types.js';
import { openPgliteInWorker } from './worker-storage.js';

/** A migrated empty database, dumped at build time (scripts/build-template.mjs). */
const PGLITE_TEMPLATE = fileURLToPath(new URL('./pglite-template.tar.gz', import.meta.url));

/**
 * Opens the embedded database in `folder`, locked against other processes. With `worker` (the
 * default of openStorage), PGlite runs in a worker thread: its WebAssembly work (opening, and
 * every insert) then uses the machine's second core instead of competing with the run's calls.
 */
export async function openPglite(folder: string, schemaName: string | undefined, options: { worker: boolean }): Promise<Storage> {
  prepareDataFolder(folder);
  checkIsDatabaseFolder(folder);
  const lock = acquireFolderLock(folder);
  try {
    return options.worker
      ? await openPgliteInWorker(folder, schemaName, () => lock.release())
      : await openPgliteInThread(folder, schemaName, () => lock.release());
  } catch (error) {
    lock.release();
    throw error;
  }
}

export function prepareDataFolder(folder: string): void {
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new StorageError(
      'storage_not_a_database',
      `${folder} is a file, not a database folder; point dataDir elsewhere or set DATABASE_URL`,
    );
  }
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new StorageError('storage_open_failed', `cannot create the database folder ${folder}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** A folder holding files other than ours but no PG_VERSION is someone else's folder. */
export function checkIsDatabaseFolder(folder: string): void {
  const entries = readdirSync(folder).filter((name) => name !== LOCK_FILE_NAME);
  if (entries.length === 0 || entries.includes('PG_VERSION')) return;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
  throw new StorageError(
    'storage_not_a_database',
    `${folder} is not an llm-lab database: it holds other files (${shown}) but no PG_VERSION. ` +
      'Point dataDir at an empty folder or an existing llm-lab database, or set DATABASE_URL.',
  );
}

/** A driver error's text: `pg` reports some network failures as an AggregateError with no message. */

/**
 * Opens the embedded database in this thread. The caller holds the folder's lock; `close()`
 * releases it through `releaseLock`.
 */
export async function openPgliteInThread(folder: string, schemaName: string | undefined, releaseLock: () => void): Promise<DrizzleStorage> {
  // Each backend's driver is imported only when that backend is used.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  let client: PGlite | undefined;
  try {
    try {
      // A new database is unpacked from the build-time template when there is one (about four
      // times faster than initdb); an existing one is opened as it is.
      const isNew = !existsSync(join(folder, 'PG_VERSION'));
      const template = isNew && existsSync(PGLITE_TEMPLATE) ? new Blob([readFileSync(PGLITE_TEMPLATE)]) : undefined;
      client = await PGlite.create(folder, { relaxedDurability: true, ...(template ? { loadDataDir: template } : {}) });
    } catch (error) {
      throw new StorageError(
        'storage_open_failed',
        `could not open the embedded database in ${folder}: ${messageOf(error)}. ` +
          'If it was made by another PGlite version or is damaged, move the folder aside (a new one is created) or set DATABASE_URL.',
        { cause: error },
      );
    }
    if (schemaName !== undefined) {
      await client.exec(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"; SET search_path TO "${schemaName}";`);
    }
    const database = drizzlePglite({ client, schema: tables });
    try {
      await migratePglite(database, migrationConfig(schemaName));
    } catch (error) {
      throw new StorageError('storage_open_failed', `applying database migrations in ${folder} failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const openClient = client;
    return new DrizzleStorage({
      kind: 'pglite',
      location: folder,
      schema: schemaName,
      database: database as unknown as StorageDatabase,
      query: async (text, params) => (await openClient.query<Record<string, unknown>>(text, params)).rows,
      close: async () => {
        try {
          await openClient.close();
        } finally {
          releaseLock();
        }
      },
    });
  } catch (error) {
    // The lock stays with the caller, who releases it when opening fails.
    await client?.close().catch(() => undefined);
    throw error;
  }
}

