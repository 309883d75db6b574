import { dirname, resolve } from 'node:path';
import type { Lab } from '@llm-lab/lab';
import type { Monitor, MonitorConfig } from '@llm-lab/monitoring';
import { ExitCode, UsageError } from '../errors.js';
import { openLab, type StorageFlags } from './shared.js';

/** Reads a monitor config; a missing or wrong file is the user's to fix (exit code 2). */
export async function loadMonitorConfigFor(file: string): Promise<MonitorConfig> {
  const { loadMonitorConfig } = await import('@llm-lab/monitoring');
  try {
    return await loadMonitorConfig(file);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Starts monitoring on a lab (its provider manager's calls): the collector, the alert manager and
 * the config's channels, the time series in the lab's storage, and the config's probes run as lab
 * runs; each message sent and each failure is logged to stderr. Used by `llm-lab monitor start`
 * and `llm-lab gateway --monitor`.
 */
export async function startMonitoring(configFile: string, lab: Lab): Promise<Monitor> {
  const config = await loadMonitorConfigFor(configFile);
  const { startMonitor } = await import('@llm-lab/monitoring');
  const baseDir = dirname(resolve(configFile));
  // Channel secrets written as { from: vault | aws | dotenv } are read by the key manager.
  const { KeyManager, keyManagerOptionsFrom } = await import('@llm-lab/security');
  const keys = new KeyManager(keyManagerOptionsFrom(config.security, { baseDir }));
  let monitor: Monitor;
  try {
    monitor = await startMonitor({
      resolveSecret: (reference) => keys.get(reference),
      config,
      source: lab,
      probeLab: lab,
      baseDir,
      store: await lab.openStorage(),
      onError: (error) => process.stderr.write(`monitor: ${(error as Error).message}\n`),
      onNotify: (notification) => process.stderr.write(`monitor: sent ${notification.title}\n`),
    });
  } catch (error) {
    throw new UsageError(`${configFile}: ${(error as Error).message}`);
  }
  const rules = config.alerts.rules.length;
  const channels = monitor.channels.map((channel) => channel.name);
  process.stderr.write(
    `monitor: ${rules} alert rule${rules === 1 ? '' : 's'}, channels: ${channels.join(', ') || 'none'}; messages claimed in ${monitor.claims.kind}` +
      `${monitor.claims.kind === 'memory' ? ' (one process: set REDIS_URL or DATABASE_URL to run several)' : ''}\n`,
  );
  return monitor;
}

/**
 * `llm-lab monitor start <config>`: the collector, probes and alerting as one long-running process
 * until SIGTERM or SIGINT (then it judges the minute in progress and exits 0).
 */
export async function monitorStartCommand(configFile: string, flags: StorageFlags): Promise<number> {
  await loadMonitorConfigFor(configFile);
  const lab = await openLab(flags);
  let monitor: Monitor;
  try {
    monitor = await startMonitoring(configFile, lab);
  } catch (error) {
    await lab.close();
    throw error;
  }
  // The monitor's own timer does not hold the process open (it also runs inside the gateway): this does.
  const keepAlive = setInterval(() => undefined, 3_600_000);
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.stderr.write('llm-lab monitor running (SIGTERM or Ctrl-C stops it)\n');
  const signal = await stopped;
  clearInterval(keepAlive);
  process.stderr.write(`${signal}: stopping the monitor\n`);
  await monitor.close();
  await lab.close();
  process.stderr.write('llm-lab monitor stopped\n');
  return ExitCode.ok;
}
