import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StorageDatabase } from './drizzle-storage.js';
import { StorageError, isStorageError, messageOf } from './errors.js';
import { loadPostgresBackend } from './load-postgres-backend.js';
import { LOCK_FILE_NAME, type LockHolder, isLive, lockedError, readServedAddress, tryFolderLock, type ServedRecord } from './pglite-lock.js';
import { createFolderRunHolds, type HoldOptions } from './run-holds.js';
import { generateRunId } from './run-id.js';
import type { NewRun, Storage } from './types.js';
import { join } from 'node:path';

/**
 * The embedded database shared by the processes that open one data folder.
 *
 * The first process to open the folder takes its lock and owns PGlite (in its worker thread),
 * and serves it over the PostgreSQL wire protocol on a unix socket in the folder (pglite-server.ts),
 * whose address it publishes in `llm-lab.served.json`. A process that finds the folder locked
 * by a live owner reads that file and connects through the PostgreSQL backend (a `pg` pool and
 * the same DrizzleStorage as for a server). When the owner closes or dies, its clients' next
 * call finds the connection gone: the client takes the lock itself (or finds the process that
 * did) and runs the call again there.
 */

/** How long a process waits for an owner that has the lock but is still opening the database. */
const OWNER_START_TIMEOUT_MS = 120_000;
/** Connections a client keeps to the owner: it runs one request at a time anyway. */
const CLIENT_POOL_SIZE = 2;
/** How many times a call is tried again after the owner went away (each time a new owner is found). */
const MAX_TAKEOVERS = 5;

export interface SharedOpenOptions {
  /** Opens the database as its owner; the caller holds the folder's lock, released through `releaseLock`. */
  own(folder: string, schemaName: string | undefined, releaseLock: () => void): Promise<Storage>;
}

type Opened = { storage: Storage; role: 'owner' | 'client' };

/** Opens `folder` as its owner, or as a client of the process that owns it. */
async function openOwnerOrClient(folder: string, schemaName: string | undefined, options: SharedOpenOptions): Promise<Opened> {
  const deadline = Date.now() + OWNER_START_TIMEOUT_MS;
  let lastConnectError: unknown;
  for (;;) {
    const taken = tryFolderLock(folder);
    if (!('holder' in taken)) {
      try {
        return { storage: await options.own(folder, schemaName, () => taken.release()), role: 'owner' };
      } catch (error) {
        taken.release();
        throw error;
      }
    }
    const holder = taken.holder;
    if (holder.hostname !== hostname()) throw lockedError(folder, join(folder, LOCK_FILE_NAME), holder);
    const served = readServedAddress(folder);
    if (served && served.pid === holder.pid && isLive(served)) {
      if ((served.schema ?? undefined) !== schemaName) throw schemaMismatch(folder, served, schemaName);
      try {
        return { storage: await openClient(folder, served), role: 'client' };
      } catch (error) {
        // The owner is closing (or just died): look again.
        if (!isOwnerLost(error)) throw error;
        lastConnectError = error;
      }
    }
    if (Date.now() > deadline) throw ownerNotServing(folder, holder, lastConnectError);
    await sleep(100);
  }
}

function schemaMismatch(folder: string, served: ServedRecord, schemaName: string | undefined): StorageError {
  const theirs = served.schema === null ? 'the default schema' : `schema "${served.schema}"`;
  const ours = schemaName === undefined ? 'the default schema' : `schema "${schemaName}"`;
  return new StorageError(
    'storage_locked',
    `the embedded database in ${folder} is open in llm-lab process ${served.pid} with ${theirs}, and this process asks for ${ours}; ` +
      'processes sharing a data folder use one schema: set the same LLM_LAB_DB_SCHEMA (or schema option), or wait for that process to finish',
  );
}

function ownerNotServing(folder: string, holder: LockHolder, cause: unknown): StorageError {
  return new StorageError(
    'storage_locked',
    `another llm-lab process (pid ${holder.pid}) has the embedded database in ${folder} open but does not serve it to other processes` +
      `${cause === undefined ? '' : ` (${messageOf(cause)})`}; it may be an older llm-lab version. Wait for it to finish, or set DATABASE_URL.`,
    cause === undefined ? undefined : { cause },
  );
}

