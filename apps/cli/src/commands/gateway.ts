import { ExitCode } from '../errors.js';
import { openLab, type StorageFlags } from './shared.js';

export interface GatewayFlags extends StorageFlags {
  port?: number;
  host?: string;
  shutdownTimeout?: number;
  metrics?: boolean;
  tracing?: boolean;
}

/** The config file used when none is given. */
export const DEFAULT_GATEWAY_CONFIG = 'llm-lab.yaml';

/**
 * `llm-lab gateway [config]`: serves the config's providers as an OpenAI-compatible API until
 * SIGTERM or SIGINT, then shuts down gracefully (in-flight streams finish within
 * --shutdown-timeout) and exits 0.
 */
export async function gatewayCommand(configFile: string | undefined, flags: GatewayFlags): Promise<number> {
  const { startGateway } = await import('@llm-lab/gateway');
  const lab = await openLab(flags);
  const gateway = await startGateway({
    lab,
    config: configFile ?? DEFAULT_GATEWAY_CONFIG,
    port: flags.port ?? 4000,
    host: flags.host ?? '127.0.0.1',
    ...(flags.shutdownTimeout !== undefined ? { shutdownTimeoutMs: flags.shutdownTimeout } : {}),
    metrics: flags.metrics !== false,
    tracing: flags.tracing === true,
  }).catch(async (error: unknown) => {
    await lab.close();
    throw error;
  });
  process.stderr.write(
    `llm-lab gateway listening on ${gateway.url}/v1 (models: ${gateway.routes.routes.map((route) => route.name).join(', ')})\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.stderr.write(`${signal}: shutting down, ${gateway.inFlight()} call(s) in flight\n`);
  await gateway.close();
  await lab.close();
  process.stderr.write('llm-lab gateway stopped\n');
  return ExitCode.ok;
}
