import { LLMLabError, redactSecrets, type LoadedConfig } from '@llm-lab/core';
import { RunStatsCollector, type EvaluationOutcome } from '@llm-lab/evaluation';
import { eachResult, type RunRecord, type Storage } from '@llm-lab/storage';
import type { RunOptions } from './lab.js';

// Resuming a stopped run: finding it, checking the config against it, the options it was
// started with, and summarising the whole run from what is stored.

/**
 * The options that decide which results a run is made of and how they are produced, as the run
 * started with them (its flags over the config's `run:` block). Stored with the run, as
 * `runOptions` in its resolved config, so that a resume finishes exactly the work the run set
 * out to do even when the flags are not given again, or the config's `run:` block has changed.
 */
export interface RecordedRunOptions {
  repeat: number;
  /** Null when every case runs. */
  limit: number | null;
  stream: boolean;
  noCache: boolean;
}

/**
 * Recomputes totals and per-provider summaries from every stored result of a run. `answerers`
 * names, per provider label, who answers as that provider itself (see `EngineProvider.answerers`).
 */
export async function summariseStoredRun(
  storage: Storage,
  runId: string,
  outcome: EvaluationOutcome,
  repeats: number,
  answerers: ReadonlyMap<string, readonly string[]>,
): Promise<EvaluationOutcome> {
  const stats = new RunStatsCollector(
    outcome.providers.map((summary) => {
      const own = answerers.get(summary.providerId);
      return { providerId: summary.providerId, promptId: summary.promptId, ...(own ? { answerers: own } : {}) };
    }),
    { repeats },
  );
  const cases = new Set<string>();
  // Keyset pages: each costs the same however far into the run (an offset re-reads every row before it).
  for await (const result of eachResult(storage, { runId }, 5_000)) {
    stats.add(result);
    cases.add(result.caseId);
  }
  return {
    ...outcome,
    totals: stats.runTotals({ cases: Math.max(cases.size, outcome.totals.cases), invalidRows: outcome.totals.invalidRows }),
    providers: stats.summaries(),
  };
}

/** The stopped run `idOrPrefix` names, checked against the config it is resumed with. */
export async function findRunToResume(storage: Storage, idOrPrefix: string, config: LoadedConfig['config']): Promise<RunRecord> {
  const previous = await storage.getRun(idOrPrefix);
  if (!previous) throw new LLMLabError('run_not_found', `No run '${idOrPrefix}' to resume. List runs with 'llm-lab runs list'.`);
  assertSameShape(previous.resolvedConfig, config, previous.id);
  return previous;
}

/** The options a stored run recorded when it started; undefined for runs stored before they were recorded. */
export function recordedRunOptions(run: Pick<RunRecord, 'resolvedConfig'>): RecordedRunOptions | undefined {
  const recorded = (run.resolvedConfig as { runOptions?: Partial<Record<keyof RecordedRunOptions, unknown>> } | null)?.runOptions;
  if (typeof recorded !== 'object' || recorded === null) return undefined;
  const { repeat, limit, stream, noCache } = recorded;
  const count = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;
  if (!count(repeat) || !(limit === null || count(limit)) || typeof stream !== 'boolean' || typeof noCache !== 'boolean') return undefined;
  return { repeat, limit, stream, noCache };
}

/**
 * The options a run goes by: for a new run, its flags over the config's `run:` block; for a
 * resumed run, the options it recorded when it started. A flag given on resume that contradicts
 * a recorded option is refused rather than obeyed: a different repeat or limit changes which
 * results make up the run, and a different stream or cache setting how they were produced, so
 * the run would end up neither the one started nor the one asked for. Runs stored before
 * options were recorded resume as they always did, with the flags given over the config.
 */
