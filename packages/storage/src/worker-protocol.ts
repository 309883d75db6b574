import type { StorageMethod } from './types.js';

/** Which database the embedded-database worker opens. */
export interface WorkerStartup {
  folder: string;
  schemaName: string | undefined;
}

/**
 * What the worker is started with: the database to open, or `prestart` (it loads PGlite and
 * waits for an {@link OpenRequest} naming the database).
 */
export type WorkerData = WorkerStartup | { prestart: true };

/** Tells a prestarted worker which database to open; always the first message it gets. */
export interface OpenRequest {
  open: WorkerStartup;
}

/** The Storage methods the worker answers. */
export type WorkerMethod = Exclude<StorageMethod, 'holdRun' | 'heldRuns'>;

/** A call posted to the worker. */
export interface WorkerRequest {
  id: number;
  method: WorkerMethod;
  args: unknown[];
}

/** The worker's answer to a call (id 0: the database opened, or failed to). */
export interface WorkerReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; code?: string; message: string };
}
