import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { serve } from '@hono/node-server';
import type { ServingConfig } from '@llm-lab/core';
import type { Tracer } from '@opentelemetry/api';
import type { Lab } from '@llm-lab/lab';
import { createAccessHooks, type AccessHooks, type AccessHooksOptions } from './access/access-hooks.js';
import { registerAccessMetrics } from './access/access-metrics.js';
import { createGatewayApp } from './app.js';
import type { GatewayHooks } from './hooks.js';
import { GatewayMetrics } from './metrics.js';
import { enableOtlpExport, type OtlpTracing } from './otlp.js';
import { piiTrafficMask } from './pii-traffic.js';
import { RouteTable } from './routes.js';
import { GatewayTracing } from './tracing.js';

export interface StartGatewayOptions {
  /** The lab whose provider manager serves every call (its one, long-lived manager). The gateway does not close it. */
  lab: Lab;
  /** The config: a file path (relative to the lab's folder), an object, or a parsed serving config. */
  config: string | ServingConfig | Record<string, unknown>;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  hooks?: GatewayHooks;
  /**
   * Virtual keys, budgets, limits and the traffic record (`createAccessHooks`), instead of
   * `hooks`: `true`, or its options. Storage defaults to the lab's (`lab.openStorage()`), keys to
   * `requireKeys: 'once-made'` (see GatewayAccessOptions); the access series join `/metrics`.
   */
  access?: true | GatewayAccessOptions;
  /** Prometheus `/metrics`: on by default; `false` turns it off, or pass your own. */
  metrics?: boolean | GatewayMetrics;
  /** When set, `/metrics` needs `Authorization: Bearer <metricsToken>` (a Prometheus job's `authorization.credentials`). */
  metricsToken?: string;
  /**
   * OpenTelemetry spans (`chat {model}`) through `@opentelemetry/api`: off by default. `true`:
   * exported over OTLP/HTTP when `otlpEndpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` /
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, else given to the tracer provider the process
   * registered. Or pass a tracer of your own.
   */
  tracing?: boolean | Tracer;
  /** The OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`), with `tracing: true`. */
  otlpEndpoint?: string;
  /** On close, how long in-flight calls (streams) get to finish before their connections are cut. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Largest request body, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Serve HTTPS: the certificate (chain) and private key, as PEM text or as files. Default the
   * config's `security.tls` (files relative to the config); without either, plain HTTP.
   */
  tls?: GatewayTls;
}

/** The gateway's certificate and key: PEM text, or the paths of PEM files. */
export type GatewayTls = { cert: string | Buffer; key: string | Buffer } | { certFile: string; keyFile: string };

/** `startGateway`'s `access`: `createAccessHooks`' options, with the lab's storage by default. */
export interface GatewayAccessOptions extends Omit<AccessHooksOptions, 'storage' | 'requireKeys'> {
  storage?: AccessHooksOptions['storage'];
  /**
   * `true`: every call needs a key, even while no key exists. Default (`false`): keys are required
   * as soon as the key table holds one (live or revoked), open until then.
   */
  requireKeys?: boolean;
}

/** After shutdown cuts the calls still running, how long they get to end (and be recorded) before the hooks close. */
const CUT_CALLS_GRACE_MS = 2_000;

/** A running gateway. */
export interface Gateway {
  /** `http://host:port` (`https://` with TLS), the base URL without `/v1`. */
  readonly url: string;
  readonly port: number;
  readonly routes: RouteTable;
  readonly metrics: GatewayMetrics | undefined;
  /** The access hooks, when started with `access`: `keyStatus()`, `stats()`. */
  readonly access: AccessHooks | undefined;
  /** Calls being answered now. */
  inFlight(): number;
  /**
   * Graceful shutdown: stops accepting (new connections, and new calls on open ones get 503),
   * lets in-flight calls finish for up to `shutdownTimeoutMs`, cuts what is left, then awaits the
   * hooks' `close` (the traffic record's flush) and releases the routes' providers.
   */
  close(): Promise<void>;
}

/**
 * Starts the gateway: the config's providers become routes managed by the lab's provider manager
 * (retries, fallbacks, members, rate limits, cache as their entries say), served over HTTP.
 */
