import { resolve } from 'node:path';
import {
  ConfigError,
  loadConfig,
  loadServingConfig,
  parseConfig,
  parseServingConfig,
  type ServingConfig,
  registerSecretsIn,
  type LoadedConfig,
  type Logger,
  type ProviderRegistry,
  type RegisteredProvider,
} from '@llm-lab/core';
import type { ExecutionOutcome, RunPlan } from '@llm-lab/evaluation';
import {
  createProviderManager,
  type ManagerEventListener,
  type ManagerObserver,
  type ProviderManager,
  type SharedRateLimitStore,
} from '@llm-lab/provider-manager';
import {
  eachResult,
  openStorage,
  type ListRunsOptions,
  type ResultFilter,
  type ResultPage,
  type ResultQuery,
  type ResultRecord,
  type RunRecord,
  type Storage,
} from '@llm-lab/storage';
import { createDefaultRegistry } from './builtin-providers.js';
import { KeyManagers, readProviderSecrets } from './provider-secrets.js';
import { resolveProviders, type ResolvedProvider } from './resolve-providers.js';
import {
  isLoaded,
  planStoredRun,
  providerReferencesIn,
  recordStoredRun,
  redactConfig,
  runToEnd,
  type ConfigSource,
  type RunHost,
  type RunReport,
  type SliceOptions,
} from './run-orchestrator.js';
import { rescoreRun, type RescoreOptions, type RescoreReport } from './rescore.js';
import type { RunOptions } from './run-options.js';
import { withShownStatus, type RunView } from './run-status.js';
import { serveProviders, type ServedProviders } from './serve-providers.js';
import { executeSlice, openSliceExecutor, type SliceExecutor } from './slice-executor.js';
import { logManagerEvents } from './log-events.js';
import { sanitiseWrites } from './sanitised-storage.js';

export type { RunOptions } from './run-options.js';
export type { RunReport, SliceOptions } from './run-orchestrator.js';
export type { SliceExecutor } from './slice-executor.js';

export interface LabOptions {
  /**
   * The working folder: where the project's `.llm-lab/` (the embedded database, the cache) is
   * looked for, upwards (env LLM_LAB_HOME overrides; see `findLabHome`). Default: the process's working directory.
   */
  cwd?: string;
  /** A PostgreSQL URL. Default: the config's `storage.url`, else DATABASE_URL, else embedded PGlite. */
  databaseUrl?: string;
  /** Folder of the embedded database. Default: the config's `storage.dataDir`, else `db` in the project's `.llm-lab/`. */
  dataDir?: string;
  /** PostgreSQL schema to keep the tables in (isolation on a shared server). */
  databaseSchema?: string;
  /** Provider families to use. Default: the built-ins (mock, openai). */
  registry?: ProviderRegistry;
  logger?: Logger;
  /**
   * Where the providers' `rateLimit` budgets are counted, shared with other processes (a
   * `RedisRateLimitStore`: the workers of a distributed run keep one budget per provider, and a
   * 429 one of them receives holds all of them back). Default: in this process. Not closed by `close()`.
   */
  sharedRateLimits?: SharedRateLimitStore;
  /**
   * Clock of the key manager's secret cache (ms), for tests of rotation. Default `Date.now`.
   * Secret references (`apiKey: { from: vault, … }`) are read with the config's `security:` settings.
   */
  secretsClock?: () => number;
}

/**
 * LLM Lab as a library: everything the CLI does is a call here. Storage opens lazily, on the
 * first call that needs it.
 */
export class Lab {
  readonly registry: ProviderRegistry;
  /**
   * The lab's one provider manager, for its whole life: every run adds its providers to it as a
   * group (closed when the run ends), and so can a server (a gateway's routes). `observe` watches it.
   */
  readonly manager: ProviderManager;
  private readonly options: LabOptions;
  private storage: Promise<Storage> | undefined;
  private readonly host: RunHost;
  private readonly keyManagers: KeyManagers;

