import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import {
  sanitise,
  type LabConfig,
  type LabConfigInput,
  type EmbeddingProvider,
  type LanguageModelProvider,
  type LoadedConfig,
  type Logger,
  type ProviderRegistry,
} from '@llm-lab/core';
import {
  answerersOf,
  parsePlan,
  planRun,
  runEvaluation,
  summariseStoredGroups,
  summariseStoredRun,
  workItemCount,
  type EvaluationOutcome,
  type GroupSummary,
  type InvalidRow,
  type PlanSlice,
  type ProviderSummary,
  type RunPlan,
} from '@llm-lab/evaluation';
import type { ProviderGroup, ProviderManager } from '@llm-lab/provider-manager';
import type { KeyManager } from '@llm-lab/security';
import { generateRunId, type RunHold, type RunRecord, type Storage } from '@llm-lab/storage';
import { manageProviders } from './manage-providers.js';
import { piiBeforeStore } from './pii-store.js';
import { createWithSecrets, readProviderSecrets } from './provider-secrets.js';
import { resolveProviders, type ResolvedProvider } from './resolve-providers.js';
import { findRunToResume } from './resume.js';
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions } from './run-options.js';

// Running a config: plan → execute → record. The lab's facade (lab.ts) calls these; they need
// only a RunHost, so this module does not import the facade.

/** What a run needs of the lab that runs it. */
export interface RunHost {
  readonly registry: ProviderRegistry;
  /** The lab's one provider manager: each run adds its providers as a group, and closes the group when it ends. */
  readonly manager: ProviderManager;
  readonly cwd: string;
  readonly logger: Logger | undefined;
  /** The lab's storage; `configured` is a config's `storage:` block, its `dataDir` resolved. */
  openStorage(configured: { url?: string; dataDir?: string }): Promise<Storage>;
  /** The lab's key manager for a config's `security:` block and folder: reads secret references. */
  keysFor(security: LabConfig['security'], baseDir: string): KeyManager;
}

/** What a finished (or cancelled) run reports. */
export interface RunReport {
  runId: string;
  status: EvaluationOutcome['status'];
  description: string | undefined;
  totals: EvaluationOutcome['totals'];
  providers: ProviderSummary[];
  invalidRows: InvalidRow[];
  /**
   * What the user should know that did not stop the run, e.g. that dataset rows hold strings
   * shaped like API keys (sent as written, stored redacted). Also stored in the
   * run's summary.
   */
  warnings: string[];
  /** When the run started (a resumed run: when it first started). */
  startedAt: Date;
  finishedAt: Date;
  /**
   * The run's duration: `finishedAt - startedAt`, the figure stored with the run. For a resumed
   * run it spans from its first start to this finish, time it was stopped included.
   */
  durationMs: number;
  /** Thresholds from the config's `thresholds:` block (`minAccuracy`, `maxErrorRate`). */
  thresholds: { met: boolean; failures: string[] };
  /** Where the run is stored. */
  storage: string;
  /** Per-group results when the config has a `groups:` block (a suite's subjects, a task file's `group_by`). Also stored in the run's summary. */
  groups?: GroupSummary[];
}

/** Options of a slice executed on its own (see `Lab.execute`): the pace and hooks of this process. */
export type SliceOptions = Pick<RunOptions, 'concurrency' | 'timeoutMs' | 'signal' | 'onProgress' | 'onInvalidRow' | 'prepareCase' | 'onWarning'> & {
  /** The cases to run. Default the whole plan (results already stored are skipped). */
  slice?: PlanSlice;
  /** Called once when the slice has no call left to start (its last calls are in flight). */
  onDrain?: () => void;
};

export type ConfigSource = string | LabConfigInput | LoadedConfig;

export function isLoaded(source: ConfigSource): source is LoadedConfig {
  return typeof source === 'object' && source !== null && 'config' in source && 'baseDir' in source;
}

/** A run's config with its providers made, managed in a group of the lab's manager, and its storage open. */
export interface PreparedRun {
  storage: Storage;
  loaded: LoadedConfig;
  providers: ResolvedProvider[];
  group: ProviderGroup;
  /** The stored run being resumed or executed, if any. */
  previous: RunRecord | undefined;
  options: ResolvedRunOptions;
}

