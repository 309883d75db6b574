import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { StorageError, type StorageErrorCode } from './errors.js';
import { createLocalRunHolds } from './run-holds.js';
import type { AuditRecord } from './audit-store.js';
import type { GatewayKeyRecord, MetricPointRecord, RunBatchRecord, RequestRecord, ResultPage, ResultRecord, Storage } from './types.js';
import type { OpenRequest, WorkerData, WorkerMethod, WorkerReply, WorkerRequest } from './worker-protocol.js';

/**
 * The worker's script: the build's bundle of it (scripts/bundle.mjs), else tsc's output.
 * Built code finds it beside this file; code run from TypeScript sources (this package's own
 * tests) uses the built copy, which the build step makes first.
 */
function workerScript(): URL {
  for (const candidate of ['./pglite-worker.bundle.js', './pglite-worker.js', '../dist/pglite-worker.bundle.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url;
  }
  return new URL('../dist/pglite-worker.js', import.meta.url);
}

function toError(reply: WorkerReply['error']): Error {
  if (reply?.name === 'StorageError' && reply.code) return new StorageError(reply.code as StorageErrorCode, reply.message);
  const error = new Error(reply?.message ?? 'the embedded database worker failed');
  if (reply?.name) error.name = reply.name;
  return error;
}

// No inherited command-line flags (some, like --input-type, are invalid in a worker). V8 flags
// set at run time (the CLI's --liftoff-only) are process-wide and still apply.
// A small young generation: the worker's JavaScript is thin glue around PGlite's WebAssembly
// memory, and V8's default lets it grow to tens of MB of mostly garbage (measured: peak RSS of
// a 5,000-case run 436 MB with the default, 387 MB with 8 MB, at the same CPU time).
const startWorker = (workerData: WorkerData) =>
  new Worker(workerScript(), { workerData, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 8 } });

/** A worker started ahead of time, not yet given a database (see {@link prestartPgliteWorker}). */
let prestarted: Worker | undefined;

/**
 * Starts the embedded database's worker thread now, before anything knows which database it
 * will open: it loads its modules and PGlite meanwhile, and the next {@link openPgliteInWorker}
 * takes it. A command calls this first thing when it will likely use the embedded database, so
 * that this start-up (~0.25 s) runs beside its own. A worker nobody takes keeps nothing alive
 * and goes away with the process. Calling it again while one waits does nothing.
 */
