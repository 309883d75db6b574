/**
 * The HTTP plumbing every testkit fake server shares, and that a plugin author can build a fake
 * of their own vendor on: listening on 127.0.0.1, reading and recording requests, the
 * {@link FakeServerStats} counters, the fault queue and seeded fault rate, latency that `close()`
 * cuts short, streamed answers (SSE or NDJSON frames) that can be cut off, and a `close()` that
 * ends hanging requests. A vendor's fake supplies only its wire format: routes, bodies, headers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeServerControl, FakeServerStats, RecordedRequest } from './fake-server-control.js';
import { seededRandom, type Fault, type HttpErrorFault } from './faults.js';

/** One request being answered. */
export interface FakeExchange<R extends RecordedRequest = RecordedRequest> {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The request as recorded (also in the server's `requests`). */
  readonly record: R;
  /** The parsed URL (`searchParams` holds the query). */
  readonly url: URL;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** Why the body is not JSON, when there was a body and it did not parse; undefined otherwise. */
  readonly parseError: string | undefined;
}

/** Options of {@link createFakeHttpServer}. Every option is optional. */
export interface FakeHttpServerOptions<R extends RecordedRequest = RecordedRequest, F extends { type: string } = Fault> {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Most requests kept in `requests` (the oldest are dropped). Default 10,000. */
  maxRecordedRequests?: number;
  /** Share (0–1) of {@link FakeHttpServer.nextFault} draws that return `fault`, from a generator seeded with `seed`. Default 0. */
  faultRate?: number;
  /** The fault used by `faultRate`. Default a 500 `http-error`. */
  fault?: F;
  /** Seed of the `faultRate` draws. Default 1. */
  seed?: number;
  /** Turns the standard record into the vendor's (e.g. adds the model named in the path); runs before it is stored. */
  describe?(record: RecordedRequest, url: URL): R;
}

/** What {@link FakeHttpServer.applyFault} does for the faults that answer. */
export interface FaultAnswers {
  /** Milliseconds waited before an answering fault (the server's latency). */
  latencyMs: number;
  /** Writes the vendor's error answer for an `http-error` fault. */
  httpError(fault: HttpErrorFault): void | Promise<void>;
  /** Writes a 200 whose body is not valid JSON. */
  invalidJson(): void | Promise<void>;
  /** Writes the normal answer, cut off after `afterChunks` frames (or half the body). */
  truncate(afterChunks: number): void | Promise<void>;
}

/** A fake server's state and tools; `listen` starts it. */
export interface FakeHttpServer<R extends RecordedRequest = RecordedRequest, F extends { type: string } = Fault> {
  /** `http://host:port` once listening ('' before). */
  readonly url: string;
  /** The port once listening (0 before). */
  readonly port: number;
  /** Every request received since start or the last `reset()`, oldest first. */
  readonly requests: readonly R[];
  readonly stats: FakeServerStats;
  /** True once `close()` was called: long answers stop writing. */
  readonly closed: boolean;
  /** Queues a fault for {@link nextFault}; queued faults are used in order. */
  enqueueFault(fault: F): void;
  /** The next fault to apply: a queued one, else one drawn at `faultRate`, else undefined. */
  nextFault(): F | HttpErrorFault | undefined;
  /** The queued fault `nextFault` would return next, without taking it. */
  peekQueuedFault(): F | undefined;
  /** Resolves after `ms` milliseconds, or at once when `close()` is called first. */
  sleep(ms: number): Promise<void>;
  /**
   * Applies one of the neutral faults: `hang` leaves the request open (until the client gives up
   * or `close()`), `reset` destroys the socket, the others wait `latencyMs` and answer as `answers` says.
   */
  applyFault(fault: Fault, response: ServerResponse, answers: FaultAnswers): Promise<void>;
  /**
   * Writes a 200 with `headers`, then `frames` (SSE events, NDJSON lines), `delayMs` apart (all at
   * once by default). With `cut`, the socket is destroyed after the last frame instead of the
   * answer being ended, as a connection lost mid-stream.
   */
  writeStream(response: ServerResponse, headers: Record<string, string>, frames: readonly string[], options?: { delayMs?: number; cut?: boolean }): Promise<void>;
  /** Registers a hook run by `reset()` (a vendor's own queues and counters). */
  onReset(hook: () => void): void;
  /** Forgets recorded requests, counters and queued faults, restarts the fault draws, and runs the `onReset` hooks. */
  reset(): void;
  /**
   * Starts listening and answers every request with `handle` (after it is counted and recorded).
   * When `handle` throws before anything was sent, `onError` answers (default: a plain-text 500).
   */
  listen(handle: (exchange: FakeExchange<R>) => unknown, onError?: (response: ServerResponse, error: unknown) => void): Promise<void>;
  /** Ends every open connection (hanging requests included), cuts pending sleeps short and frees the port. */
  close(): Promise<void>;
}

/** Writes a whole answer with its `content-length` (nothing when the client is gone). */
export function writeBody(response: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (response.destroyed) return;
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Announces the whole `text` but writes only its first half, then destroys the socket: a body cut off in transit. */
export function writeHalfBody(response: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (response.destroyed) return;
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
}

/** The first value of a request header (lowercase `name`). */
export function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Error: message` of a thrown value, for a fake's own 500 bodies. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Makes a fake HTTP server's state and tools; call `listen(handle)` to start it. A vendor's fake
 * reads its requests from the exchange, answers with `writeBody`/`writeStream`, and takes faults
 * with `nextFault`/`applyFault`; its public handle is made with {@link fakeServerHandle}.
 */
export function createFakeHttpServer<R extends RecordedRequest = RecordedRequest, F extends { type: string } = Fault>(
  options: FakeHttpServerOptions<R, F> = {},
): FakeHttpServer<R, F> {
  const maxRecorded = options.maxRecordedRequests ?? 10_000;
  let random = seededRandom(options.seed ?? 1);
  const queuedFaults: F[] = [];
  const recorded: R[] = [];
  const stats: FakeServerStats = { requests: 0, inFlight: 0, maxInFlight: 0, connections: 0, rateLimited: 0 };
  const timers = new Map<NodeJS.Timeout, () => void>();
  const resetHooks: Array<() => void> = [];
  let closed = false;
  let url = '';
  let port = 0;

  const server = createServer({ keepAlive: true });
  server.on('connection', () => {
    stats.connections += 1;
  });
  // Longer than undici's default idle time so the client, not the server, closes idle sockets.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;

  const sleep = (ms: number): Promise<void> =>
    ms <= 0 || closed
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.set(timer, resolve);
        });

  const receive = async (request: IncomingMessage, response: ServerResponse): Promise<FakeExchange<R>> => {
    const startedAt = performance.now();
    stats.requests += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    response.on('close', () => {
      stats.inFlight -= 1;
    });
    const rawBody = await readBody(request);
    let body: unknown;
    let parseError: string | undefined;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch (error) {
        parseError = messageOf(error);
      }
    }
    const requestUrl = new URL(request.url ?? '/', 'http://fake.invalid');
    const base: RecordedRequest = {
      method: request.method ?? 'GET',
      path: requestUrl.pathname,
      query: Object.fromEntries(requestUrl.searchParams),
      headers: { ...request.headers },
      body,
      rawBody,
      receivedAt: Date.now(),
    };
    const record = options.describe ? options.describe(base, requestUrl) : (base as R);
    recorded.push(record);
    if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);
    return { request, response, record, url: requestUrl, startedAt, parseError };
  };

  return {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    get requests() {
      return recorded;
    },
    stats,
    get closed() {
      return closed;
    },
    enqueueFault(fault) {
      queuedFaults.push(fault);
    },
    nextFault() {
      const queued = queuedFaults.shift();
      if (queued !== undefined) return queued;
      if (options.faultRate !== undefined && options.faultRate > 0 && random() < options.faultRate) {
        return options.fault ?? { type: 'http-error', status: 500 };
      }
      return undefined;
    },
    peekQueuedFault: () => queuedFaults[0],
    sleep,
    async applyFault(fault, response, answers) {
      switch (fault.type) {
        case 'hang':
          return; // the response stays open until the client gives up or close() ends it
        case 'reset':
          response.socket?.destroy();
          return;
        case 'http-error':
          await sleep(answers.latencyMs);
          return answers.httpError(fault);
        case 'invalid-json':
          await sleep(answers.latencyMs);
          return answers.invalidJson();
        case 'truncate-stream':
          await sleep(answers.latencyMs);
          return answers.truncate(fault.afterChunks ?? 2);
        default: {
          const exhaustive: never = fault;
          return exhaustive;
        }
      }
    },
    async writeStream(response, headers, frames, streamOptions = {}) {
      if (response.destroyed) return;
      response.writeHead(200, headers);
      const finish = () => (streamOptions.cut ? response.write('', () => response.socket?.destroy()) : response.end());
      const delayMs = streamOptions.delayMs ?? 0;
      if (delayMs <= 0) {
        response.write(frames.join(''));
        finish();
        return;
      }
      for (const [index, frame] of frames.entries()) {
        if (index > 0) await sleep(delayMs);
        if (response.destroyed || closed) return;
        response.write(frame);
      }
      finish();
    },
    onReset(hook) {
      resetHooks.push(hook);
    },
    reset() {
      recorded.length = 0;
      queuedFaults.length = 0;
      stats.requests = 0;
      stats.maxInFlight = stats.inFlight;
      stats.connections = 0;
      stats.rateLimited = 0;
      random = seededRandom(options.seed ?? 1);
      for (const hook of resetHooks) hook();
    },
    async listen(handle, onError) {
      server.on('request', (request: IncomingMessage, response: ServerResponse) => {
        receive(request, response)
          .then(handle)
          .catch((error: unknown) => {
            if (response.headersSent || response.destroyed) return;
            if (onError) return onError(response, error);
            writeBody(response, 500, `The fake server failed: ${messageOf(error)}`, { 'content-type': 'text/plain; charset=utf-8' });
          });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      port = address.port;
      url = `http://${host}:${address.port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The members of {@link FakeServerControl} a vendor's handle takes from the base server. */
export type FakeServerBase<R extends RecordedRequest, F> = Omit<FakeServerControl, 'requests' | 'enqueueFault'> & {
  readonly port: number;
  readonly requests: readonly R[];
  enqueueFault(fault: F): void;
};

/**
 * A vendor fake's public handle: the {@link FakeServerControl} members of `server` (`url`,
 * `port`, `requests`, `stats`, `enqueueFault`, `reset`, `close`, read live; `server` is a
 * {@link FakeHttpServer} or another handle) plus `extras`, which may replace any of them (e.g. a
 * `url` with the vendor's path). Nothing else of `server` is exposed.
 */
export function fakeServerHandle<R extends RecordedRequest, F, E extends object>(server: FakeServerBase<R, F>, extras: E): FakeServerBase<R, F> & NoInfer<E> {
  const base = {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    get requests() {
      return server.requests;
    },
    stats: server.stats,
    enqueueFault: (fault: F) => server.enqueueFault(fault),
    reset: () => server.reset(),
    close: () => server.close(),
  };
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(extras)) as FakeServerBase<R, F> & E;
}

/**
 * A sliding window of admitted requests, for a fake's requests-per-minute limit. `admit` admits
 * one more request now, or says how long until the oldest leaves the window.
 */
export class RequestWindow {
  private readonly admitted: number[] = [];

  constructor(
    /** Requests admitted per window; undefined means no limit. */
    readonly limit: number | undefined,
    readonly windowMs: number = 60_000,
  ) {}

  /** Requests admitted within the window (1 when there is no limit). */
  get used(): number {
    return this.limit === undefined ? 1 : this.admitted.length;
  }

  /** When the oldest admitted request arrived, if the window has any. */
  get oldest(): number | undefined {
    return this.admitted[0];
  }

  /** Admits a request at `now`: undefined when admitted, else the wait in milliseconds until one would be. */
  admit(now: number = Date.now()): number | undefined {
    if (this.limit === undefined) return undefined;
    while (this.admitted.length > 0 && (this.admitted[0] as number) <= now - this.windowMs) this.admitted.shift();
    if (this.admitted.length < this.limit) {
      this.admitted.push(now);
      return undefined;
    }
    return (this.admitted[0] as number) + this.windowMs - now;
  }

  clear(): void {
    this.admitted.length = 0;
  }
}