/**
 * Loads the config's plugins, makes its providers, opens storage, finds the stored run (`runId`:
 * a resume, or a planned run whose slice is executed), resolves the options and puts the providers
 * in a group of the lab's manager. On failure, whatever was made is closed.
 */
export async function prepare(host: RunHost, loaded: LoadedConfig, runOptions: RunOptions, runId: string | undefined): Promise<PreparedRun> {
  const { config, baseDir, file } = loaded;
  // Storage opens (in its own thread, when embedded) while the providers' packages load.
  const opening = host.openStorage({
    ...(config.storage.url ? { url: config.storage.url } : {}),
    ...(config.storage.dataDir ? { dataDir: resolve(baseDir, config.storage.dataDir) } : {}),
  });
  opening.catch(() => undefined);
  for (const plugin of config.plugins) await host.registry.loadPlugin(plugin, { cwd: baseDir });
  await host.registry.load(providerReferencesIn(config));
  const keys = host.keysFor(config.security, baseDir);
  await readProviderSecrets(config.providers, keys);
  const resolved = resolveProviders(config, host.registry, { keys, ...(file ? { file } : {}), ...(host.logger ? { logger: host.logger } : {}) });
  try {
    const storage = await opening;
    // A resumed run's recorded options are needed before the providers are managed: they say
    // whether the cache is bypassed.
    const previous = runId !== undefined ? await findRunToResume(storage, runId, config, (id) => host.registry.paceConfigKeys(id)) : undefined;
    const options = resolveRunOptions(config, runOptions, previous);
    const { providers, group } = manageProviders(config, resolved, {
      keys,
      manager: host.manager,
      registry: host.registry,
      cwd: host.cwd,
      ...(file ? { file } : {}),
      ...(storage.kind === 'pglite' ? { embeddedDataDir: storage.location } : {}),
      ...(options.noCache ? { noCache: true } : {}),
      ...(host.logger ? { logger: host.logger } : {}),
    });
    return { storage, loaded, providers, group, previous, options };
  } catch (error) {
    await Promise.all(resolved.map((entry) => entry.provider.close?.()));
    throw error;
  }
}

/** The plan stored with a run, or (a run stored before plans were) one made again from its recorded options. */
async function planOf(prepared: PreparedRun, runId: string, preparation: string | null): Promise<RunPlan> {
  const stored = parsePlan((prepared.previous?.resolvedConfig as { plan?: unknown } | null | undefined)?.plan);
  if (stored) return stored;
  return planRun({
    runId,
    config: prepared.loaded.config,
    baseDir: prepared.loaded.baseDir,
    providers: prepared.providers.map((provider) => provider.label),
    repeat: prepared.options.repeat,
    limit: prepared.options.limit,
    stream: prepared.options.stream,
    preparation,
  });
}

function preparationOf(options: RunOptions): string | null {
  return options.preparation ?? (options.prepareCase ? 'prepareCase' : null);
}

/** Makes judges: an entry of the config by label or id (its keys and base URL apply), else a provider from the registry. */
export function judgeFactory(host: RunHost, config: LabConfig, providers: readonly ResolvedProvider[], baseDir: string) {
  const keys = host.keysFor(config.security, baseDir);
  const managedByLabel = new Map<string, LanguageModelProvider>(providers.map((entry) => [entry.label, entry.provider]));
  return (id: string, providerConfig: Record<string, unknown>): LanguageModelProvider => {
    if (Object.keys(providerConfig).length === 0) {
      const managed = managedByLabel.get(id);
      if (managed) return managed;
      const entry = config.providers.find((candidate) => typeof candidate !== 'string' && (candidate.label === id || candidate.id === id));
      if (entry && typeof entry !== 'string') return createWithSecrets(entry.config, keys, (resolved) => host.registry.create(entry.id, resolved, host.logger));
    }
    return host.registry.create(id, providerConfig, host.logger);
  };
}

