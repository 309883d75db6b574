import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { setLocal } from './analysis-query.js';
import type { DrizzleStorage, StorageDatabase } from './drizzle-storage.js';
import { StorageError, messageOf } from './errors.js';
import { UNPACKING_DIR_NAME, recoverInterruptedUnpack, unpackTemplate } from './extract-template.js';
import { migrationConfig } from './migrations.js';
import { LOCK_FILE_NAME, SERVED_FILE_NAME, publishServedAddress } from './pglite-lock.js';
import { HOLDS_DIR_NAME } from './run-holds.js';
import { openSharedPglite } from './shared-storage.js';
import { type Mutex, createMutex, servePglite } from './pglite-server.js';
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
  // The first process to open the folder owns the database and serves it to the others.
  return openSharedPglite(folder, schemaName, {
    own: (ownedFolder, ownedSchema, releaseLock) =>
      options.worker ? openPgliteInWorker(ownedFolder, ownedSchema, releaseLock) : openPgliteInThread(ownedFolder, ownedSchema, releaseLock),
  });
}

export function prepareDataFolder(folder: string): void {
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new StorageError(
      'storage_not_a_database',
      `${folder} is a file, not a database folder: give a folder instead (--data-dir, or storage.dataDir in the config), or set DATABASE_URL`,
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

/** The files processes sharing a folder keep beside the database: the lock, the served address, run holds, and the first two being written. */
const isSharingFile = (name: string): boolean =>
  name === HOLDS_DIR_NAME || [LOCK_FILE_NAME, SERVED_FILE_NAME].some((file) => name === file || (name.startsWith(`${file}.`) && name.endsWith('.tmp')));

/**
 * A folder holding files other than ours but no PG_VERSION is someone else's folder. One with
 * our unpacking folder is a new database whose creation was cut short: it is started over.
 */
export function checkIsDatabaseFolder(folder: string): void {
  // Files of processes sharing the folder may appear while its first owner is still creating it.
  const entries = readdirSync(folder).filter((name) => !isSharingFile(name));
  if (entries.length === 0 || entries.includes('PG_VERSION') || entries.includes(UNPACKING_DIR_NAME)) return;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
  throw new StorageError(
    'storage_not_a_database',
    `${folder} is not an llm-lab database: it holds other files (${shown}) but no PG_VERSION. ` +
      'Point dataDir at an empty folder or an existing llm-lab database, or set DATABASE_URL.',
  );
}

/**
 * PostgreSQL settings for the embedded database, on top of PGlite's start parameters; they apply
 * to every open, of new and existing folders alike (nothing is written to postgresql.conf).
 * shared_buffers: PostgreSQL's default of 128 MB is allocated (and touched) inside PGlite's
 * WebAssembly heap; 16 MB takes ~115 MB less resident memory and opens faster, and inserting
 * results is as fast (see README). wal_buffers follows it (1/32); raising it made no difference.
 */
export const PGLITE_SETTINGS: readonly string[] = ['shared_buffers=16MB'];

/** PGlite's start parameters with {@link PGLITE_SETTINGS} added as `-c name=value`. */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])];
}

/**
 * Makes a new database in `folder` (whose lock the caller holds) by unpacking the build-time
 * template, which PGlite then opens like an existing one: the whole open takes about half the
 * time, CPU and memory it took with PGlite's own loadDataDir (which untars in JavaScript through
 * its virtual file system), let alone initdb. Without a template (code run from sources before a build), PGlite
 * runs initdb itself. An existing database is left as it is.
 */
async function prepareDatabaseFolder(folder: string): Promise<void> {
  try {
    recoverInterruptedUnpack(folder, isSharingFile);
    if (!existsSync(join(folder, 'PG_VERSION')) && existsSync(PGLITE_TEMPLATE)) await unpackTemplate(PGLITE_TEMPLATE, folder);
  } catch (error) {
    throw new StorageError(
      'storage_open_failed',
      `could not create the embedded database in ${folder} from ${PGLITE_TEMPLATE}: ${messageOf(error)}. ` +
        'Reinstall or rebuild @llm-lab/storage, or set DATABASE_URL.',
      { cause: error },
    );
  }
}

