import { AlertManager, type Notification, type NotificationChannel } from './alerts/manager.js';
import { openClaimStore, type ClaimStore } from './alerts/claims.js';
import { channelsFromConfig } from './channels/from-config.js';
import type { RetryOptions } from './channels/retry.js';
import type { SecretResolver } from './channels/secrets.js';
import { MetricCollector, type Observable } from './collect/collector.js';
import type { MonitorConfig } from './config.js';

export interface StartMonitorOptions {
  config: MonitorConfig;
  /** What to watch: a lab (`lab.observe`) or a provider manager. More can be attached to `collector`. */
  source?: Observable;
  /** The clock; tests drive it and call `tick()` themselves (`interval: false`). */
  now?: () => number;
  /** Tick on a real-time timer (default true; every `config.tick`, default 5 s). */
  interval?: boolean;
  env?: Record<string, string | undefined>;
  /** The key manager's resolver for channel secrets written as `{ from: vault | aws | dotenv }`. */
  resolveSecret?: SecretResolver;
  /** Default: Redis with REDIS_URL, else PostgreSQL with DATABASE_URL, else this process only. */
  claims?: ClaimStore;
  /** Channels to use instead of the config's (tests). */
  channels?: NotificationChannel[];
  retry?: RetryOptions;
  onError?: (error: unknown) => void;
  /** Told about each message sent (see `AlertManagerOptions.onNotify`). */
  onNotify?: (notification: Notification) => void;
  /**
   * Where probes start: called with the config's `probes:` entries and the collector (whose
   * `recordProbeScore` takes their scores). Returns a stop function. Without it, `probes:` is
   * refused rather than ignored.
   */
  startProbes?: (probes: unknown[], collector: MetricCollector) => Promise<() => void | Promise<void>>;
}

/** A running monitor: the collector, the alert manager and (when wired) the probes. */
export interface Monitor {
  collector: MetricCollector;
  alerts: AlertManager;
  claims: ClaimStore;
  channels: NotificationChannel[];
  /** Closes finished minutes and judges them now. */
  tick(): Promise<void>;
  /** Judges what is left (the current minute too) and stops. */
  close(): Promise<void>;
}

/**
 * Starts monitoring: a collector on `source`'s events, an alert manager on the collector's closed
 * minutes, the config's channels (secrets resolved from the environment or the key manager) and
 * the claim store that keeps several monitor processes from sending one message twice.
 */
export async function startMonitor(options: StartMonitorOptions): Promise<Monitor> {
  const { config } = options;
  const now = options.now ?? Date.now;
  if ((config.probes?.length ?? 0) > 0 && !options.startProbes) {
    throw new Error('the monitor config has probes:, but this build has no probe scheduler wired in; remove probes: or use a build that runs them.');
  }
  const channels =
    options.channels ??
    (await channelsFromConfig(config.channels, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.resolveSecret ? { resolver: options.resolveSecret } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      now,
    }));
  const claims = options.claims ?? (await openClaimStore(options.env ?? process.env, now));
  const collector = new MetricCollector({ now });
  const alerts = AlertManager.fromConfig(config, channels, { claims, now, ...(options.onError ? { onError: options.onError } : {}), ...(options.onNotify ? { onNotify: options.onNotify } : {}) });
  alerts.attach(collector);
  if (options.source) collector.attach(options.source);
  const stopProbes = options.startProbes && config.probes?.length ? await options.startProbes(config.probes, collector) : undefined;
  if (options.interval !== false) collector.start(config.tick ?? 5_000, options.onError);
  return {
    collector,
    alerts,
    claims,
    channels,
    tick: async () => {
      await collector.tick();
    },
    close: async () => {
      collector.stop();
      await stopProbes?.();
      await collector.flush();
      for (const channel of channels) (channel as { close?: () => void }).close?.();
      await claims.close();
    },
  };
}
