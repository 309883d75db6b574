import { connect, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** Options of {@link startTlsProxy}. */
export interface TlsProxyOptions {
  /** The server's certificate and key, PEM (e.g. from makeSelfSignedCertificate). */
  cert: string;
  key: string;
  /** Where the plain connection goes, e.g. `{ host: '127.0.0.1', port: 6379 }`. */
  target: { host: string; port: number };
  /**
   * `tls` (default): TLS from the first byte (Redis `rediss://`). `postgres`: PostgreSQL's
   * SSLRequest first (8 bytes, code 80877103), answered `S`, then TLS; a client that starts
   * without it is refused, as a server with `hostssl` only would.
   */
  protocol?: 'tls' | 'postgres';
}

/** A running TLS proxy. */
export interface TlsProxy {
  readonly port: number;
  /** Connections that completed a TLS handshake. */
  readonly tlsConnections: number;
  /** Connections refused because they did not start TLS. */
  readonly refused: number;
  close(): Promise<void>;
}

const SSL_REQUEST_CODE = 80877103;

/**
 * A TLS front for a local plain server (Redis on 6379, PostgreSQL on 5432), so the TLS paths of
 * clients (`rediss://`, `sslmode=verify-full`) are tested against the real servers.
 */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const sockets = new Set<Socket>();
  const stats = { tlsConnections: 0, refused: 0 };
  const pipeToTarget = (secure: TLSSocket) => {
    secure.once('secure', () => {
      stats.tlsConnections += 1;
      const upstream = connect(options.target.port, options.target.host);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => secure.destroy());
      secure.on('error', () => upstream.destroy());
      secure.pipe(upstream).pipe(secure);
    });
    secure.on('error', () => undefined); // a client refusing the certificate ends its handshake
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.protocol !== 'postgres') {
      pipeToTarget(new TLSSocket(socket, { isServer: true, cert: options.cert, key: options.key }));
      return;
    }
    socket.once('readable', function readRequest() {
      const head = socket.read(8) as Buffer | null;
      if (head === null) return void socket.once('readable', readRequest);
      if (head.readInt32BE(0) !== 8 || head.readInt32BE(4) !== SSL_REQUEST_CODE) {
        stats.refused += 1;
        socket.destroy();
        return;
      }
      socket.write('S');
      pipeToTarget(new TLSSocket(socket, { isServer: true, cert: options.cert, key: options.key }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    get tlsConnections() {
      return stats.tlsConnections;
    },
    get refused() {
      return stats.refused;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
