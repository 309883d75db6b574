import { Cron } from 'croner';
import { runProbe, type ProbeOutcome, type ProbeRunDeps } from './run-probe.js';
import type { ProbeConfig } from './schema.js';

/** Timers the scheduler sets: the process's by default, a fake clock's in tests. */
export interface ProbeTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export interface ProbeDeps extends Omit<ProbeRunDeps, 'onRunStart'> {
  timers?: ProbeTimers;
  /** Each finished probe run. */
  onOutcome?: (outcome: ProbeOutcome) => void;
  /** A probe run that failed (a config that does not load, a dataset that cannot be read, storage down). */
  onError?: (probe: string, error: unknown) => void;
}

export interface ProbeStats {
  /** Runs started. */
  started: number;
  /** Runs that finished with an outcome. */
  finished: number;
  failed: number;
  /** Scheduled runs skipped because the probe's previous run was still going. */
  skipped: number;
  /** The latest outcome. */
  last?: ProbeOutcome;
  /** When the probe runs next, epoch ms (undefined once stopped, or when the schedule has no next time). */
  nextRun?: number;
}

/** Stops every probe and waits for runs in flight; also answers what the probes did. */
export interface StopProbes {
  (): Promise<void>;
  stats(): Record<string, ProbeStats>;
  /** Whether a run id is a probe's (its calls carry `run:<id>` as source: the collector can count them as `probe`). */
  isProbeRun(runId: string): boolean;
  /** Runs a probe now, outside its schedule (skipped, and undefined, while it is already running). */
  runNow(name: string): Promise<ProbeOutcome | undefined>;
}

/** Longest delay a Node timer takes (about 24.8 days); a later run is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const PROBE_RUN_IDS_KEPT = 1_000;

const processTimers: ProbeTimers = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs each probe on its cron schedule (croner computes the next time from `now()`), through the
 * lab's engine and provider manager, and records each score in the store. A probe whose previous
 * run is still going when its time comes is skipped, and counted; the schedule goes on.
 */
export function startProbes(probes: readonly ProbeConfig[], deps: ProbeDeps): StopProbes {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? processTimers;
  const stats: Record<string, ProbeStats> = {};
  const running = new Map<string, Promise<ProbeOutcome | undefined>>();
  const probeRunIds = new Set<string>();
  const handles = new Map<string, unknown>();
  let stopped = false;

  const execute = (probe: ProbeConfig): Promise<ProbeOutcome | undefined> | undefined => {
    const stat = stats[probe.name] as ProbeStats;
    if (running.has(probe.name)) {
      stat.skipped += 1;
      return undefined;
    }
    stat.started += 1;
    const run = runProbe(probe, {
      ...deps,
      now,
      onRunStart: (runId) => {
        probeRunIds.add(runId);
        if (probeRunIds.size > PROBE_RUN_IDS_KEPT) probeRunIds.delete(probeRunIds.values().next().value as string);
      },
    }).then(
      (outcome) => {
        stat.finished += 1;
        stat.last = outcome;
        deps.onOutcome?.(outcome);
        return outcome;
      },
      (error: unknown) => {
        stat.failed += 1;
        deps.onError?.(probe.name, error);
        return undefined;
      },
    );
    const tracked = run.finally(() => running.delete(probe.name));
    running.set(probe.name, tracked);
    return tracked;
  };

  const schedule = (probe: ProbeConfig, cron: Cron): void => {
    if (stopped) return;
    const next = cron.nextRun(new Date(now()));
    const stat = stats[probe.name] as ProbeStats;
    if (!next) {
      delete stat.nextRun;
      return;
    }
    stat.nextRun = next.getTime();
    const wait = () => {
      const delay = next.getTime() - now();
      if (delay > MAX_DELAY_MS) {
        handles.set(probe.name, timers.set(wait, MAX_DELAY_MS));
        return;
      }
      handles.set(
        probe.name,
        timers.set(() => {
          if (stopped) return;
          // Before the run, so that a run longer than the interval finds its next time skipped.
          schedule(probe, cron);
          void execute(probe);
        }, Math.max(0, delay)),
      );
    };
    wait();
  };

  for (const probe of probes) {
    stats[probe.name] = { started: 0, finished: 0, failed: 0, skipped: 0 };
    schedule(probe, new Cron(probe.schedule, { paused: true, ...(probe.timezone ? { timezone: probe.timezone } : {}) }));
  }

  const stop = (async () => {
    stopped = true;
    for (const handle of handles.values()) timers.clear(handle);
    handles.clear();
    for (const stat of Object.values(stats)) delete stat.nextRun;
    await Promise.all(running.values());
  }) as StopProbes;
  stop.stats = () => Object.fromEntries(Object.entries(stats).map(([name, stat]) => [name, { ...stat }]));
  stop.isProbeRun = (runId) => probeRunIds.has(runId);
  stop.runNow = async (name) => {
    const probe = probes.find((candidate) => candidate.name === name);
    if (!probe) throw new Error(`no probe is named "${name}"; the probes are: ${probes.map((candidate) => candidate.name).join(', ') || 'none'}`);
    return execute(probe);
  };
  return stop;
}
