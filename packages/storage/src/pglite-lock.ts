import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageError } from './errors.js';

/** The lock file's name inside a PGlite data folder. */
export const LOCK_FILE_NAME = 'llm-lab.lock';

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** When the holding process started (ms since epoch, approximate); tells a reused pid apart. */
  processStartedAt: number;
  lockedAt: string;
}

/** A held lock on a PGlite data folder; release it when the database is closed. */
export interface FolderLock {
  readonly path: string;
  release(): void;
}

export const thisProcessStartedAt = (): number => Math.round(Date.now() - process.uptime() * 1000);

export function readHolder(path: string): LockHolder | undefined {
  const text = readText(path);
  return text === undefined ? undefined : parseHolder(text);
}

/** A file's text, or undefined when it is not there. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '',
      processStartedAt: typeof parsed.processStartedAt === 'number' ? parsed.processStartedAt : 0,
      lockedAt: typeof parsed.lockedAt === 'string' ? parsed.lockedAt : '',
    };
  } catch {
    // Half-written or garbled (a crash while writing it, an older version): no live holder.
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `holder` is a process that is still running and may be using the folder. */
export function isLive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true; // another machine: cannot check, assume it is.
  if (holder.pid === process.pid) {
    // This very process (opened twice), or an earlier process that had the same pid (common in containers).
    return Math.abs(holder.processStartedAt - thisProcessStartedAt()) < 2_000;
  }
  return isProcessAlive(holder.pid);
}

export function lockedError(folder: string, lockPath: string, holder: LockHolder): StorageError {
  if (holder.pid === process.pid && holder.hostname === hostname()) {
    return new StorageError(
      'storage_locked',
      `this process (pid ${holder.pid}) already has the embedded database in ${folder} open; ` +
        'PGlite allows one open handle per folder: close the first storage before opening it again, or set DATABASE_URL',
    );
  }
  const where = holder.hostname === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.hostname}`;
  return new StorageError(
    'storage_locked',
    `another llm-lab process (${where}) is using ${folder}; wait for it or set DATABASE_URL. ` +
      `If no such process is running, delete ${lockPath}.`,
  );
}

/**
 * Takes the lock on a PGlite data folder (which must exist) by creating `llm-lab.lock` in it
 * exclusively. A lock left by a process that is no longer running is taken over; a live holder
 * makes this throw a `storage_locked` {@link StorageError} naming its pid. The lock is also
 * removed if the process exits without releasing it.
 */
export function acquireFolderLock(folder: string): FolderLock {
  const taken = tryFolderLock(folder);
  if ('holder' in taken) throw lockedError(folder, join(folder, LOCK_FILE_NAME), taken.holder);
  return taken;
}

/**
 * Takes the lock on a PGlite data folder like {@link acquireFolderLock}, or tells which live
 * process holds it (another process, or this one through an earlier open).
 */
export function tryFolderLock(folder: string): FolderLock | { holder: LockHolder } {
  const lockPath = join(folder, LOCK_FILE_NAME);
  const content = JSON.stringify({
    pid: process.pid,
    hostname: hostname(),
    processStartedAt: thisProcessStartedAt(),
    lockedAt: new Date().toISOString(),
  } satisfies LockHolder);

  // The lock appears whole or not at all: its content is written to a file of this process's
  // first, then linked to the lock's name (which fails if the lock exists). A lock created empty
  // and written after would be read as garbled by another process opening the folder at that
  // moment, taken as stale, removed and taken: two owners of one database, and one's writes lost.
  const temporary = `${lockPath}.${process.pid}.tmp`;
  let linked = true;
  try {
    writeFileSync(temporary, content);
  } catch (error) {
    throw new StorageError('storage_open_failed', `cannot create the lock file ${lockPath}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // Each attempt loses only to a lock released or taken in the instant between two steps.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        if (linked) linkSync(temporary, lockPath);
        else writeNewFile(lockPath, content);
        return holdLock(lockPath, content);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (linked && (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')) {
          // A file system without hard links: create the lock exclusively and write it.
          linked = false;
          attempt -= 1;
          continue;
        }
        if (code !== 'EEXIST') {
          throw new StorageError('storage_open_failed', `cannot create the lock file ${lockPath}: ${(error as Error).message}`, { cause: error });
        }
      }
      const text = readText(lockPath);
      // Released meanwhile: try again.
      if (text === undefined) continue;
      const holder = parseHolder(text);
      if (holder && isLive(holder)) return { holder };
      // Stale (holder gone) or unreadable: remove it, unless it has just been replaced by a live
      // holder's, and try again; the exclusive create above lets only one taker win.
      if (readText(lockPath) !== text) continue;
      try {
        unlinkSync(lockPath);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
    }
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Already gone.
    }
  }
  throw new StorageError('storage_locked', `could not take the lock ${lockPath}: other processes keep taking it; try again`);
}

/** Creates `path` exclusively (EEXIST if it exists) with `content`. */
function writeNewFile(path: string, content: string): void {
  const descriptor = openSync(path, 'wx');
  try {
    writeSync(descriptor, content);
  } finally {
    closeSync(descriptor);
  }
}

function holdLock(lockPath: string, content: string): FolderLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      // Only remove the lock if it is still ours.
      if (readFileSync(lockPath, 'utf8') === content) unlinkSync(lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.once('exit', release);
  return { path: lockPath, release };
}

/** The file in a data folder that tells other processes where its owner serves the database. */
export const SERVED_FILE_NAME = 'llm-lab.served.json';

/** Where the process that has a data folder open serves it (see pglite-server.ts). */
export interface ServedRecord extends LockHolder {
  /** The schema the owner's session uses; a client asking for another one is refused. */
  schema: string | null;
  address: { socketDir: string; port: number } | { host: string; port: number };
}

/**
 * Publishes where this process serves the database in `folder` (which it holds the lock of),
 * written whole (a temporary file renamed into place) so that a reader never sees half of it.
 * Returns a function that removes it again, if it is still this process's.
 */
export function publishServedAddress(folder: string, schema: string | undefined, address: ServedRecord['address']): () => void {
  const path = join(folder, SERVED_FILE_NAME);
  const content = JSON.stringify({
    pid: process.pid,
    hostname: hostname(),
    processStartedAt: thisProcessStartedAt(),
    lockedAt: new Date().toISOString(),
    schema: schema ?? null,
    address,
  } satisfies ServedRecord);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    try {
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', remove);
  return remove;
}

/** Where the folder's owner serves it, if it says so (and the file is whole). */
export function readServedAddress(folder: string): ServedRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(folder, SERVED_FILE_NAME), 'utf8')) as Partial<ServedRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.address !== 'object' || parsed.address === null) return undefined;
    return {
      pid: parsed.pid,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '',
      processStartedAt: typeof parsed.processStartedAt === 'number' ? parsed.processStartedAt : 0,
      lockedAt: typeof parsed.lockedAt === 'string' ? parsed.lockedAt : '',
      schema: typeof parsed.schema === 'string' ? parsed.schema : null,
      address: parsed.address,
    };
  } catch {
    return undefined;
  }
}