/** The embedded backend's modules, imported once (a prestarted worker imports them before it knows its folder). */
let pgliteModules: ReturnType<typeof importPgliteModules> | undefined;
export function loadPgliteModules(): ReturnType<typeof importPgliteModules> {
  pgliteModules ??= importPgliteModules();
  return pgliteModules;
}

// One after another: these graphs overlap (drizzle-orm), and jest's ESM loader trips over
// overlapping dynamic imports in flight at once; in Node the order costs nothing.
async function importPgliteModules() {
  return [
    await import('@electric-sql/pglite'),
    await import('drizzle-orm/pglite'),
    await import('drizzle-orm/pglite/migrator'),
    await import('./drizzle-storage.js'),
    await import('./schema.js'),
  ] as const;
}

/**
 * Opens the embedded database in this thread. The caller holds the folder's lock; `close()`
 * releases it through `releaseLock`.
 */
export async function openPgliteInThread(folder: string, schemaName: string | undefined, releaseLock: () => void): Promise<DrizzleStorage> {
  // Each backend's driver is imported only when that backend is used; the imports run while a
  // new database is unpacked. Both are awaited before anything is thrown, so nothing is still
  // writing to the folder once the caller releases its lock.
  const [loaded, prepared] = await Promise.allSettled([loadPgliteModules(), prepareDatabaseFolder(folder)]);
  if (prepared.status === 'rejected') throw prepared.reason;
  if (loaded.status === 'rejected') throw loaded.reason;
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }, { DrizzleStorage }, { schema: tables }] = loaded.value;
  let client: PGlite | undefined;
  try {
    try {
      client = await PGlite.create(folder, { relaxedDurability: true, startParams: pgliteStartParams(PGlite.defaultStartParams) });
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
    // Other processes reach the database through this one (see pglite-server.ts): its own calls
    // and theirs take turns through one mutex.
    const mutex = createMutex();
    const server = await servePglite(openClient, folder, mutex);
    const unpublish = publishServedAddress(folder, schemaName, server.address);
    const storage = new DrizzleStorage({
      kind: 'pglite',
      location: folder,
      schema: schemaName,
      database: database as unknown as StorageDatabase,
      query: async (text, params) => (await openClient.query<Record<string, unknown>>(text, params)).rows,
      // Planner settings for one statement: in a transaction of its own (each storage call holds the mutex).
      analyticQuery: async (text, params, settings) =>
        settings === undefined || Object.keys(settings).length === 0
          ? (await openClient.query<Record<string, unknown>>(text, params)).rows
          : openClient.transaction(async (tx) => {
              await tx.exec(setLocal(settings).slice(2));
              return (await tx.query<Record<string, unknown>>(text, params)).rows;
            }),
      copyFromText: async (statement, text) => (await openClient.query(statement, [], { blob: new Blob([text]) })).affectedRows ?? 0,
      close: async () => {
        try {
          // No new clients; those connected finish what they are in, then the database closes.
          unpublish();
          await server.close();
          await mutex.run(() => openClient.close());
        } finally {
          releaseLock();
        }
      },
    });
    return withMutex(storage, mutex);
  } catch (error) {
    // The lock stays with the caller, who releases it when opening fails.
    await client?.close().catch(() => undefined);
    throw error;
  }
}


/**
 * `storage` with each call taking `mutex` for its whole length, so that a call (an insert that
 * falls back from COPY, say) never interleaves with a client's request. `close` takes it itself.
 */
function withMutex(storage: DrizzleStorage, mutex: Mutex): DrizzleStorage {
  const unguarded = new Set<PropertyKey>(['close', 'holdRun', 'heldRuns']);
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || unguarded.has(property)) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => mutex.run(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
