import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/**
 * The `RequestInit` key through which a caller's AbortSignal reaches this fetch (pass it in the
 * SDK's `fetchOptions`). The SDK links a `signal` request option to its own controller with a
 * listener it never removes, so a run-long signal handed to thousands of calls would collect
 * thousands of listeners; this fetch listens to the caller's signal itself and lets go after
 * every call.
 */
export const CALLER_SIGNAL = 'llmLabCallerSignal';

/**
 * The `RequestInit` key of a whole-call deadline in milliseconds: past it the request is
 * destroyed and the fetch rejects with a `TypeError` whose cause says it timed out (as the built-in
 * fetch reports a connect timeout). For callers that post without the SDK and its timer.
 */
export const TIMEOUT_MS = 'llmLabTimeoutMs';

type NodeFetchInit = RequestInit & { [CALLER_SIGNAL]?: AbortSignal; [TIMEOUT_MS]?: number };

/**
 * A `fetch` for the openai SDK built on Node's http/https modules with keep-alive agents. The
 * SDK stays the client (it builds every request, parses every answer and maps errors); this
 * only moves bytes. It exists for speed: Node's built-in fetch (undici behind WHATWG streams)
 * costs about 0.6 ms of CPU per call, which dominates a benchmark of thousands of short calls;
 * this costs a fraction of that. Whole answers are buffered (so the SDK's timeout covers the
 * body too) and handed over as a {@link BufferedResponse}; event streams are handed over as they
 * arrive, as a {@link StreamedResponse} (whose Node stream a caller may read without the WHATWG
 * stream adapters). Request bodies that are not strings or bytes (multipart
 * uploads for the Batch API) go to the built-in fetch.
 */
export function createNodeHttpFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  // A client calls a handful of URLs thousands of times: parse each once (only read, never changed).
  const parsed = new Map<string, URL>();
  const parse = (input: string): URL => {
    let url = parsed.get(input);
    if (url === undefined) {
      url = new URL(input);
      if (parsed.size >= 64) parsed.clear();
      parsed.set(input, url);
    }
    return url;
  };

  return function nodeHttpFetch(input: string | URL | Request, requestInit: NodeFetchInit = {}): Promise<Response> {
    const { [CALLER_SIGNAL]: callerSignal, [TIMEOUT_MS]: timeoutMs, ...init } = requestInit;
    const body = init.body;
    if (input instanceof Request || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))) {
      return fetch(input, { ...init, ...(callerSignal ? { signal: anySignal(init.signal, callerSignal) } : {}) });
    }
    const url = typeof input === 'string' ? parse(input) : input;
    const signals: AbortSignal[] = [];
    if (init.signal != null) signals.push(init.signal);
    if (callerSignal != null) signals.push(callerSignal);
    return new Promise<Response>((resolve, reject) => {
      const aborted = signals.find((signal) => signal.aborted);
      if (aborted) {
        reject(abortError(aborted));
        return;
      }
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(
        {
          agent: secure ? agents.https : agents.http,
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: init.method ?? 'GET',
          headers: plainHeaders(init.headers),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          const statusText = response.statusMessage ?? '';
          const nullBody = status === 204 || status === 304 || (init.method ?? 'GET').toUpperCase() === 'HEAD';
          if (nullBody) {
            response.resume();
            settle();
            resolve(new BufferedResponse(url.href, status, statusText, response.headers, null) as unknown as Response);
            return;
          }
          if ((response.headers['content-type'] ?? '').includes('text/event-stream')) {
            // The body is read later, by the SDK's stream: keep listening until it ends.
            unlisten();
            const onStreamAbort = (event: Event) => response.destroy(abortError(event.target as AbortSignal));
            for (const signal of signals) signal.addEventListener('abort', onStreamAbort, { once: true });
            response.once('close', () => {
              for (const signal of signals) signal.removeEventListener('abort', onStreamAbort);
            });
            resolve(new StreamedResponse(url.href, status, statusText, response.headers, response) as unknown as Response);
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () => {
            settle();
            const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            resolve(new BufferedResponse(url.href, status, statusText, response.headers, bytes) as unknown as Response);
          });
          response.once('error', (error) => {
            settle();
            reject(new TypeError('fetch failed', { cause: error }));
          });
          response.once('aborted', () => {
            settle();
            reject(new TypeError('fetch failed', { cause: new Error('the connection closed before the answer was complete') }));
          });
        },
      );
      let done = false;
      const onAbort = (event: Event) => {
        if (done) return;
        settle();
        request.destroy();
        reject(abortError(event.target as AbortSignal));
      };
      const unlisten = () => {
        for (const signal of signals) signal.removeEventListener('abort', onAbort);
      };
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        done = true;
        unlisten();
        if (timer !== undefined) clearTimeout(timer);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (done) return;
          settle();
          request.destroy();
          reject(new TypeError('fetch failed', { cause: new Error(`the request timed out after ${timeoutMs} ms`) }));
        }, timeoutMs);
      }
      for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
      request.once('error', (error) => {
        if (done) return;
        settle();
        // Like the built-in fetch: connection failures are a TypeError whose cause says why.
        const abortedBy = signals.find((signal) => signal.aborted);
        reject(abortedBy ? abortError(abortedBy) : new TypeError('fetch failed', { cause: error }));
      });
      request.end(body ?? undefined);
    });
  };
}

