import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** How a run is claimed: see {@link RunHolds.hold}. */
export interface HoldOptions {
  /**
   * A shared claim, taken by each process executing a slice of a planned run: any number of
   * shared claims coexist, while an exclusive claim (a whole run, a resume, recording the run)
   * is refused while any is held, and the other way round.
   */
  shared?: boolean;
}

/**
 * Which process is running which run. A run row says `running` until its process says otherwise;
 * a process that is killed never does. Holds tell a live run from an interrupted one: the
 * running process holds its run, and a `running` run that nobody holds was interrupted.
 */
export interface RunHolds {
  /**
   * Claims `runId` for this process; rejects with `run_in_progress` when another process holds
   * it exclusively, or, for an exclusive claim, when any process holds it at all.
   */
  hold(runId: string, options?: HoldOptions): Promise<RunHold>;
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
  const mine = new HoldTable();
  return {
    async hold(runId, options) {
      const shared = options?.shared === true;
      if (!mine.admits(runId, shared)) throw inProgress(runId);
      const hold = onceReleased(async () => mine.remove(runId, hold));
      mine.add(runId, hold, shared);
      return hold;
    },
    async held(runIds) {
      return new Set(runIds.filter((id) => mine.has(id)));
    },
    async releaseAll() {
      await mine.releaseAll();
    },
  };
}

/** This process's holds, by run: one exclusive, or any number of shared ones. */
class HoldTable {
  private readonly byRun = new Map<string, { shared: boolean; holds: Set<RunHold> }>();

  /** Whether this process may take another hold of `runId` of this kind. */
  admits(runId: string, shared: boolean): boolean {
    const entry = this.byRun.get(runId);
    return entry === undefined || (shared && entry.shared);
  }

  add(runId: string, hold: RunHold, shared: boolean): void {
    const entry = this.byRun.get(runId) ?? { shared, holds: new Set<RunHold>() };
    entry.holds.add(hold);
    this.byRun.set(runId, entry);
  }

  remove(runId: string, hold: RunHold): void {
    const entry = this.byRun.get(runId);
    if (!entry) return;
    entry.holds.delete(hold);
    if (entry.holds.size === 0) this.byRun.delete(runId);
  }

  has(runId: string): boolean {
    return this.byRun.has(runId);
  }

  async releaseAll(): Promise<void> {
    const holds = [...this.byRun.values()].flatMap((entry) => [...entry.holds]);
    await Promise.all(holds.map((hold) => hold.release()));
  }
}