/** Makes the embedding models of `similar` checks, loading their provider family on first use. */
export function embeddingFactory(host: RunHost) {
  return async (id: string, providerConfig: Record<string, unknown>): Promise<EmbeddingProvider> => {
    await host.registry.load([id]);
    return host.registry.createEmbedding(id, providerConfig, host.logger);
  };
}

/**
 * Creates the run row, with its plan and recorded options in its resolved config. When storage
 * runs calls in order (the embedded database's worker) the row is written without waiting;
 * `created` settles when it exists. `startedAt` is taken when the run starts.
 */
async function createRunRow(
  storage: Storage,
  loaded: LoadedConfig,
  source: ConfigSource,
  runId: string,
  startedAt: Date,
  plan: RunPlan,
  options: ResolvedRunOptions,
  status: 'running' | 'planned' = 'running',
): Promise<{ created: Promise<unknown> | undefined }> {
  const { config, file } = loaded;
  const { repeat, limit, stream, noCache, batch } = options;
  const creating = storage.createRun({
    id: runId,
    description: config.description ?? null,
    configFile: file ?? null,
    config: redactConfig(typeof source === 'object' && !isLoaded(source) ? source : config),
    resolvedConfig: { ...(redactConfig(config) as Record<string, unknown>), runOptions: { repeat, limit, stream, noCache, batch }, plan },
    createdBy: safeUserName(),
    startedAt,
    status,
  });
  if (!storage.ordered) {
    await creating;
    return { created: undefined };
  }
  creating.catch(() => undefined);
  return { created: creating };
}

/**
 * Runs a config end to end in this process: plan, execute every work item (a resume: those not
 * stored), record how it ended. Holds the run for its whole length, so no other process resumes
 * it at the same time.
 */
export async function runToEnd(host: RunHost, loaded: LoadedConfig, source: ConfigSource, runOptions: RunOptions): Promise<RunReport> {
  const prepared = await prepare(host, loaded, runOptions, runOptions.resume);
  const { storage, group, providers, previous, options } = prepared;
  const { config } = loaded;
  const warn = runOptions.onWarning ?? ((message: string) => host.logger?.warn(message));
  const stopWarning = host.manager.on('cache-unavailable', (event) => warn(event.message));
  try {
    const startedAt = previous?.startedAt ?? new Date();
    const runId = previous?.id ?? generateRunId(startedAt);
    const plan = await planOf(prepared, runId, preparationOf(runOptions));
    const hold = await storage.holdRun(runId);
    try {
      let created: Promise<unknown> | undefined;
      if (previous) {
        await storage.updateRun(previous.id, { status: 'running', finishedAt: null, durationMs: null, error: null });
        // An errored result is not finished work: a resume runs it again, and the new result takes its key.
        await storage.deleteErroredResults(previous.id);
      } else {
        ({ created } = await createRunRow(storage, loaded, source, runId, startedAt, plan, options));
      }
      // No call before the run row is stored: every call belongs to a recorded run, and a process
      // killed after its first progress line leaves a run that `--resume` finds.
      const announce = () => runOptions.onStart?.({ id: runId, storage: storage.location, providers: providers.map((provider) => provider.label) });
      host.logger?.info(
        { runId, resumed: previous !== undefined, storage: storage.location, providers: providers.map((provider) => provider.label), concurrency: options.concurrency, repeat: plan.repeat },
        previous ? 'run resumed' : 'run started',
      );
      const recorded = created === undefined ? Promise.resolve(announce()) : created.then(announce);
      recorded.catch(() => undefined);

      let outcome: EvaluationOutcome;
      try {
        outcome = await runEvaluation({
          runId,
          plan,
          config,
          baseDir: loaded.baseDir,
          providers,
          store: storage,
          resume: previous !== undefined,
          concurrency: options.concurrency,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          createProvider: judgeFactory(host, config, providers, loaded.baseDir),
          createEmbeddingProvider: embeddingFactory(host),
          ...pick(runOptions, ['signal', 'onProgress', 'onInvalidRow', 'prepareCase']),
          ...(options.batch ? { batch: { size: options.batchSize, store: storage, ...pick(runOptions, ['onBatchStatus']) } } : {}),
          onWarning: warn,
          startAfter: recorded,
          ...optional('beforeStore', piiBeforeStore(providers)),
        });
        await recorded;
      } catch (error) {
        // A run row that could not be written means storage is unusable: report that, not a second error.
        host.logger?.error({ runId, err: error }, 'run failed');
        await recorded;
        await markFailed(storage, runId, startedAt, error);
        throw error;
      }
      // A resumed run's engine only saw the missing results: summarise the whole run from storage.
      if (previous) {
        const stored = await summariseStoredRun(storage, runId, shapeOf(plan, providers, outcome));
        outcome = { ...outcome, ...stored };
      }
      const report = await recordOutcome(storage, config, runId, startedAt, outcome);
      host.logger?.info({ runId, status: report.status, totals: report.totals, durationMs: report.durationMs, thresholdsMet: report.thresholds.met }, 'run finished');
      return report;
    } finally {
      await hold.release();
    }
  } finally {
    stopWarning();
    await group.close();
  }
}