export function prestartPgliteWorker(): void {
  if (prestarted) return;
  const worker = startWorker({ prestart: true });
  worker.unref();
  // A prestarted worker that failed is dropped; the open starts a new one (and reports why).
  const drop = () => {
    if (prestarted === worker) prestarted = undefined;
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  prestarted = worker;
}

/** The prestarted worker, told which database to open; else a new worker that opens it. */
function workerFor(folder: string, schemaName: string | undefined): Worker {
  const worker = prestarted;
  prestarted = undefined;
  if (!worker) return startWorker({ folder, schemaName });
  worker.ref();
  worker.postMessage({ open: { folder, schemaName } } satisfies OpenRequest);
  return worker;
}

/**
 * Opens the embedded database in a worker thread and returns a {@link Storage} whose calls are
 * answered there, at once: opening continues in the background (calls queue behind it, in
 * order), and a database that cannot open makes every call reject with the reason. Arguments
 * and results cross the thread boundary by structured clone. `close()` closes the database,
 * ends the worker and releases the folder's lock.
 */
export async function openPgliteInWorker(folder: string, schemaName: string | undefined, releaseLock: () => void): Promise<Storage> {
  const worker = workerFor(folder, schemaName);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  let closed = false;

  const opened = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(toError(reply.error));
  });
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => failAll(new StorageError('storage_open_failed', `the embedded database worker crashed: ${error.message}`)));
  worker.on('exit', (code) => {
    if (!closed) failAll(new StorageError('storage_open_failed', `the embedded database worker stopped unexpectedly (exit code ${code})`));
  });

  const call = (method: WorkerMethod, args: unknown[]): Promise<unknown> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  };

  // The database opens in the background: calls posted meanwhile wait in the worker's queue and
  // run in order once it is open, so a caller can start its own work at once. A failure to open
  // rejects every call with the reason.
  opened.catch((error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  });

  // Values cloned from the worker are built in Node's main realm; rebuild Dates and Sets here so
  // `instanceof` holds in every realm the caller may run in (a test runner's VM context, say).
  const reviveRun = <T extends { startedAt: Date; finishedAt: Date | null } | undefined>(run: T): T =>
    run && { ...run, startedAt: new Date(run.startedAt.getTime()), finishedAt: run.finishedAt && new Date(run.finishedAt.getTime()) };

  const reviveResult = (result: ResultRecord): ResultRecord => ({ ...result, createdAt: new Date(result.createdAt.getTime()) });
  const reviveRequest = (request: RequestRecord): RequestRecord => ({ ...request, at: new Date(request.at.getTime()) });
  const reviveKey = (key: GatewayKeyRecord): GatewayKeyRecord => ({
    ...key,
    createdAt: new Date(key.createdAt.getTime()),
    revokedAt: key.revokedAt && new Date(key.revokedAt.getTime()),
  });

  const revivePoint = (point: MetricPointRecord): MetricPointRecord => ({
    ...point,
    start: new Date(point.start.getTime()),
    errors: { ...point.errors },
    latency: point.latency.map((part) => new Uint8Array(part)),
    ttft: point.ttft.map((part) => new Uint8Array(part)),
  });

  // Only this process can have the folder open, so holds are kept here, beside the worker.
  const runHolds = createLocalRunHolds();
  let closing: Promise<void> | undefined;
  const storage: Storage = {
    kind: 'pglite',
    location: folder,
    schema: schemaName,
    ordered: true,
    createRun: async (run) => reviveRun((await call('createRun', [run])) as Awaited<ReturnType<Storage['createRun']>>),
    updateRun: (id, update) => call('updateRun', [id, update]) as ReturnType<Storage['updateRun']>,
    getRun: async (idOrPrefix) => reviveRun((await call('getRun', [idOrPrefix])) as Awaited<ReturnType<Storage['getRun']>>),
    listRuns: async (options) => ((await call('listRuns', [options])) as Awaited<ReturnType<Storage['listRuns']>>).map(reviveRun),
    deleteRun: (id) => call('deleteRun', [id]) as ReturnType<Storage['deleteRun']>,
    insertResults: (results) => call('insertResults', [results]) as ReturnType<Storage['insertResults']>,
    listResults: (async (queryOrRunId: unknown, options?: unknown) => {
      const value = (await call('listResults', options === undefined ? [queryOrRunId] : [queryOrRunId, options])) as ResultPage | ResultRecord[];
      if (Array.isArray(value)) return value.map(reviveResult);
      return { results: value.results.map(reviveResult), nextCursor: value.nextCursor };
    }) as Storage['listResults'],
    countResults: (runId, filter) => call('countResults', filter === undefined ? [runId] : [runId, filter]) as ReturnType<Storage['countResults']>,
    aggregateResults: (runId) => call('aggregateResults', [runId]) as ReturnType<Storage['aggregateResults']>,
    describeResultSides: (runIds, options) => call('describeResultSides', options === undefined ? [runIds] : [runIds, options]) as ReturnType<Storage['describeResultSides']>,
    listResultSides: (runIds) => call('listResultSides', [runIds]) as ReturnType<Storage['listResultSides']>,
    pairResults: (request) => call('pairResults', [request]) as ReturnType<Storage['pairResults']>,
    insertRequests: (requests) => call('insertRequests', [requests]) as ReturnType<Storage['insertRequests']>,
    listRequests: async (query) => {
      const page = (await call('listRequests', [query])) as Awaited<ReturnType<Storage['listRequests']>>;
      return { requests: page.requests.map(reviveRequest), nextCursor: page.nextCursor };
    },
    summariseRequests: (query) => call('summariseRequests', [query]) as ReturnType<Storage['summariseRequests']>,
    createKey: async (key) => reviveKey((await call('createKey', [key])) as GatewayKeyRecord),
    listKeys: async (options) => ((await call('listKeys', [options])) as GatewayKeyRecord[]).map(reviveKey),
    revokeKey: async (idNameOrPrefix) => {
      const key = (await call('revokeKey', [idNameOrPrefix])) as GatewayKeyRecord | undefined;
      return key && reviveKey(key);
    },
    addKeySpend: (spend) => call('addKeySpend', [spend]) as ReturnType<Storage['addKeySpend']>,
    auditHead: () => call('auditHead', []) as ReturnType<Storage['auditHead']>,
    appendAudit: (entry) => call('appendAudit', [entry]) as ReturnType<Storage['appendAudit']>,
    listAudit: async (query) => ((await call('listAudit', query === undefined ? [] : [query])) as AuditRecord[]).map((entry) => ({ ...entry, at: new Date(entry.at.getTime()) })),
    recordBatch: (batch) => call('recordBatch', [batch]) as ReturnType<Storage['recordBatch']>,
    listBatches: async (runId, status) =>
      ((await call('listBatches', status === undefined ? [runId] : [runId, status])) as RunBatchRecord[]).map((batch) => ({ ...batch, createdAt: new Date(batch.createdAt.getTime()) })),
    updateBatchStatus: (runId, vendorBatchId, status) => call('updateBatchStatus', [runId, vendorBatchId, status]) as ReturnType<Storage['updateBatchStatus']>,
    completedKeys: async (runId, range) => new Set((await call('completedKeys', range ? [runId, range] : [runId])) as Set<string>),
    deleteErroredResults: (runId) => call('deleteErroredResults', [runId]) as ReturnType<Storage['deleteErroredResults']>,
    writeMetricPoints: (resolution, points, options) => call('writeMetricPoints', options === undefined ? [resolution, points] : [resolution, points, options]) as ReturnType<Storage['writeMetricPoints']>,
    readMetricPoints: async (query) => ((await call('readMetricPoints', [query])) as MetricPointRecord[]).map(revivePoint),
    metricPointsToRollUp: async (options) => ((await call('metricPointsToRollUp', [options])) as MetricPointRecord[]).map(revivePoint),
    markMetricPointsRolledUp: (points) => call('markMetricPointsRolledUp', [points]) as ReturnType<Storage['markMetricPointsRolledUp']>,
    deleteMetricPoints: (resolution, before) => call('deleteMetricPoints', [resolution, before]) as ReturnType<Storage['deleteMetricPoints']>,
    holdRun: (runId, options) => runHolds.hold(runId, options),
    heldRuns: (runIds) => runHolds.held(runIds),
    close: () => {
      closing ??= (async () => {
        try {
          await runHolds.releaseAll();
          await opened.catch(() => undefined);
          if (!failure) await call('close', []);
        } finally {
          closed = true;
          await worker.terminate();
          releaseLock();
        }
      })();
      return closing;
    },
  };
  return storage;
}
