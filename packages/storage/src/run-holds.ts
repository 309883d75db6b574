import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { StorageError } from './errors.js';
import { isLive, readHolder, thisProcessStartedAt } from './pglite-lock.js';

/** A claim on a run by the process running it; see {@link RunHolds}. */
export interface RunHold {
  /** Gives the claim up (idempotent). */
  release(): Promise<void>;
}

/**
 * Which process is running which run. A run row says `running` until its process says otherwise;
 * a process that is killed never does. Holds tell a live run from an interrupted one: the
 * running process holds its run, and a `running` run that nobody holds was interrupted.
 */
export interface RunHolds {
  /** Claims `runId` for this process; rejects with `run_in_progress` when another process holds it. */
  hold(runId: string): Promise<RunHold>;
  /** Of `runIds`, those held by a live process (this one included). */
  held(runIds: readonly string[]): Promise<Set<string>>;
  /** Releases every hold of this process. */
  releaseAll(): Promise<void>;
}

function inProgress(runId: string): StorageError {
  return new StorageError(
    'run_in_progress',
    `run ${runId} is being run by another process right now. Wait for it to finish (llm-lab runs list shows it as running), or stop that process first.`,
  );
}

/**
 * Holds within this process only: the embedded database admits one process at a time, so no
 * other process can be running anything in it while this one has it open.
 */
export function createLocalRunHolds(): RunHolds {
  const mine = new Set<string>();
  return {
    async hold(runId) {
      if (mine.has(runId)) throw inProgress(runId);
      mine.add(runId);
      return {
        release: async () => {
          mine.delete(runId);
        },
      };
    },
    async held(runIds) {
      return new Set(runIds.filter((id) => mine.has(id)));
    },
    async releaseAll() {
      mine.clear();
    },
  };
}

/** The advisory-lock class key of run holds (the run's key is the second half of the pair). */
const HOLD_NAMESPACE = 'llm-lab-run';

/**
 * Holds on a PostgreSQL server, shared by every process and machine using it: a session
 * advisory lock on a connection kept for the run. When the process dies, the server closes the
 * connection and the lock goes with it, so no heartbeat or clean-up is needed. Runs of another
 * schema on the same server are told apart by the schema in the key.
 */
export function createPostgresRunHolds(pool: pg.Pool, schemaName: string | undefined): RunHolds {
  const mine = new Map<string, RunHold>();
  const keyOf = (runId: string) => `${schemaName ?? ''}:${runId}`;
  return {
    async hold(runId) {
      if (mine.has(runId)) throw inProgress(runId);
      const client = await pool.connect();
      let locked = false;
      try {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', [
          HOLD_NAMESPACE,
          keyOf(runId),
        ]);
        locked = rows[0]?.locked === true;
      } finally {
        if (!locked) client.release();
      }
      if (!locked) throw inProgress(runId);
      let released: Promise<void> | undefined;
      const hold: RunHold = {
        release: () => {
          released ??= (async () => {
            mine.delete(runId);
            try {
              await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [HOLD_NAMESPACE, keyOf(runId)]);
              client.release();
            } catch (error) {
              // A connection that failed lost its lock with it; do not return it to the pool.
              client.release(error instanceof Error ? error : true);
            }
          })();
          return released;
        },
      };
      mine.set(runId, hold);
      return hold;
    },
    async held(runIds) {
      if (runIds.length === 0) return new Set();
      // Taking a free lock and giving it straight back, in one statement (so on one connection):
      // the ones that cannot be taken are held elsewhere.
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM unnest($1::text[]) AS id
          WHERE NOT (CASE WHEN pg_try_advisory_lock(hashtext($2), hashtext($3 || id))
                          THEN pg_advisory_unlock(hashtext($2), hashtext($3 || id)) ELSE false END)`,
        [runIds, HOLD_NAMESPACE, `${schemaName ?? ''}:`],
      );
      return new Set([...rows.map((row) => row.id), ...runIds.filter((id) => mine.has(id))]);
    },
    async releaseAll() {
      await Promise.all([...mine.values()].map((hold) => hold.release()));
    },
  };
}

/** The folder, inside an embedded data folder, that holds one file per held run. */
export const HOLDS_DIR_NAME = 'llm-lab.holds';

/**
 * Holds shared by every process on this machine that uses one embedded data folder: a file per
 * held run in `<folder>/llm-lab.holds/`, created exclusively, recording the holder's pid. A hold
 * whose process is gone (crash, `kill -9`) is not held, and the next hold of that run takes it
 * over. Kept in files rather than in the database: the process serving the database changes
 * when its owner exits, while a run's hold stays with the process running it.
 */
export function createFolderRunHolds(folder: string): RunHolds {
  const directory = join(folder, HOLDS_DIR_NAME);
  const mine = new Map<string, RunHold>();
  const pathOf = (runId: string) => join(directory, `${encodeURIComponent(runId)}.json`);
  const liveHolder = (path: string) => {
    const holder = readHolder(path);
    return holder !== undefined && isLive(holder);
  };
  return {
    async hold(runId) {
      if (mine.has(runId)) throw inProgress(runId);
      mkdirSync(directory, { recursive: true });
      const path = pathOf(runId);
      const content = JSON.stringify({ pid: process.pid, hostname: hostname(), processStartedAt: thisProcessStartedAt(), lockedAt: new Date().toISOString() });
      for (let attempt = 0; ; attempt += 1) {
        try {
          writeFileSync(path, content, { flag: 'wx' });
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
          if (liveHolder(path)) throw inProgress(runId);
          rmSync(path, { force: true }); // its process is gone: take it over
        }
      }
      let released = false;
      const release = async (): Promise<void> => {
        if (released) return;
        released = true;
        mine.delete(runId);
        process.removeListener('exit', releaseNow);
        releaseNow();
      };
      const releaseNow = (): void => {
        try {
          if (readFileSync(path, 'utf8') === content) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
      process.once('exit', releaseNow);
      const hold: RunHold = { release };
      mine.set(runId, hold);
      return hold;
    },
    async held(runIds) {
      return new Set(runIds.filter((id) => mine.has(id) || (existsSync(pathOf(id)) && liveHolder(pathOf(id)))));
    },
    async releaseAll() {
      await Promise.all([...mine.values()].map((hold) => hold.release()));
    },
  };
}