/** Request headers as node:http takes them; the SDK hands over a `Headers`, walked without a copy. */
function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  // A plain object of lower-case names (a caller posting without the SDK) is used as it is.
  if (headers !== undefined && !(headers instanceof Headers) && !Array.isArray(headers)) return headers as Record<string, string>;
  const plain: Record<string, string> = {};
  if (headers === undefined) return plain;
  const source = headers instanceof Headers ? headers : new Headers(headers);
  source.forEach((value, name) => {
    plain[name] = value;
  });
  return plain;
}

/**
 * The read-only `Headers` surface over node:http's parsed headers (names already lower case;
 * repeated headers joined with ", " as `Headers.get` does). Making a WHATWG `Headers` per answer
 * validates and copies every header again, a measurable share of a short call.
 */
export class ResponseHeaders implements Iterable<[string, string]> {
  readonly #raw: IncomingHttpHeaders;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    const value = this.#raw['set-cookie'];
    return value === undefined ? [] : Array.isArray(value) ? [...value] : [value];
  }

  forEach(callback: (value: string, name: string, headers: ResponseHeaders) => void): void {
    for (const [name, value] of this) callback(value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    const names = Object.keys(this.#raw).sort();
    for (const name of names) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * The `Response` surface the SDK reads (status, ok, headers, url, text/json/arrayBuffer, body),
 * over node:http's answer. The body is read once, as with fetch.
 */
abstract class NodeResponse {
  readonly ok: boolean;
  readonly headers: ResponseHeaders;
  readonly redirected = false;
  readonly type = 'basic';
  protected used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: IncomingHttpHeaders,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new ResponseHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The whole body (once). */
  protected abstract take(): Promise<Buffer>;

  async text(): Promise<string> {
    return (await this.take()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse((await this.take()).toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], { type: this.headers.get('content-type') ?? '' });
  }

  protected markUsed(): void {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
  }
}

/** A {@link NodeResponse} over a body that has already arrived whole. */
export class BufferedResponse extends NodeResponse {
  #bytes: Buffer | null;
  #stream: ReadableStream<Uint8Array> | null | undefined;

  constructor(url: string, status: number, statusText: string, headers: IncomingHttpHeaders, bytes: Buffer | null) {
    super(url, status, statusText, headers);
    this.#bytes = bytes;
  }

  /** The body as a stream (made on first use; the SDK only asks for it to cancel a retried answer). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === undefined) {
      if (this.#bytes === null || this.used) this.#stream = null;
      else {
        const bytes = this.#takeNow();
        this.#stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
            controller.close();
          },
        });
      }
    }
    return this.#stream;
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.');
    const raw: IncomingHttpHeaders = {};
    for (const [name, value] of this.headers) raw[name] = value;
    return new BufferedResponse(this.url, this.status, this.statusText, raw, this.#bytes);
  }

  protected async take(): Promise<Buffer> {
    return this.#takeNow();
  }

  #takeNow(): Buffer {
    this.markUsed();
    return this.#bytes ?? Buffer.alloc(0);
  }
}

/**
 * A {@link NodeResponse} over an event stream still arriving. `nodeBody` is node:http's own
 * stream (an `AsyncIterable<Buffer>`), for callers that parse the events themselves: it skips
 * the WHATWG stream adapters, which cost more CPU than the parsing. `body` makes that adapter on
 * first use (the SDK reads it). Either way the caller's signal and the deadline destroy the
 * stream, which then fails with the AbortError; a connection lost mid-stream fails it too.
 */
export class StreamedResponse extends NodeResponse {
  readonly #message: IncomingMessage;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(url: string, status: number, statusText: string, headers: IncomingHttpHeaders, message: IncomingMessage) {
    super(url, status, statusText, headers);
    this.#message = message;
  }

  /** node:http's body stream, read without WHATWG streams (once, as `body`). */
  get nodeBody(): AsyncIterable<Buffer> {
    this.markUsed();
    return this.#message;
  }

  get body(): ReadableStream<Uint8Array> {
    if (this.#stream === undefined) {
      this.markUsed();
      this.#stream = Readable.toWeb(this.#message) as ReadableStream<Uint8Array>;
    }
    return this.#stream;
  }

  protected async take(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.nodeBody) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}

/** A signal that aborts when either does (for the built-in fetch fallback). */
function anySignal(first: AbortSignal | null | undefined, second: AbortSignal): AbortSignal {
  return first ? AbortSignal.any([first, second]) : second;
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}
