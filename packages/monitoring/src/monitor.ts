import { AlertManager, type Notification, type NotificationChannel } from './alerts/manager.js';
import { openClaimStore, type ClaimStore } from './alerts/claims.js';
import { channelsFromConfig } from './channels/from-config.js';
import type { RetryOptions } from './channels/retry.js';
import type { SecretResolver } from './channels/secrets.js';
import { MetricCollector, type Observable } from './collect/collector.js';
import type { MonitorConfig } from './config.js';
import type { MetricStore } from '@llm-lab/storage';
import { createBucketSink, type BucketSink } from './store/sink.js';
import { compactMetrics } from './store/compact.js';
import { startProbes, type StopProbes } from './probes/scheduler.js';
import { probeSeriesKey, type ProbeLab } from './probes/run-probe.js';

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
   * The lab the config's `probes:` run in (each probe is a lab run through its provider manager).
   * Without it, a config with probes is refused rather than ignored.
   */
  probeLab?: ProbeLab;
  /** The folder probes' `config:` files are read relative to (the monitor config's). Default the working directory. */
  baseDir?: string;
  /**
   * The time-series store (the lab's storage): every closed minute is written there (batched,
   * never waiting) and compacted (roll-up to hours, retention) every `compactEvery` ms.
   */
  store?: MetricStore;
  /** Default 5 minutes. */
  compactEvery?: number;
}

/** A running monitor: the collector, the alert manager and (when wired) the probes. */
export interface Monitor {
  collector: MetricCollector;
  alerts: AlertManager;
  claims: ClaimStore;
  channels: NotificationChannel[];
  /** What writes closed minutes to the store (when one was given). */
  sink: BucketSink | undefined;
  /** The running probes (when the config has some). */
  probes: StopProbes | undefined;
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
  if ((config.probes?.length ?? 0) > 0 && !options.probeLab) {
    throw new Error('the monitor config has probes:, but no lab was given to run them in; pass probeLab (llm-lab monitor start does).');
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
  const onError = options.onError ?? (() => undefined);
  // The time series: closed minutes to the store, compacted now and then.
  const sink = options.store ? createBucketSink(options.store, { onError }) : undefined;
  if (sink) collector.onBucket((buckets) => buckets.forEach((bucket) => sink.write(bucket)));
  const store = options.store;
  const compact = store ? () => compactMetrics(store, now(), config.retention ? { retention: config.retention } : {}).then(() => undefined, onError) : undefined;
  const compactTimer = compact && options.interval !== false ? setInterval(compact, options.compactEvery ?? 300_000) : undefined;
  compactTimer?.unref();
  // Probes run as lab runs; their scores go to the collector (so probe rules and the store see them)
  // and their calls count as source `probe`.
  let probes: StopProbes | undefined;
  if (options.probeLab && config.probes?.length) {
    const byName = new Map(config.probes.map((probe) => [probe.name, probe]));
    probes = startProbes(config.probes, {
      lab: options.probeLab,
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
      now,
      onError: (name, error) => onError(new Error(`probe ${name}: ${error instanceof Error ? error.message : String(error)}`)),
      onOutcome: (outcome) => {
        const probe = byName.get(outcome.probe);
        if (probe && outcome.score !== null) collector.recordProbeScore(probeSeriesKey(probe), outcome.score);
      },
    });
    collector.isProbeRun = probes.isProbeRun;
  }
  if (options.interval !== false) collector.start(config.tick ?? 5_000, options.onError);
  return {
    collector,
    alerts,
    claims,
    channels,
    sink,
    probes,
    tick: async () => {
      await collector.tick();
    },
    close: async () => {
      collector.stop();
      if (compactTimer) clearInterval(compactTimer);
      await probes?.();
      await collector.flush();
      await sink?.close();
      await compact?.();
      for (const channel of channels) (channel as { close?: () => void }).close?.();
      await claims.close();
    },
  };
}