  constructor(options: LabOptions = {}) {
    this.options = options;
    this.registry = options.registry ?? createDefaultRegistry();
    this.manager = createProviderManager(options.sharedRateLimits ? { sharedRateLimits: options.sharedRateLimits } : {});
    // Provider calls, retries, fallbacks and breaker changes in the log (see logManagerEvents).
    if (options.logger) logManagerEvents(this.manager, options.logger);
    // A Vault or AWS outage after the TTL keeps the last value read; the logger says so.
    const keyManagers = new KeyManagers({ ...(options.secretsClock ? { now: options.secretsClock } : {}), onStale: (message) => options.logger?.warn(message) });
    this.keyManagers = keyManagers;
    this.host = {
      keysFor: (security, baseDir) => keyManagers.for(security, baseDir),
      registry: this.registry,
      manager: this.manager,
      cwd: options.cwd ?? process.cwd(),
      logger: options.logger,
      openStorage: (configured) => this.openStorage(configured),
    };
  }

  /**
   * Watches every call made through the lab's provider manager, by every run (and server) of this
   * lab: `request-start` and `request-end` name each call (request id, source `run:<id>`,
   * provider, model, latency, time to first token, tokens, cost, cache hit, attempts, error
   * class); the other events say what the manager did (retries, fallbacks, breakers, cache).
   * Give one function for every event (its name in `type`), or an object of listeners by event
   * name. Listeners run synchronously and must be quick; one that throws is ignored. Returns a
   * function that stops watching.
   */
  observe(observer: ManagerEventListener | ManagerObserver): () => void {
    return this.manager.observe(observer);
  }

  /** The config, validated, from a file path, an object built in code, or an already loaded config. */
  async loadConfig(source: ConfigSource): Promise<LoadedConfig> {
    if (typeof source === 'string') return loadConfig(resolve(this.options.cwd ?? process.cwd(), source));
    if (isLoaded(source)) return source;
    return parseConfig(source, { baseDir: this.options.cwd ?? process.cwd() });
  }

  /**
   * Opens (once) and returns the storage this lab writes to. `configured` is a config's
   * `storage:` block (its `dataDir` already resolved); the lab's own options come first.
   */
  async openStorage(configured: { url?: string; dataDir?: string } = {}): Promise<Storage> {
    if (!this.storage) {
      const databaseUrl = this.options.databaseUrl ?? configured.url ?? process.env.DATABASE_URL;
      // Its password is a secret wherever it came from (a flag, the environment, the config).
      registerSecretsIn(databaseUrl);
      const dataDir = this.options.dataDir ?? configured.dataDir;
      // Every write passes through the sanitiser (sanitised-storage.ts).
      this.storage = openStorage({
        ...(databaseUrl ? { url: databaseUrl } : {}),
        ...(dataDir ? { dataDir } : {}),
        ...(this.options.databaseSchema ? { schema: this.options.databaseSchema } : {}),
        cwd: this.options.cwd ?? process.cwd(),
      }).then(sanitiseWrites);
      this.storage.catch(() => {
        this.storage = undefined;
      });
    }
    return this.storage;
  }

  /**
   * Runs a benchmark config end to end and stores every result as it arrives: plan, execute,
   * record (see {@link plan}, {@link execute} and {@link record} for the three steps apart).
   */
  async run(source: ConfigSource, options: RunOptions = {}): Promise<RunReport> {
    return runToEnd(this.host, await this.loadConfig(source), source, options);
  }

  /**
   * Plans a run and stores it (with its plan) without executing it. Slices of it are executed by
   * {@link execute}, in this process or others given the same config and storage, and
   * {@link record} summarises it from storage once they are done.
   */
  async plan(
    source: ConfigSource,
    options: Pick<RunOptions, 'limit' | 'repeat' | 'stream' | 'noCache' | 'batch' | 'preparation' | 'prepareCase'> = {},
  ): Promise<{ runId: string; plan: RunPlan; storage: string }> {
    return planStoredRun(this.host, await this.loadConfig(source), source, options);
  }

