import { sanitise, sanitiseValue } from '@llm-lab/core';
import type { NewRequest, NewResult, NewRun, RunUpdate, Storage } from '@llm-lab/storage';

/**
 * The write path of every storage the lab opens (`Lab.openStorage`, which every run, worker,
 * gateway and CLI command uses): each text a row keeps passes through the sanitiser of
 * `@llm-lab/security` before it reaches a table, so no API key,
 * password or token is stored, whoever writes (a run, a worker, the gateway with
 * `--keep-bodies`). Run here, in the caller's thread, where the secrets were registered (the
 * embedded database's worker thread knows none).
 *
 * Identities are left alone: case ids, provider labels, run ids (a resume matches them), and
 * gateway key rows (hashes and display prefixes only).
 */
const writes = {
  createRun: (run: NewRun): [NewRun] => [
    {
      ...run,
      ...(typeof run.description === 'string' ? { description: sanitise(run.description) } : {}),
      config: sanitiseValue(run.config),
      resolvedConfig: sanitiseValue(run.resolvedConfig),
    },
  ],
  updateRun: (id: string, update: RunUpdate): [string, RunUpdate] => [
    id,
    {
      ...update,
      ...(update.summary !== undefined ? { summary: sanitiseValue(update.summary) } : {}),
      ...(typeof update.error === 'string' ? { error: sanitise(update.error) } : {}),
    },
  ],
  insertResults: (results: NewResult[]): [NewResult[]] => [results.map(storableResult)],
  insertRequests: (requests: NewRequest[]): [NewRequest[]] => [requests.map(storableRequest)],
} satisfies Partial<{ [K in keyof Storage]: (...args: never[]) => unknown[] }>;

function storableResult(result: NewResult): NewResult {
  const cleaned = {
    prompt: sanitiseValue(result.prompt),
    vars: sanitiseValue(result.vars),
    output: sanitiseValue(result.output),
    scores: sanitiseValue(result.scores),
    errorMessage: sanitiseValue(result.errorMessage),
    warnings: sanitiseValue(result.warnings),
  };
  for (const key of Object.keys(cleaned) as Array<keyof typeof cleaned>) {
    if (cleaned[key] !== result[key]) return { ...result, ...cleaned };
  }
  return result;
}

/** A gateway request: its kept bodies, and the names a caller chose (an unknown model is recorded as its route). */
function storableRequest(request: NewRequest): NewRequest {
  const cleaned = {
    route: sanitiseValue(request.route),
    label: sanitiseValue(request.label),
    model: sanitiseValue(request.model),
    requestBody: sanitiseValue(request.requestBody),
    responseBody: sanitiseValue(request.responseBody),
  };
  for (const key of Object.keys(cleaned) as Array<keyof typeof cleaned>) {
    if (cleaned[key] !== request[key]) return { ...request, ...cleaned };
  }
  return request;
}

/**
 * `storage` with its writes sanitised (see above); every other member is the storage's own, read
 * through to it (a method is called with the wrapper as `this`, whose fields are the storage's).
 * A function set on the instance itself (a test's spy, which wraps what it replaced) is returned
 * as it is.
 */
export function sanitiseWrites(storage: Storage): Storage {
  const cleaners = writes as Record<PropertyKey, ((...args: unknown[]) => unknown[]) | undefined>;
  const wrapped = new Map<PropertyKey, { method: unknown; wrapper: unknown }>();
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const clean = Object.hasOwn(cleaners, property) ? cleaners[property] : undefined;
      if (typeof value !== 'function' || clean === undefined || Object.hasOwn(target, property)) return value;
      const known = wrapped.get(property);
      if (known?.method === value) return known.wrapper;
      const method = value as (...args: unknown[]) => unknown;
      const wrapper = function (this: unknown, ...args: unknown[]) {
        return method.apply(this, clean(...args));
      };
      wrapped.set(property, { method: value, wrapper });
      return wrapper;
    },
  });
}
