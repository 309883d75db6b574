import { Worker } from 'node:worker_threads';

/**
 * Runs inline checks off the main thread: each call gets a worker thread of its own (taken from a
 * small pool of idle ones), which runs the check in a fresh `node:vm` context. A synchronous
 * endless loop is stopped by the context's time limit; anything else that does not finish in
 * time (a promise that never settles, a loop of promise callbacks, which would starve the main
 * thread if it ran there) is stopped by terminating the worker. Workers are unref'd: idle ones
 * never keep the process alive.
 */

/** The worker's code (CommonJS, run with `eval: true`). Compiled scripts are cached by source. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const vm = require('node:vm');
const scripts = new Map();
parentPort.on('message', async ({ source, json, timeoutMs }) => {
  let script = scripts.get(source);
  if (!script) {
    script = new vm.Script(source, { filename: 'check.js' });
    if (scripts.size >= 100) scripts.delete(scripts.keys().next().value);
    scripts.set(source, script);
  }
  const sandbox = vm.createContext({ __json: json }, { codeGeneration: { strings: false, wasm: false } });
  let answer;
  try {
    let value = script.runInContext(sandbox, { timeout: timeoutMs });
    if (value !== null && typeof value === 'object' && typeof value.then === 'function') value = await value;
    answer = { value: value === undefined ? null : value, undefined: value === undefined };
  } catch (error) {
    answer = { error: String((error && error.message) || error), timedOut: Boolean(error && error.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') };
  }
  // A macrotask first: promise callbacks still looping would never let it run, and the caller's
  // time limit then terminates this worker (the loop is this check's, and it fails).
  await new Promise((resolve) => setImmediate(resolve));
  try {
    parentPort.postMessage(answer);
  } catch (error) {
    parentPort.postMessage({ error: 'the check returned a value that cannot be read (' + String(error && error.message) + '); return true/false, a number or { pass, score, reason }' });
  }
});`;

/** What a check run gives back. */
export type SandboxOutcome = { kind: 'value'; value: unknown } | { kind: 'error'; message: string } | { kind: 'timeout' };

/** Idle workers, reused one call at a time. */
const idle: Worker[] = [];
const MAX_IDLE = 8;

/** An idle worker, or a new one and the moment it is running (its start-up does not count against a check's time). */
function takeWorker(): { worker: Worker; ready: Promise<void> } {
  const reused = idle.pop();
  if (reused) return { worker: reused, ready: Promise.resolve() };
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  return { worker, ready: new Promise((resolve) => worker.once('online', () => resolve())) };
}

function giveBack(worker: Worker): void {
  if (idle.length < MAX_IDLE) idle.push(worker);
  else void worker.terminate();
}

/**
 * Runs `source` (a script whose completion value is the check's result, reading its input from
 * the global `__json`) with `json` as input. Resolves with the value, the error, or `timeout`
 * when it took longer than `timeoutMs` (its worker is then terminated).
 */
export function runInSandbox(source: string, json: string, timeoutMs: number): Promise<SandboxOutcome> {
  const { worker, ready } = takeWorker();
  return new Promise<SandboxOutcome>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: SandboxOutcome, reuse: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (reuse) giveBack(worker);
      else void worker.terminate();
      resolve(outcome);
    };
    const onMessage = (answer: { value?: unknown; undefined?: boolean; error?: string; timedOut?: boolean }) => {
      if (answer.timedOut) finish({ kind: 'timeout' }, true);
      else if (answer.error !== undefined) finish({ kind: 'error', message: answer.error }, true);
      else finish({ kind: 'value', value: answer.undefined ? undefined : answer.value }, true);
    };
    const onError = (error: Error) => finish({ kind: 'error', message: error.message }, false);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ source, json, timeoutMs });
    // The worker's own limit stops a synchronous loop exactly; this one covers the rest (promises),
    // with a second's room for the message hops and the context's creation on a busy machine.
    void ready.then(() => {
      if (!settled) timer = setTimeout(() => finish({ kind: 'timeout' }, false), timeoutMs + 1000);
    });
  });
}