/**
 * Plans a run and stores it, without executing it: the plan is in the run's resolved config, and
 * any process holding the config executes slices of it (`executeSlice`), then one records it
 * (`recordStoredRun`). Until then it is stored as `planned`, and listed as `running` while any
 * process executes a slice of it.
 */
export async function planStoredRun(
  host: RunHost,
  loaded: LoadedConfig,
  source: ConfigSource,
  runOptions: Pick<RunOptions, 'limit' | 'repeat' | 'stream' | 'noCache' | 'batch' | 'preparation' | 'prepareCase'>,
): Promise<{ runId: string; plan: RunPlan; storage: string }> {
  const prepared = await prepare(host, loaded, runOptions, undefined);
  try {
    const startedAt = new Date();
    const runId = generateRunId(startedAt);
    const plan = await planOf(prepared, runId, preparationOf(runOptions));
    const { created } = await createRunRow(prepared.storage, loaded, source, runId, startedAt, plan, prepared.options, 'planned');
    await created;
    return { runId, plan, storage: prepared.storage.location };
  } finally {
    await prepared.group.close();
  }
}

/** Summarises a stored run from its stored results (however many processes wrote them) and records how it ended. */
export async function recordStoredRun(host: RunHost, loaded: LoadedConfig, runId: string): Promise<RunReport> {
  const prepared = await prepare(host, loaded, {}, runId);
  let hold: RunHold | undefined;
  try {
    // Refused while a slice is still being executed: its results would be left out.
    hold = await prepared.storage.holdRun(runId);
    const run = prepared.previous as RunRecord;
    const plan = await planOf(prepared, run.id, null);
    const stored = await summariseStoredRun(prepared.storage, run.id, shapeOf(plan, prepared.providers));
    // The plan's count is of the dataset's rows (invalid ones included): fewer results than that
    // usually means a slice was not executed, which the user should hear of.
    const planned = workItemCount(plan);
    const warnings =
      stored.totals.results < planned
        ? [`${stored.totals.results.toLocaleString('en-US')} of the ${planned.toLocaleString('en-US')} planned results are stored: a slice may not have been executed, or the dataset has invalid rows. Execute the missing slices (results already stored are skipped), then record the run again.`]
        : [];
    const outcome: EvaluationOutcome = { status: 'completed', plan, ...stored, invalidRows: [], warnings, skipped: 0, written: 0, durationMs: 0 };
    return await recordOutcome(prepared.storage, loaded.config, run.id, run.startedAt, outcome);
  } finally {
    await hold?.release();
    await prepared.group.close();
  }
}

function shapeOf(plan: RunPlan, providers: readonly ResolvedProvider[], outcome?: EvaluationOutcome) {
  return {
    providers: plan.providers,
    prompts: plan.prompts,
    repeat: plan.repeat,
    answerers: new Map(providers.map((provider) => [provider.label, answerersOf(provider)])),
    ...(outcome ? { cases: outcome.totals.cases, invalidRows: outcome.totals.invalidRows } : {}),
  };
}