  /** Executes a slice of a planned run's plan (default all of it); results already stored are skipped. */
  async execute(runId: string, source: ConfigSource, options: SliceOptions = {}): Promise<ExecutionOutcome> {
    return executeSlice(this.host, await this.loadConfig(source), runId, options);
  }

  /**
   * Prepares a planned run once to execute many slices of it in this process (a distributed
   * worker's shards): the config checked against the run's, the providers made. Close it when done.
   */
  async openSlices(runId: string, source: ConfigSource, options: Pick<SliceOptions, 'concurrency' | 'timeoutMs' | 'onWarning'> = {}): Promise<SliceExecutor> {
    return openSliceExecutor(this.host, await this.loadConfig(source), runId, options);
  }

  /** Summarises a planned run from its stored results, checks thresholds and records it as completed. */
  async record(runId: string, source: ConfigSource): Promise<RunReport> {
    return recordStoredRun(this.host, await this.loadConfig(source), runId);
  }

  /**
   * The providers of a serving config (a gateway's: a file path, an object, or one already
   * parsed), made and managed as one group of this lab's manager, for a server that answers with
   * them until it closes the group. See {@link ServedProviders}.
   */
  async serveProviders(source: string | ServingConfig | Record<string, unknown>): Promise<ServedProviders> {
    const cwd = this.options.cwd ?? process.cwd();
    const config =
      typeof source === 'string'
        ? await loadServingConfig(resolve(cwd, source))
        : isServingConfig(source)
          ? source
          : parseServingConfig(source, { baseDir: cwd });
    return serveProviders({ registry: this.registry, manager: this.manager, cwd, keysFor: this.host.keysFor, ...(this.options.logger ? { logger: this.options.logger } : {}) }, config);
  }

  /**
   * Re-scores a stored run's outputs with other evaluators, without calling its models, as a new
   * run linked to it (`rescoredFrom(run)`). `evaluators`: an evaluators file (a path), a list of
   * evaluator entries, or a config (its evaluators, judges, thresholds and groups apply). Judges of
   * model-graded evaluators are called: that is scoring, not answering again.
   */
  async rescore(runId: string, evaluators: string | readonly unknown[] | { config: ConfigSource }, options: RescoreOptions = {}): Promise<RescoreReport> {
    const source =
      typeof evaluators === 'string'
        ? { file: evaluators }
        : Array.isArray(evaluators)
          ? { entries: evaluators }
          : { config: await this.loadConfig((evaluators as { config: ConfigSource }).config) };
    return rescoreRun(this.host, runId, source, options);
  }

  /** Provider families known to this lab: the built-ins, plus the plugins a config lists. */
  async listProviders(source?: ConfigSource): Promise<RegisteredProvider[]> {
    if (source !== undefined) {
      const { config, baseDir } = await this.loadConfig(source);
      for (const plugin of config.plugins) await this.registry.loadPlugin(plugin, { cwd: baseDir });
    }
    await this.registry.load();
    return this.registry.list();
  }

  /**
   * A single provider, ready to call: by id (`openai:gpt-4o-mini`, created with an empty config,
   * so keys come from the environment), or by the id or label of an entry in a config, created
   * with that entry's config and the config's plugins loaded.
   */
  async createProvider(idOrLabel: string, source?: ConfigSource): Promise<ResolvedProvider> {
    if (source === undefined) {
      await this.registry.load([idOrLabel]);
      return { label: idOrLabel, provider: this.registry.create(idOrLabel, {}, this.options.logger), settings: {} };
    }
    const { config, baseDir, file } = await this.loadConfig(source);
    for (const plugin of config.plugins) await this.registry.loadPlugin(plugin, { cwd: baseDir });
    await this.registry.load(providerReferencesIn(config));
    const index = config.providers.findIndex((entry) =>
      typeof entry === 'string' ? entry === idOrLabel : entry.label === idOrLabel || entry.id === idOrLabel,
    );
    if (index < 0) {
      throw new ConfigError({
        ...(file ? { file } : {}),
        path: 'providers',
        message: `no provider '${idOrLabel}' in this config (it has: ${config.providers.map((entry) => (typeof entry === 'string' ? entry : (entry.label ?? entry.id))).join(', ')}).`,
      });
    }
    const entry = config.providers[index] as (typeof config.providers)[number];
    const keys = this.host.keysFor(config.security, baseDir);
    await readProviderSecrets([entry], keys);
    const resolved = resolveProviders({ ...config, providers: [entry] }, this.registry, {
      keys,
      ...(file ? { file } : {}),
    })[0] as ResolvedProvider;
    return { ...resolved, settings: { ...config.defaults, ...resolved.settings } };
  }

