/**
 * The worker-thread side of the embedded database: opens PGlite here and answers the Storage
 * calls the main thread posts (see worker-storage.ts). The main thread holds the folder's lock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DrizzleStorage } from './drizzle-storage.js';
import { loadPgliteModules, openPgliteInThread } from './open-pglite.js';
import type { OpenRequest, WorkerData, WorkerReply, WorkerRequest, WorkerStartup } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker.js runs as a worker thread; use openStorage().');
const startup = workerData as WorkerData;

function describe(error: unknown): WorkerReply['error'] {
  const value = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  return {
    name: typeof value?.name === 'string' ? value.name : 'Error',
    ...(typeof value?.code === 'string' ? { code: value.code } : {}),
    message: typeof value?.message === 'string' ? value.message : String(error),
  };
}

let storage: DrizzleStorage | undefined;
let openError: unknown;
const open = ({ folder, schemaName }: WorkerStartup): Promise<void> =>
  openPgliteInThread(folder, schemaName, () => undefined).then(
    (opened) => {
      storage = opened;
      port.postMessage({ id: 0, ok: true } satisfies WorkerReply);
    },
    (error: unknown) => {
      openError = error;
      port.postMessage({ id: 0, ok: false, error: describe(error) } satisfies WorkerReply);
    },
  );

// Calls run one after another in the order they were posted: a result insert never overtakes
// the run row it belongs to (the caller may post both without waiting). A prestarted worker
// loads PGlite now; the first message names the database to open.
let queue: Promise<void> | undefined;
if ('prestart' in startup) void loadPgliteModules().catch(() => undefined);
else queue = open(startup);
port.on('message', (message: WorkerRequest | OpenRequest) => {
  if ('open' in message) {
    queue ??= open(message.open);
    return;
  }
  const request = message;
  queue = (queue ?? Promise.resolve()).then(async () => {
    try {
      if (!storage) throw openError ?? new Error('the embedded database did not open');
      const method = storage[request.method] as (...args: unknown[]) => Promise<unknown>;
      const value = await method.apply(storage, request.args);
      port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply);
      if (request.method === 'close') port.close();
    } catch (error) {
      port.postMessage({ id: request.id, ok: false, error: describe(error) } satisfies WorkerReply);
    }
  });
});
