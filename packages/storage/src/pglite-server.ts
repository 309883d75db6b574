import { type Server, type Socket, createServer } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves one PGlite database to other processes over the PostgreSQL wire protocol, so that any
 * PostgreSQL client (here: the `pg` pool of the server backend, or psql) can use it while its
 * owner keeps using it too.
 *
 * PGlite is one PostgreSQL session. Clients are therefore served one at a time, and a client
 * keeps the database from the first message of a request until PostgreSQL is ready for the next
 * one outside a transaction: an extended-protocol request (Parse … Sync) or a simple Query runs
 * whole, a transaction (BEGIN … COMMIT) runs whole, and no other client's message can slip in
 * between — not another client's Parse of the unnamed statement between this one's Parse and
 * Bind, nor its statements into this one's transaction. The owner's own calls take the same
 * {@link Mutex}. A client that disconnects in a transaction has it rolled back.
 *
 * Written here rather than taken from @electric-sql/pglite-socket: that package's multiplexer
 * queues single protocol messages, so two clients' extended-protocol messages interleave; and
 * it pins exact versions of PGlite and seven extension packages as peers (see the README).
 */

/** One-at-a-time access to the embedded database, shared by the owner's calls and its clients. */
export interface Mutex {
  /** Resolves with a release function once every earlier holder has released. */
  acquire(): Promise<() => void>;
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createMutex(): Mutex {
  let tail: Promise<void> = Promise.resolve();
  const acquire = (): Promise<() => void> => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      let done = false;
      release = () => {
        if (done) return;
        done = true;
        resolve();
      };
    });
    const ready = tail.then(() => release);
    tail = tail.then(() => released);
    return ready;
  };
  return {
    acquire,
    async run(work) {
      const release = await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

/** Where a served database listens: a unix socket (`host` is its folder, pg's convention) or TCP. */
export type ServedAddress = { socketDir: string; port: number } | { host: string; port: number };

/** The port number in the unix socket's name (`.s.PGSQL.<port>`), as PostgreSQL names its own. */
export const SOCKET_PORT = 5432;
/** A unix socket path longer than this does not fit in sockaddr_un on Linux and macOS (104). */
const MAX_SOCKET_PATH = 100;

export interface PgliteServer {
  readonly address: ServedAddress;
  /** Connections being served now. */
  connections(): number;
  /**
   * Stops serving: takes no new connections, lets each connection finish the request or
   * transaction it is in, answers nothing more, and closes every connection. A client never
   * loses an answer to a request that ran: what it gets no answer to did not run.
   */
  close(): Promise<void>;
}

/** How long a stopping server waits for a client that keeps a transaction open without a word. */
const FINISH_TIMEOUT_MS = 30_000;
const SSL_REQUEST = 80877103;
const GSS_ENCRYPTION_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/**
 * Starts serving `db` on a unix socket in `folder` (`.s.PGSQL.5432`), or on 127.0.0.1 at a free
 * port when that path would be too long for a unix socket.
 */
export async function servePglite(db: PGlite, folder: string, mutex: Mutex): Promise<PgliteServer> {
  const sockets = new Set<Socket>();
  const connections = new Set<Connection>();
  let stopping = false;
  const server: Server = createServer((socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(db, socket, mutex, () => stopping);
    connections.add(connection);
    sockets.add(socket);
    socket.once('close', () => {
      connections.delete(connection);
      sockets.delete(socket);
    });
  });
  server.on('error', () => undefined);
  // Serving others never keeps the owner's process alive by itself; a request in progress does.
  server.unref();

  const socketPath = `${folder}/.s.PGSQL.${SOCKET_PORT}`;
  let address: ServedAddress;
  if (socketPath.length <= MAX_SOCKET_PATH) {
    await listen(server, socketPath);
    address = { socketDir: folder, port: SOCKET_PORT };
  } else {
    await listen(server, { host: '127.0.0.1', port: 0 });
    const bound = server.address();
    if (bound === null || typeof bound !== 'object') throw new Error('the embedded database server has no TCP address');
    address = { host: '127.0.0.1', port: bound.port };
  }

  return {
    address,
    connections: () => connections.size,
    async close() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.finish()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function listen(server: Server, where: string | { host: string; port: number }): Promise<void> {
  const attempt = () =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      const done = () => {
        server.removeListener('error', onError);
        resolve();
      };
      if (typeof where === 'string') server.listen(where, done);
      else server.listen(where.port, where.host, done);
    });
  try {
    await attempt();
  } catch (error) {
    // A socket file left by an owner that died: whoever serves holds the folder's lock, so it is stale.
    if (typeof where !== 'string' || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const { unlinkSync } = await import('node:fs');
    unlinkSync(where);
    await attempt();
  }
}

/** One client connection: frames its messages and runs each request whole, under the mutex. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private pending: Buffer[] = [];
  /** Set while this connection holds the database (inside a request or a transaction). */
  private release: (() => void) | undefined;
  private work: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly db: PGlite,
    private readonly socket: Socket,
    private readonly mutex: Mutex,
    private readonly stopping: () => boolean,
  ) {
    socket.setNoDelay(true);
    socket.unref();
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.work = this.work.then(() => this.drain()).catch(() => this.end());
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.work = this.work.then(() => this.abandon());
    });
  }

  /**
   * Waits for the request or transaction in progress, then ends the connection. A client that
   * keeps a transaction open without sending anything for {@link FINISH_TIMEOUT_MS} is cut off
   * (its transaction is rolled back).
   */
  async finish(): Promise<void> {
    await this.work;
    if (this.release) {
      const deadline = Date.now() + FINISH_TIMEOUT_MS;
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (!this.release || this.ended || Date.now() > deadline) {
            clearInterval(check);
            resolve();
          }
        }, 20);
      });
      await this.work;
    }
    this.end();
    await this.work;
    if (this.release) await this.abandon();
  }

  private end(): void {
    this.ended = true;
    this.socket.end();
  }

  /** The client went away: roll back what it left open and give the database back. */
  private async abandon(): Promise<void> {
    if (!this.release) return;
    try {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } finally {
      this.release();
      this.release = undefined;
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.ended) return;
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (this.buffer.length < length) return;
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSS_ENCRYPTION_REQUEST) {
          this.socket.write('N'); // no encryption on a local socket; the client goes on in plain text
          continue;
        }
        if (code === CANCEL_REQUEST || code !== PROTOCOL_3) {
          // PGlite has no backend to signal; an unknown protocol version cannot be served.
          this.end();
          return;
        }
        // A new client while stopping: it gets no answer, so it knows nothing ran.
        if (this.stopping() && !this.release) return this.end();
        this.started = true;
        await this.runRequest([Buffer.from(message)], true);
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0] ?? 0);
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) return;
      const message = Buffer.from(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      if (type === 'X') {
        // Terminate: the socket's close rolls back an open transaction.
        this.end();
        return;
      }
      this.pending.push(message);
      // Sync and Query end a request; Flush asks for what is ready without ending it.
      if (type === 'S' || type === 'Q' || type === 'H') {
        const batch = this.pending;
        this.pending = [];
        await this.runRequest(batch, type !== 'H');
      }
    }
  }

  private async runRequest(messages: Buffer[], ends: boolean): Promise<void> {
    if (!this.release) {
      // Between requests, a stopping server answers nothing more: the client sees the connection
      // end without an answer, and what it sent did not run.
      if (this.stopping()) return this.end();
      this.socket.ref();
      this.release = await this.mutex.acquire();
    }
    if (this.ended) return this.abandon();
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(new Uint8Array(Buffer.concat(messages)), {
          onRawData: (data) => {
            if (!this.ended) this.socket.write(data);
          },
        }),
      );
    } catch (error) {
      await this.abandon();
      this.end();
      throw error;
    }
    if (ends && !this.db.isInTransaction()) {
      this.release();
      this.release = undefined;
      this.socket.unref();
    }
  }
}