/** A hold whose `release` runs `work` once, however often it is called. */
function onceReleased(work: () => Promise<void>): RunHold {
  let released: Promise<void> | undefined;
  return {
    release: () => {
      released ??= work();
      return released;
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
  const mine = new HoldTable();
  const keyOf = (runId: string) => `${schemaName ?? ''}:${runId}`;
  return {
    async hold(runId, options) {
      const shared = options?.shared === true;
      if (!mine.admits(runId, shared)) throw inProgress(runId);
      const [lock, unlock] = shared
        ? ['pg_try_advisory_lock_shared', 'pg_advisory_unlock_shared']
        : ['pg_try_advisory_lock', 'pg_advisory_unlock'];
      const client = await pool.connect();
      let locked = false;
      try {
        const { rows } = await client.query<{ locked: boolean }>(`SELECT ${lock}(hashtext($1), hashtext($2)) AS locked`, [
          HOLD_NAMESPACE,
          keyOf(runId),
        ]);
        locked = rows[0]?.locked === true;
      } finally {
        if (!locked) client.release();
      }
      if (!locked) throw inProgress(runId);
      const hold = onceReleased(async () => {
        mine.remove(runId, hold);
        try {
          await client.query(`SELECT ${unlock}(hashtext($1), hashtext($2))`, [HOLD_NAMESPACE, keyOf(runId)]);
          client.release();
        } catch (error) {
          // A connection that failed lost its lock with it; do not return it to the pool.
          client.release(error instanceof Error ? error : true);
        }
      });
      mine.add(runId, hold, shared);
      return hold;
    },
    async held(runIds) {
      if (runIds.length === 0) return new Set();
      // Taking a free lock and giving it straight back, in one statement (so on one connection):
      // the ones that cannot be taken exclusively are held elsewhere, exclusively or shared.
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM unnest($1::text[]) AS id
          WHERE NOT (CASE WHEN pg_try_advisory_lock(hashtext($2), hashtext($3 || id))
                          THEN pg_advisory_unlock(hashtext($2), hashtext($3 || id)) ELSE false END)`,
        [runIds, HOLD_NAMESPACE, `${schemaName ?? ''}:`],
      );
      return new Set([...rows.map((row) => row.id), ...runIds.filter((id) => mine.has(id))]);
    },
    async releaseAll() {
      await mine.releaseAll();
    },
  };
}

/** The folder, inside an embedded data folder, that holds one file per held run. */
export const HOLDS_DIR_NAME = 'llm-lab.holds';

/**
 * Holds shared by every process on this machine that uses one embedded data folder: a file per
 * hold in `<folder>/llm-lab.holds/`, created exclusively, recording the holder's pid: `<run>.json`
 * for an exclusive hold, `<run>.shared.<pid>.<n>.json` for each shared one. A hold whose process
 * is gone (crash, `kill -9`) is not held, and the next hold of that run takes it over. Kept in
 * files rather than in the database: the process serving the database changes when its owner
 * exits, while a run's hold stays with the process running it.
 *
 * An exclusive and a shared claim made at once cannot both win: each writes its own file first
 * and then looks for the other kind, so at least one of them sees the other and backs out.
 */
export function createFolderRunHolds(folder: string): RunHolds {
  const directory = join(folder, HOLDS_DIR_NAME);
  const mine = new HoldTable();
  let sharedCount = 0;
  const exclusivePath = (runId: string) => join(directory, `${encodeURIComponent(runId)}.json`);
  const sharedPrefix = (runId: string) => `${encodeURIComponent(runId)}.shared.`;
  const liveHolder = (path: string) => {
    const holder = readHolder(path);
    return holder !== undefined && isLive(holder);
  };
  const liveShared = (runId: string): boolean => {
    if (!existsSync(directory)) return false;
    const prefix = sharedPrefix(runId);
    return readdirSync(directory).some((name) => {
      if (!name.startsWith(prefix)) return false;
      const path = join(directory, name);
      if (liveHolder(path)) return true;
      rmSync(path, { force: true }); // its process is gone
      return false;
    });
  };
  const liveExclusive = (runId: string) => existsSync(exclusivePath(runId)) && liveHolder(exclusivePath(runId));
  return {
    async hold(runId, options) {
      const shared = options?.shared === true;
      if (!mine.admits(runId, shared)) throw inProgress(runId);
      mkdirSync(directory, { recursive: true });
      const content = JSON.stringify({ pid: process.pid, hostname: hostname(), processStartedAt: thisProcessStartedAt(), lockedAt: new Date().toISOString() });
      let path: string;
      if (shared) {
        if (liveExclusive(runId)) throw inProgress(runId);
        sharedCount += 1;
        path = join(directory, `${sharedPrefix(runId)}${process.pid}.${sharedCount}.json`);
        writeFileSync(path, content, { flag: 'wx' });
        if (liveExclusive(runId)) {
          rmSync(path, { force: true });
          throw inProgress(runId);
        }
      } else {
        path = exclusivePath(runId);
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
        if (liveShared(runId)) {
          rmSync(path, { force: true });
          throw inProgress(runId);
        }
      }
      const releaseNow = (): void => {
        try {
          if (readFileSync(path, 'utf8') === content) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
      process.once('exit', releaseNow);
      const hold = onceReleased(async () => {
        mine.remove(runId, hold);
        process.removeListener('exit', releaseNow);
        releaseNow();
      });
      mine.add(runId, hold, shared);
      return hold;
    },
    async held(runIds) {
      return new Set(runIds.filter((id) => mine.has(id) || liveExclusive(id) || liveShared(id)));
    },
    async releaseAll() {
      await mine.releaseAll();
    },
  };
}
