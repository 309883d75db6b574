import type { Storage } from './types.js';

/** What the embedded-database worker is started with. */
export interface WorkerStartup {
  folder: string;
  schemaName: string | undefined;
}

/** The Storage methods the worker answers. */
export type WorkerMethod = Exclude<keyof Storage, 'kind' | 'location' | 'schema' | 'ordered' | 'holdRun' | 'heldRuns'>;

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