export async function startGateway(options: StartGatewayOptions): Promise<Gateway> {
  if (options.access && options.hooks) throw new Error('startGateway: pass either `hooks` or `access`, not both.');
  if (options.metricsToken !== undefined && options.metricsToken.trim() === '') throw new Error('startGateway: metricsToken is empty; pass a token (e.g. `openssl rand -hex 24`) or leave it out.');
  const served = await options.lab.serveProviders(options.config);
  const routes = new RouteTable(served);
  const metrics = options.metrics === false ? undefined : options.metrics instanceof GatewayMetrics ? options.metrics : new GatewayMetrics();
  let access: AccessHooks | undefined;
  if (options.access) {
    try {
      access = await openAccess(options.lab, options.access === true ? {} : options.access, routes);
    } catch (error) {
      await served.group.close();
      throw error;
    }
    if (metrics) registerAccessMetrics(metrics.registry, access);
  }
  const hooks = access ?? options.hooks;
  const stopObserving = metrics ? options.lab.observe(metrics.managerObserver()) : undefined;
  let otlp: OtlpTracing | undefined;
  let tracing: GatewayTracing | undefined;
  if (options.tracing === true) {
    const env = process.env;
    if (options.otlpEndpoint || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
      otlp = await enableOtlpExport(options.otlpEndpoint ? { url: options.otlpEndpoint } : {});
      tracing = new GatewayTracing(otlp.tracer);
    } else {
      tracing = new GatewayTracing();
    }
  } else if (options.tracing) {
    tracing = new GatewayTracing(options.tracing);
  }
  const gateway = createGatewayApp({
    routes,
    ...(hooks ? { hooks } : {}),
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { tracing } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.metricsToken !== undefined ? { metricsToken: options.metricsToken } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  let server: Server;
  let secure = false;
  try {
    const configured = served.config.security?.tls;
    const tls = await readTls(options.tls ?? (configured ? { certFile: resolvePath(served.config.baseDir, configured.cert), keyFile: resolvePath(served.config.baseDir, configured.key) } : undefined));
    secure = tls !== undefined;
    server = await new Promise<Server>((resolve, reject) => {
      const started = serve(
        {
          fetch: gateway.app.fetch,
          port: options.port ?? 4000,
          hostname: host,
          ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
        },
        () => resolve(started as Server),
      ) as Server;
      started.once('error', reject);
    });
  } catch (error) {
    stopObserving?.();
    await otlp?.shutdown();
    await access?.close();
    await served.group.close();
    throw error;
  }
  // Streams can last minutes: no socket timeout of Node's own cuts them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  const close = async () => {
    gateway.setAccepting(false);
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.shutdownTimeoutMs ?? 10_000);
    });
    await Promise.race([gateway.idle(), deadline]);
    clearTimeout(timer);
    server.closeAllConnections();
    await stopped;
    // The calls cut just now end when their aborts reach the providers: wait for them (briefly), so
    // their records reach `onCallEnd` before the hooks flush and close.
    if (gateway.services.inFlight.count > 0) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([gateway.idle(), new Promise<void>((resolve) => (grace = setTimeout(resolve, CUT_CALLS_GRACE_MS)))]);
      clearTimeout(grace);
    }
    // The last calls' `onCallEnd` deliveries were queued with setImmediate: let them run before the hooks flush.
    await new Promise((resolve) => setImmediate(resolve));
    stopObserving?.();
    await hooks?.close?.();
    await otlp?.shutdown();
    await served.group.close();
  };

  return {
    url: `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    routes,
    metrics,
    access,
    inFlight: () => gateway.services.inFlight.count,
    close: () => (closing ??= close()),
  };
}

/** The access hooks over the lab's storage; a `keepBodies` route list must name served routes. */
async function openAccess(lab: Lab, options: GatewayAccessOptions, routes: RouteTable): Promise<AccessHooks> {
  const { storage, requireKeys, ...rest } = options;
  const bodies = rest.traffic?.bodies;
  if (Array.isArray(bodies)) {
    const names = new Set(routes.routes.map((route) => route.name));
    const unknown = (bodies as readonly string[]).filter((name) => !names.has(name));
    if (unknown.length > 0) {
      const message = `Cannot keep the bodies of ${unknown.map((name) => `"${name}"`).join(', ')}: not a model this gateway serves (it serves: ${[...names].join(', ')}).`;
      throw Object.assign(new Error(message), { code: 'gateway_unknown_route' });
    }
  }
  const prepare = piiTrafficMask(routes);
  const traffic = prepare ? { ...rest.traffic, prepare } : rest.traffic;
  const access = createAccessHooks({
    storage: storage ?? (await lab.openStorage()),
    requireKeys: requireKeys ? 'always' : 'once-made',
    ...rest,
    ...(traffic ? { traffic } : {}),
  });
  try {
    // Reads the key table once now: a storage that cannot be read fails the start, not the first call.
    await access.keyStatus();
  } catch (error) {
    await access.close();
    throw error;
  }
  return access;
}

/** The PEM texts of `tls`, read from its files; a file that cannot be read, or text that is not PEM, is an error naming it. */
async function readTls(tls: GatewayTls | undefined): Promise<{ cert: string | Buffer; key: string | Buffer } | undefined> {
  if (!tls) return undefined;
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw Object.assign(new Error(`Cannot read the TLS ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Give a PEM file.`), { code: 'gateway_tls_invalid' });
    }
  };
  const pem = 'certFile' in tls ? { cert: await read(tls.certFile, 'certificate'), key: await read(tls.keyFile, 'key') } : { cert: tls.cert, key: tls.key };
  const where = (what: 'cert' | 'key') => ('certFile' in tls ? (what === 'cert' ? tls.certFile : tls.keyFile) : `(${what} given)`);
  if (!/-----BEGIN CERTIFICATE-----/.test(String(pem.cert))) {
    throw Object.assign(new Error(`The TLS certificate ${where('cert')} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block).`), { code: 'gateway_tls_invalid' });
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(String(pem.key))) {
    throw Object.assign(new Error(`The TLS key ${where('key')} is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block).`), { code: 'gateway_tls_invalid' });
  }
  return pem;
}