/** A storage on the owner's server, through the PostgreSQL backend. Nothing is migrated: the owner did. */
async function openClient(folder: string, served: ServedRecord): Promise<Storage> {
  const { pgDriver, drizzleNodePostgres, DrizzleStorage, schema: tables } = await loadPostgresBackend();
  const address = served.address;
  const pool = new pgDriver.Pool({
    host: 'socketDir' in address ? address.socketDir : address.host,
    port: address.port,
    user: 'postgres',
    database: 'postgres',
    max: CLIENT_POOL_SIZE,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => undefined); // an idle connection dropped by a closing owner: the next call sees it
  try {
    // One round trip now: a connection refused here means the owner is going away.
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new DrizzleStorage({
    kind: 'pglite',
    location: folder,
    schema: served.schema ?? undefined,
    database: drizzleNodePostgres({ client: pool, schema: tables }) as unknown as StorageDatabase,
    query: async (text, params) => (await pool.query<Record<string, unknown>>(text, params)).rows,
    close: () => pool.end(),
  });
}

const CONNECTION_LOST_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const CONNECTION_LOST_MESSAGE = /Connection terminated|not queryable|connection error|Connection ended|timeout exceeded when trying to connect/i;

/** Whether `error` (or one of its causes) says the owner's server went away, as opposed to a failed statement. */
export function isOwnerLost(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 6; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
    if (!isStorageError(current) && CONNECTION_LOST_MESSAGE.test(messageOf(current))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Properties read from whichever storage is in use now. */
const PASSED_THROUGH = new Set<PropertyKey>(['kind', 'location', 'schema']);
/**
 * Methods that return an iterable rather than a promise (`streamResults`, `iterate…`): called on
 * the storage in use at once, outside the queue and without a retry, since their caller reads
 * them as they come. Every other method is queued and retried after a takeover.
 */
const STREAMING_METHOD = /^(stream|iterate)/;

/**
 * Opens the embedded database in `folder`, shared with other processes (see the top of this
 * file). Calls run one after another in the order they are made (`ordered`), whichever process
 * serves the database. A call cut off because the owner went away is run again on the next
 * owner, which is safe: the owner answers every request it ran before it stops (what got no
 * answer did not run), and when it dies instead, every call is one that can run twice (results
 * are inserted with ON CONFLICT DO NOTHING; a new run's id is chosen here, before the first try).
 */
export async function openSharedPglite(folder: string, schemaName: string | undefined, options: SharedOpenOptions): Promise<Storage> {
  let opened = await openOwnerOrClient(folder, schemaName, options);
  const holds = createFolderRunHolds(folder);
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const takeOver = async (failed: Storage): Promise<void> => {
    if (opened.storage !== failed) return;
    await failed.close().catch(() => undefined);
    opened = await openOwnerOrClient(folder, schemaName, options);
  };

  const callWithTakeover = async (method: string, args: unknown[]): Promise<unknown> => {
    if (method === 'createRun') {
      const run = args[0] as NewRun;
      if (run.id === undefined) args = [{ ...run, id: generateRunId(run.startedAt ?? new Date()) }, ...args.slice(1)];
    }
    for (let attempt = 0; ; attempt += 1) {
      const { storage, role } = opened;
      try {
        return await (storage[method as keyof Storage] as (...a: unknown[]) => Promise<unknown>).apply(storage, args);
      } catch (error) {
        if (attempt > 0 && method === 'createRun' && isStorageError(error) && error.code === 'run_exists') {
          // The first try did store it before its owner went away.
          return storage.getRun((args[0] as { id: string }).id);
        }
        // Only a client loses its owner; the owner's own failures are reported as they are.
        if (closing || role !== 'client' || !isOwnerLost(error)) throw error;
        if (attempt >= MAX_TAKEOVERS) {
          throw new StorageError(
            'storage_unreachable',
            `the embedded database in ${folder} went away ${attempt + 1} times during one call (${messageOf(error)}); try again`,
            { cause: error },
          );
        }
        await takeOver(storage);
      }
    }
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      await queue.catch(() => undefined);
      try {
        await holds.releaseAll();
      } finally {
        await opened.storage.close();
      }
    })();
    return closing;
  };

  return new Proxy({} as Storage, {
    get(_target, property) {
      if (PASSED_THROUGH.has(property)) return opened.storage[property as keyof Storage];
      if (property === 'ordered') return true;
      if (property === 'close') return close;
      if (property === 'holdRun') return (runId: string, options?: HoldOptions) => holds.hold(runId, options);
      if (property === 'heldRuns') return (runIds: string[]) => holds.held(runIds);
      const value = opened.storage[property as keyof Storage];
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (STREAMING_METHOD.test(property)) return (value as (...a: unknown[]) => unknown).bind(opened.storage);
      return (...args: unknown[]) => {
        if (closing) return Promise.reject(new StorageError('storage_query_failed', `the storage in ${folder} is closed`));
        const result = queue.then(() => callWithTakeover(property, args));
        queue = result.catch(() => undefined);
        return result;
      };
    },
    has(_target, property) {
      return property in opened.storage || property === 'ordered';
    },
  });
}