export async function markFailed(storage: Storage, runId: string, startedAt: Date, error: unknown): Promise<void> {
  const finishedAt = new Date();
  await storage.updateRun(runId, {
    status: 'failed',
    finishedAt,
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    error: error instanceof Error ? error.message : String(error),
  });
}

/** What a run's record step reads of its outcome. */
export type RecordedOutcome = Pick<EvaluationOutcome, 'status' | 'totals' | 'providers' | 'invalidRows' | 'warnings'>;

/** The recorder's last step: thresholds checked, the summary and how the run ended stored. */
export async function recordOutcome(
  storage: Storage,
  config: Pick<LabConfig, 'thresholds' | 'groups' | 'description'>,
  runId: string,
  startedAt: Date,
  outcome: RecordedOutcome,
): Promise<RunReport> {
  const thresholds = checkThresholds(config.thresholds, outcome.providers);
  const groups = config.groups ? await summariseStoredGroups(storage, runId, config.groups) : undefined;
  // One duration: from the run's start (a resumed run's first start) to its finish, as stored.
  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - startedAt.getTime();
  await storage.updateRun(runId, {
    status: outcome.status,
    finishedAt,
    durationMs,
    totals: outcome.totals,
    // Invalid rows quote the dataset: the storage sanitises this, as every write.
    summary: {
      providers: outcome.providers,
      thresholds,
      invalidRows: outcome.invalidRows.slice(0, 100),
      warnings: outcome.warnings,
      ...(groups ? { groups } : {}),
    },
    error: outcome.status === 'cancelled' ? 'cancelled by the user' : null,
  });
  return {
    runId,
    status: outcome.status,
    description: config.description,
    totals: outcome.totals,
    providers: outcome.providers,
    invalidRows: outcome.invalidRows,
    warnings: outcome.warnings,
    startedAt,
    finishedAt,
    durationMs,
    thresholds,
    storage: storage.location,
    ...(groups ? { groups } : {}),
  };
}

/**
 * The config's thresholds against each provider (and prompt): accuracy at least `minAccuracy`,
 * and no more than `maxErrorRate` of its results errors.
 */
function checkThresholds({ minAccuracy, maxErrorRate }: LabConfig['thresholds'], providers: ProviderSummary[]): RunReport['thresholds'] {
  const failures: string[] = [];
  for (const summary of providers) {
    const name = `${summary.providerId}${summary.promptId === 'default' ? '' : ` (${summary.promptId})`}`;
    if (summary.errorRate !== null && summary.errorRate > maxErrorRate) {
      failures.push(
        `${name}: ${summary.errors} of ${summary.results} results (${(summary.errorRate * 100).toFixed(1)}%) are errors, above the threshold maxErrorRate ${maxErrorRate}`,
      );
    }
    if (minAccuracy !== undefined && !(summary.accuracy !== null && summary.accuracy >= minAccuracy)) {
      failures.push(`${name}: accuracy ${summary.accuracy === null ? 'n/a' : summary.accuracy.toFixed(3)} is below the threshold ${minAccuracy}`);
    }
  }
  return { met: failures.length === 0, failures };
}

/**
 * Every string in a config that looks like a provider id (`openai:…`): providers, fallbacks,
 * members and judges alike, so their families are loaded before anything is created.
 */
export function providerReferencesIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (/^[a-z0-9][a-z0-9_.-]*:/i.test(value)) found.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) providerReferencesIn(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) providerReferencesIn(item, found);
  }
  return found;
}

/**
 * Replaces secret-looking values so a stored or shown config never holds a key or a password:
 * registered secrets, key-shaped strings, the password of a URL (`storage.url`), and any string
 * under a key named like a secret.
 */
export function redactConfig(value: unknown): unknown {
  return JSON.parse(sanitise(JSON.stringify(value ?? null)), (key, item: unknown) =>
    typeof item === 'string' && /key|token|secret|password/i.test(key) && item !== '' ? '[REDACTED]' : item,
  );
}

export function safeUserName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

export function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** `{ [key]: value }`, or nothing when the value is undefined (for optional options). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
