import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { ConfigError, parseConfig, type LoadedConfig } from '@llm-lab/core';
import type { Lab, RunOptions, RunReport } from '@llm-lab/lab';
import type { MetricStore } from '@llm-lab/storage';
import { emptyBucket, type SeriesKey } from '../collect/bucket.js';
import { bucketToPoint, MINUTE_MS } from '../store/codec.js';
import type { ProbeConfig } from './schema.js';

/** What a probe needs of the lab: its engine (and the provider manager every run goes through). */
export type ProbeLab = Pick<Lab, 'run'>;

export interface ProbeRunDeps {
  lab: ProbeLab;
  /**
   * Where the score goes (a 1-minute probe point). Optional: a monitor gives the score to its
   * collector instead (`onOutcome`), whose sink stores it with everything else.
   */
  store?: Pick<MetricStore, 'writeMetricPoints'>;
  /** The clock the score's minute is taken from. Default `Date.now`. */
  now?: () => number;
  /** Folder relative `config:` and `data:` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** Called with the run's id once it is stored, before any call is made. */
  onRunStart?: (runId: string) => void;
}

export interface ProbeOutcome {
  probe: string;
  runId: string;
  /** passed / (passed + failed), 0–1; null when nothing was graded (every call failed): no score is recorded then. */
  score: number | null;
  passed: number;
  failed: number;
  /** Cases whose call failed (not counted as wrong answers; they show in the error series). */
  errors: number;
  /** The probe point's minute, epoch ms. */
  recordedAt: number;
}

/** The probe's provider as the series names it: label (or id), family, model. */
export function probeSeriesKey(probe: ProbeConfig): SeriesKey {
  const entry = typeof probe.provider === 'string' ? { id: probe.provider } : probe.provider;
  const colon = entry.id.indexOf(':');
  return {
    source: 'probe',
    providerId: ('label' in entry && entry.label) || entry.id,
    provider: entry.id.slice(0, colon),
    model: entry.id.slice(colon + 1),
    route: probe.name,
    key: '',
  };
}

/** The probe's `config:` file with its providers replaced by the probe's one, validated as a run config. */
async function configRun(probe: ProbeConfig & { config: string }, baseDir: string): Promise<LoadedConfig> {
  const file = resolve(baseDir, probe.config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError({ file, message: `probe "${probe.name}" cannot read its config: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check its config: path`, cause: error });
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : (await import('yaml')).default.parse(text);
  } catch (error) {
    throw new ConfigError({ file, message: `probe "${probe.name}": ${(error as Error).message.split('\n')[0]}`, cause: error });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError({ file, message: `probe "${probe.name}": a run config is a mapping (providers:, prompts:, dataset:, evaluators:)` });
  return parseConfig({ ...(raw as Record<string, unknown>), providers: [probe.provider] }, { file });
}

/**
 * Runs a probe once, as a run of the lab (the same engine and provider manager as any run: its
 * results are stored like a run's, under a run id), and records its score as a probe point.
 * The response cache is bypassed: a probe measures the model now, not an answer kept from before.
 */
export async function runProbe(probe: ProbeConfig, deps: ProbeRunDeps): Promise<ProbeOutcome> {
  const baseDir = deps.baseDir ?? process.cwd();
  const options: RunOptions = {
    noCache: true,
    ...(probe.limit !== undefined ? { limit: probe.limit } : {}),
    onStart: (run) => deps.onRunStart?.(run.id),
  };
  let report: RunReport;
  if (probe.config !== undefined) {
    report = await deps.lab.run(await configRun({ ...probe, config: probe.config }, baseDir), options);
  } else {
    const { buildSuiteConfig } = await import('@llm-lab/lab');
    const prepared = await buildSuiteConfig({
      suite: probe.suite as string,
      providers: [probe.provider],
      baseDir,
      ...(probe.data !== undefined ? { data: probe.data } : {}),
      ...(probe.limit !== undefined ? { limit: probe.limit } : {}),
    });
    report = await deps.lab.run(prepared.config, { ...options, prepareCase: prepared.prepareCase, preparation: `suite:${prepared.suite.name}` });
  }
  let passed = 0;
  let failed = 0;
  let errors = 0;
  for (const summary of report.providers) {
    passed += summary.passed;
    failed += summary.failed;
    errors += summary.errors;
  }
  const score = passed + failed > 0 ? passed / (passed + failed) : null;
  const recordedAt = Math.floor((deps.now ?? Date.now)() / MINUTE_MS) * MINUTE_MS;
  if (score !== null) {
    const bucket = emptyBucket(probeSeriesKey(probe), recordedAt);
    bucket.probeScoreSum = score;
    bucket.probeScoreCount = 1;
    await deps.store?.writeMetricPoints('1m', [bucketToPoint(bucket)]);
  }
  return { probe: probe.name, runId: report.runId, score, passed, failed, errors, recordedAt };
}