  /**
   * Stored runs, newest first; a run whose process died while running it is `interrupted`.
   * Configs are redacted again, for runs stored by older versions.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<RunView[]> {
    const storage = await this.openStorage();
    return withShownStatus(storage, (await storage.listRuns(options)).map(redactedRun));
  }

  /**
   * A stored run by id or a unique start or end of its id, with its results counted by outcome;
   * `interrupted` as in {@link listRuns}. The results themselves are not read: page through them
   * with {@link listResults} or {@link eachResult}. The counts are the run's stored totals when it
   * finished (completed or cancelled), else SQL aggregates over its stored results (a run still
   * running, interrupted, or failed, whose totals may be missing or out of date).
   */
  async getRun(idOrPrefix: string): Promise<{ run: RunView; counts: RunResultCounts } | undefined> {
    const storage = await this.openStorage();
    const stored = await storage.getRun(idOrPrefix);
    if (!stored) return undefined;
    const [run] = (await withShownStatus(storage, [redactedRun(stored)])) as [RunView];
    const totals = run.totals;
    if (totals && (run.status === 'completed' || run.status === 'cancelled')) {
      return { run, counts: { results: totals.results, passed: totals.passed, failed: totals.failed, errors: totals.errors, from: 'totals' } };
    }
    const { results, passed, failed, errors } = await storage.aggregateResults(run.id);
    return { run, counts: { results, passed, failed, errors, from: 'aggregate' } };
  }

  /** One page of a run's stored results, filtered and sorted (see `ResultStore.listResults`). */
  async listResults(query: ResultQuery): Promise<ResultPage> {
    return (await this.openStorage()).listResults(query);
  }

  /** How many of a run's results match `filter` (all without one), counted in SQL. */
  async countResults(runId: string, filter?: ResultFilter): Promise<number> {
    return (await this.openStorage()).countResults(runId, filter);
  }

  /** Every result a query matches, read a page at a time (memory stays at one page). */
  async *eachResult(query: Omit<ResultQuery, 'cursor' | 'limit'>, pageSize?: number): AsyncGenerator<ResultRecord, void, undefined> {
    yield* eachResult(await this.openStorage(), query, pageSize);
  }

  /** Releases the provider manager (every group still open, and the caches it made) and closes the storage connection. */
  async close(): Promise<void> {
    await this.manager.close();
    this.keyManagers.close();
    const storage = this.storage;
    this.storage = undefined;
    if (storage) await (await storage).close();
  }
}

/** A run's results counted by outcome, and where the counts came from (see {@link Lab.getRun}). */
export interface RunResultCounts {
  results: number;
  passed: number;
  failed: number;
  errors: number;
  /** `totals`: the run's stored totals; `aggregate`: counted in SQL from its stored results. */
  from: 'totals' | 'aggregate';
}

/** Creates a {@link Lab}. */
export function createLab(options: LabOptions = {}): Lab {
  return new Lab(options);
}

function isServingConfig(source: object): source is ServingConfig {
  return 'baseDir' in source && Array.isArray((source as ServingConfig).providers) && Array.isArray((source as ServingConfig).plugins);
}

/** `run` with its configs redacted: a run stored before URL passwords were redacted shows none either. */
function redactedRun(run: RunRecord): RunRecord {
  return { ...run, config: redactConfig(run.config), resolvedConfig: redactConfig(run.resolvedConfig) };
}
