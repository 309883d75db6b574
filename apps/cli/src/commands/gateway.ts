import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { ExitCode, UsageError } from '../errors.js';
import { openLab, type StorageFlags } from './shared.js';

export interface GatewayFlags extends StorageFlags {
  port?: number;
  host?: string;
  shutdownTimeout?: number;
  metrics?: boolean;
  tracing?: boolean;
  otlpEndpoint?: string;
  requireKeys?: boolean;
  metricsToken?: string;
  keepBodies?: string[];
  /** A monitor config: collect the gateway's calls and alert on them in this process. */
  monitor?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The config file used when none is given. */
export const DEFAULT_GATEWAY_CONFIG = 'llm-lab.yaml';

/**
 * `llm-lab gateway [config]`: serves the config's providers as an OpenAI-compatible API until
 * SIGTERM or SIGINT, then shuts down gracefully (in-flight streams finish within
 * --shutdown-timeout) and exits 0.
 */
export async function gatewayCommand(configFile: string | undefined, flags: GatewayFlags): Promise<number> {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError(flags.tlsCert ? '--tls-cert needs --tls-key (the PEM private key of the certificate).' : '--tls-key needs --tls-cert (the PEM certificate).');
  }
  // The CLI lets the old generation grow by only a quarter past what is live (bin.ts), which
  // keeps a run's peak memory down; in a server that lives for days it means a full collection
  // every few seconds under load (6 in 20 s at 400 calls/s, 40 ms of pauses), each a stall for
  // the calls in flight. The gateway goes back to V8's own growth (0 or 2 in the same 20 s).
  setFlagsFromString('--heap-growing-percent=0');
  const { startGateway } = await import('@llm-lab/gateway');
  // A wrong monitor config stops the gateway before it listens.
  if (flags.monitor !== undefined) await (await import('./monitor-start.js')).loadMonitorConfigFor(flags.monitor);
  // The token for /metrics: the flag, else LLM_LAB_METRICS_TOKEN (kept out of the process list).
  const metricsToken = flags.metricsToken ?? (process.env.LLM_LAB_METRICS_TOKEN || undefined);
  if (metricsToken !== undefined && metricsToken.trim() === '') throw new UsageError('--metrics-token is empty: pass a token (e.g. from `openssl rand -hex 24`) or leave the flag out.');
  const lab = await openLab(flags);
  const gateway = await startGateway({
    lab,
    config: configFile ?? DEFAULT_GATEWAY_CONFIG,
    port: flags.port ?? 4000,
    host: flags.host ?? '127.0.0.1',
    ...(flags.shutdownTimeout !== undefined ? { shutdownTimeoutMs: flags.shutdownTimeout } : {}),
    metrics: flags.metrics !== false,
    ...(metricsToken !== undefined ? { metricsToken } : {}),
    tracing: flags.tracing === true || flags.otlpEndpoint !== undefined,
    ...(flags.otlpEndpoint !== undefined ? { otlpEndpoint: flags.otlpEndpoint } : {}),
    ...(flags.tlsCert && flags.tlsKey ? { tls: { certFile: resolve(flags.tlsCert), keyFile: resolve(flags.tlsKey) } } : {}),
    // Keys, limits and the traffic record, on the lab's storage (--database-url, DATABASE_URL, --data-dir, or the embedded database).
    access: {
      requireKeys: flags.requireKeys === true,
      ...(process.env.REDIS_URL ? { redis: process.env.REDIS_URL } : {}),
      ...(flags.keepBodies ? { traffic: { bodies: flags.keepBodies } } : {}),
    },
  }).catch(async (error: unknown) => {
    await lab.close();
    if ((error as { code?: unknown }).code === 'gateway_unknown_route') throw new UsageError(`--keep-bodies: ${(error as Error).message}`);
    if ((error as { code?: unknown }).code === 'gateway_tls_invalid') throw new UsageError((error as Error).message);
    throw error;
  });
  const monitor = flags.monitor !== undefined
    ? await (await import('./monitor-start.js')).startMonitoring(flags.monitor, lab).catch(async (error: unknown) => {
        await gateway.close();
        await lab.close();
        throw error;
      })
    : undefined;
  // One write: whoever watches for the first line gets the others with it.
  process.stderr.write(
    `llm-lab gateway listening on ${gateway.url}/v1 (models: ${gateway.routes.routes.map((route) => route.name).join(', ')})\n` +
      `${describeKeys(await gateway.access!.keyStatus())}\n` +
      (metricsToken !== undefined ? 'metrics: /metrics needs Authorization: Bearer <metrics token>\n' : '') +
      (flags.keepBodies ? `traffic: recorded, with request and response bodies for ${flags.keepBodies.join(', ')}\n` : ''),
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.stderr.write(`${signal}: shutting down, ${gateway.inFlight()} call(s) in flight\n`);
  await gateway.close();
  await monitor?.close();
  await lab.close();
  process.stderr.write('llm-lab gateway stopped\n');
  return ExitCode.ok;
}

/** The startup line that says whether calls need a key. */
export function describeKeys(status: { required: boolean; live: number; revoked: number }): string {
  if (!status.required) return 'keys: off — anyone who can reach this port can call it; create one with llm-lab gateway keys create';
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const revoked = status.revoked > 0 ? `, ${status.revoked} revoked` : '';
  return `keys: required (${plural(status.live, 'live key')}${revoked})`;
}