export function effectiveRunOptions(config: LoadedConfig['config'], options: RunOptions, previous: RunRecord | undefined): RecordedRunOptions {
  const recorded = previous ? recordedRunOptions(previous) : undefined;
  if (!previous || !recorded) {
    return {
      repeat: options.repeat ?? config.run.repeat,
      limit: options.limit ?? config.run.limit ?? null,
      stream: options.stream ?? false,
      noCache: options.noCache ?? false,
    };
  }
  const describe = {
    repeat: (value: number) => `--repeat ${value}`,
    limit: (value: number | null) => (value === null ? 'no --limit (every case)' : `--limit ${value}`),
    stream: (value: boolean) => (value ? '--stream' : 'no --stream'),
    noCache: (value: boolean) => (value ? '--no-cache' : 'the cache on'),
  };
  const conflicts: string[] = [];
  if (options.repeat !== undefined && options.repeat !== recorded.repeat) conflicts.push(`${describe.repeat(options.repeat)} (the run has ${describe.repeat(recorded.repeat)})`);
  if (options.limit !== undefined && options.limit !== recorded.limit) conflicts.push(`${describe.limit(options.limit)} (the run has ${describe.limit(recorded.limit)})`);
  if (options.stream !== undefined && options.stream !== recorded.stream) conflicts.push(`${describe.stream(options.stream)} (the run has ${describe.stream(recorded.stream)})`);
  // Bypassing the cache on resume only makes the remaining answers fresh calls; using it for a
  // run started with --no-cache would mix cached answers in.
  if (options.noCache === false && recorded.noCache) conflicts.push(`${describe.noCache(false)} (the run has ${describe.noCache(true)})`);
  if (conflicts.length > 0) {
    throw new LLMLabError(
      'config_resume_options_mismatch',
      `Cannot resume ${previous.id} with ${conflicts.join(', ')}: a resume finishes the work the run was started with. ` +
        (conflicts.length > 1
          ? `Resume without these options (the run's own apply), or start a new run (without --resume) to use the new values.`
          : `Resume without it (the run's own applies), or start a new run (without --resume) to use the new value.`),
    );
  }
  return { ...recorded, noCache: recorded.noCache || options.noCache === true };
}

/** Keys of a provider's `config:` that only set the pace: the SDK's timeout and retries, how requests travel, a mock's latency. */
const PACE_CONFIG_KEYS = new Set(['timeoutMs', 'maxRetries', 'httpClient', 'latencyMs']);

/**
 * The parts of a config that decide which results a run produces and how they are scored: a
 * resume with any of them changed would mix two setups into one run. Each is reduced to what
 * matters: a provider entry's reliability policy (retries, breaker, rate limit, concurrency,
 * cache, timeouts, members, fallbacks) and its {@link PACE_CONFIG_KEYS} only set the pace,
 * and `dataset.onInvalidRow` only what happens to a row that cannot be read, so they may change.
 */
const RUN_IDENTITY: Record<string, (config: Record<string, unknown>) => unknown> = {
  providers: (config) =>
    ((config.providers as unknown[] | undefined) ?? []).map((entry) => {
      if (typeof entry === 'string') return { id: entry, label: entry, config: {}, settings: {} };
      const { id, label, config: providerConfig, settings } = entry as { id: string; label?: string; config?: Record<string, unknown>; settings?: unknown };
      const modelConfig = Object.fromEntries(Object.entries(providerConfig ?? {}).filter(([key]) => !PACE_CONFIG_KEYS.has(key)));
      return { id, label: label ?? id, config: modelConfig, settings: settings ?? {} };
    }),
  prompts: (config) => config.prompts ?? [],
  evaluators: (config) => config.evaluators ?? [],
  defaults: (config) => config.defaults ?? {},
  dataset: (config) => {
    const { onInvalidRow: _onInvalidRow, ...dataset } = (config.dataset as Record<string, unknown> | undefined) ?? {};
    return dataset;
  },
};

/**
 * A config part as canonical JSON (keys sorted), with secrets left out: the stored config had
 * them redacted, and a new API key must not block a resume. Strings under a secret-like key are
 * dropped (as the lab redacts them when it stores a run), others redacted by value.
 */
function canonical(value: unknown): string {
  const secretKey = /key|token|secret|password/i;
  const sorted = JSON.parse(redactSecrets(JSON.stringify(value ?? null)), (key, item: unknown) => {
    if (typeof item === 'string' && secretKey.test(key)) return undefined;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }) as unknown;
  return JSON.stringify(sorted);
}

/** Refuses to resume a run with a config whose providers, prompts, evaluators, defaults or dataset differ from the run's own. */
function assertSameShape(stored: unknown, config: LoadedConfig['config'], runId: string): void {
  const before = (stored ?? {}) as Record<string, unknown>;
  const now = config as unknown as Record<string, unknown>;
  const differing = Object.entries(RUN_IDENTITY)
    .filter(([, part]) => canonical(part(before)) !== canonical(part(now)))
    .map(([name]) => name);
  if (differing.length > 0) {
    const parts = differing.length > 1 ? `${differing.slice(0, -1).join(', ')} and ${differing.at(-1)}` : differing[0];
    throw new LLMLabError(
      'config_resume_mismatch',
      `Cannot resume ${runId} with this config: its ${parts} ${parts === 'dataset' ? 'differs' : 'differ'} from the run's, and the run would mix two setups. ` +
        `Resume with the config the run was started with ('llm-lab runs show ${runId}' names it), or start a new run (without --resume) to use this config.`,
    );
  }
}
