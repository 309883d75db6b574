import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import {
  ConfigError,
  loadConfig,
  parseConfig,
  redactKnownSecrets,
  redactSecrets,
  registerSecretsIn,
  type LabConfig,
  type LabConfigInput,
  type LanguageModelProvider,
  type LoadedConfig,
  type Logger,
  type ProviderRegistry,
  type RegisteredProvider,
} from '@llm-lab/core';
import {
  answerersOf,
  runEvaluation,
  type EvaluationOutcome,
  type InvalidRow,
  type ProviderSummary,
} from '@llm-lab/evaluation';
import {
  eachResult,
  generateRunId,
  openStorage,
  type ListRunsOptions,
  type ResultFilter,
  type ResultPage,
  type ResultQuery,
  type ResultRecord,
  type RunHold,
  type RunRecord,
  type Storage,
} from '@llm-lab/storage';
import type { ProviderManager } from '@llm-lab/provider-manager';
import { effectiveRunOptions, findRunToResume, summariseStoredRun, type RecordedRunOptions } from './resume.js';
import { withShownStatus, type RunView } from './run-status.js';
import { createDefaultRegistry } from './builtin-providers.js';
import { manageProviders } from './manage-providers.js';
import { resolveProviders, type ResolvedProvider } from './resolve-providers.js';

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
}

/**
 * Per-run overrides of the config's `run:` block and hooks. `limit`, `repeat`, `stream` and
 * `noCache` are recorded with the run (see {@link RecordedRunOptions}) and apply again when it is
 * resumed, so they need not be given twice; `concurrency` only sets the pace and is not recorded.
 */
export interface RunOptions {
  /** Calls in flight at once. Free to change on resume. Default `config.run.concurrency`. */
  concurrency?: number;
  /** Only the first N cases. Default `config.run.limit`. On resume: the run's own (a different value is refused). */
  limit?: number;
  /** Times each case is sent to each provider. Default `config.run.repeat`. On resume: the run's own (a different value is refused). */
  repeat?: number;
  /** Use streamed calls (records time to first token). On resume: the run's own (a different value is refused). */
  stream?: boolean;
  /**
   * Neither read nor write the response cache (`--no-cache`): every answer is a fresh call. On
   * resume it may be turned on; turning it off for a run started with it is refused, since
   * cached answers would then mix into a run meant to hold fresh ones.
   */
  noCache?: boolean;
  /**
   * Continue an earlier run by id: only the missing (case, provider, prompt, repeat) results are
   * run, with the limit, repeat, stream and cache setting the run was started with. Errored
   * results (a failed call, template or evaluator) count as missing: they are run again and
   * their new results replace them.
   */
  resume?: string;
  /** Stops the run; everything finished so far is kept and the run is marked cancelled. */
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number | undefined; passed: number; failed: number; errors: number }) => void;
  onInvalidRow?: (row: InvalidRow) => void;
  /**
   * Turns each case's raw row into the fields its prompts and evaluators use (a benchmark
   * suite's `prepare`); applied after case ids are assigned. Not stored with the run: pass it
   * again when resuming.
   */
  prepareCase?: (vars: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Called once the run row is stored, before any call is made: whatever a person sees of the
   * run, it can be found and resumed.
   */
  onStart?: (run: { id: string; storage: string; providers: string[] }) => void;
  /**
   * Something the user should know that does not stop the run, called once per problem: the
   * response cache (Redis) cannot be reached and the run goes on with the disk cache (as it
   * happens), or, when the run ends, each of its warnings (see {@link RunReport.warnings}).
   * Default: the lab's logger, if any.
   */
  onWarning?: (message: string) => void;
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
   * shaped like API keys (stored as they are: they are the dataset's data). Also stored in the
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
}

type ConfigSource = string | LabConfigInput | LoadedConfig;

function isLoaded(source: ConfigSource): source is LoadedConfig {
  return typeof source === 'object' && source !== null && 'config' in source && 'baseDir' in source;
}

/**
 * Replaces secret-looking values so a stored or shown config never holds a key or a password:
 * registered secrets, key-shaped strings, the password of a URL (`storage.url`), and any string
 * under a key named like a secret.
 */
function redactConfig(value: unknown): unknown {
  return JSON.parse(redactSecrets(JSON.stringify(value ?? null)), (key, item: unknown) =>
    typeof item === 'string' && /key|token|secret|password/i.test(key) && item !== '' ? '[REDACTED]' : item,
  );
}

/**
 * LLM Lab as a library: everything the CLI does is a call here. Storage opens lazily, on the
 * first call that needs it.
 */
export class Lab {
  readonly registry: ProviderRegistry;
  private readonly options: LabOptions;
  private storage: Promise<Storage> | undefined;

  constructor(options: LabOptions = {}) {
    this.options = options;
    this.registry = options.registry ?? createDefaultRegistry();
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
      this.storage = openStorage({
        ...(databaseUrl ? { url: databaseUrl } : {}),
        ...(dataDir ? { dataDir } : {}),
        ...(this.options.databaseSchema ? { schema: this.options.databaseSchema } : {}),
        cwd: this.options.cwd ?? process.cwd(),
      });
      this.storage.catch(() => {
        this.storage = undefined;
      });
    }
    return this.storage;
  }

  /** Runs a benchmark config end to end and stores every result as it arrives. */
  async run(source: ConfigSource, options: RunOptions = {}): Promise<RunReport> {
    const loaded = await this.loadConfig(source);
    const { config, baseDir, file } = loaded;
    // Storage opens (in its own thread, when embedded) while the providers' packages load.
    const opening = this.openStorage({
      ...(config.storage.url ? { url: config.storage.url } : {}),
      ...(config.storage.dataDir ? { dataDir: resolve(baseDir, config.storage.dataDir) } : {}),
    });
    opening.catch(() => undefined);
    for (const plugin of config.plugins) await this.registry.loadPlugin(plugin, { cwd: baseDir });
    await this.registry.load(providerReferencesIn(config));
    const resolved = resolveProviders(config, this.registry, { ...(file ? { file } : {}), ...(this.options.logger ? { logger: this.options.logger } : {}) });
    let storage: Storage;
    let previous: RunRecord | undefined;
    let effective: RecordedRunOptions;
    let managed: ReturnType<typeof manageProviders>;
    try {
      storage = await opening;
      // A resumed run's recorded options are needed before the providers are managed: they say
      // whether the cache is bypassed.
      previous = options.resume !== undefined ? await findRunToResume(storage, options.resume, config) : undefined;
      effective = effectiveRunOptions(config, options, previous);
      managed = manageProviders(config, resolved, {
        registry: this.registry,
        cwd: this.options.cwd ?? process.cwd(),
        ...(file ? { file } : {}),
        ...(storage.kind === 'pglite' ? { embeddedDataDir: storage.location } : {}),
        ...(effective.noCache ? { noCache: true } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
    } catch (error) {
      await Promise.all(resolved.map((entry) => entry.provider.close?.()));
      throw error;
    }
    const { providers, manager } = managed;
    const warn = options.onWarning ?? ((message: string) => this.options.logger?.warn(message));
    manager.on('cache-unavailable', (event) => warn(event.message));
    const managedByLabel = new Map(providers.map((entry) => [entry.label, entry.provider]));

    let runId: string;
    let startedAt: Date;
    let created: Promise<unknown> | undefined;
    let hold: RunHold;
    try {
      ({ runId, startedAt, created, hold } = await this.startRun(storage, loaded, source, previous, effective));
    } catch (error) {
      await manager.close();
      throw error;
    }
    try {
      return await this.finishRun({ storage, config, baseDir, providers, manager, managedByLabel, runId, startedAt, created, options, effective });
    } finally {
      await hold.release();
    }
  }

  /** Runs the evaluation of a started run, then records how it ended. */
  private async finishRun({
    storage,
    config,
    baseDir,
    providers,
    manager,
    managedByLabel,
    runId,
    startedAt,
    created,
    options,
    effective,
  }: {
    storage: Storage;
    config: LoadedConfig['config'];
    baseDir: string;
    providers: ResolvedProvider[];
    manager: ProviderManager;
    managedByLabel: Map<string, LanguageModelProvider>;
    runId: string;
    startedAt: Date;
    /** Settles when the run row is stored; undefined when it already is. */
    created: Promise<unknown> | undefined;
    options: RunOptions;
    effective: RecordedRunOptions;
  }): Promise<RunReport> {
    // The engine prepares (evaluators, dataset) while the embedded database may still be opening,
    // but makes no call before the run row is stored: every call belongs to a recorded run, and a
    // process killed after its first progress line leaves a run that `--resume` finds.
    const announce = () => options.onStart?.({ id: runId, storage: storage.location, providers: providers.map((provider) => provider.label) });
    const recorded = created === undefined ? Promise.resolve(announce()) : created.then(announce);
    recorded.catch(() => undefined);

    let outcome: EvaluationOutcome;
    try {
      outcome = await runEvaluation({
        runId,
        config,
        baseDir,
        providers,
        store: storage,
        resume: options.resume !== undefined,
        createProvider: (id, providerConfig) =>
          Object.keys(providerConfig).length === 0 && managedByLabel.has(id)
            ? (managedByLabel.get(id) as LanguageModelProvider)
            : this.createJudge(config, id, providerConfig),
        ...pick(options, ['concurrency', 'signal', 'onProgress', 'onInvalidRow', 'prepareCase']),
        onWarning: options.onWarning ?? ((message) => this.options.logger?.warn(message)),
        startAfter: recorded,
        repeat: effective.repeat,
        ...(effective.limit !== null ? { limit: effective.limit } : {}),
        stream: effective.stream,
      });
      await recorded;
    } catch (error) {
      // A run row that could not be written means storage is unusable: report that, not a second error.
      await recorded;
      const finishedAt = new Date();
      await storage.updateRun(runId, {
        status: 'failed',
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        error: redactSecrets(error instanceof Error ? error.message : String(error)),
      });
      throw error;
    } finally {
      await manager.close();
    }

    // A resumed run's engine only saw the missing results: summarise the whole run from storage.
    // With the run's repeat, not the config's: `--repeat 5` on a `repeat: 1` config has pass@k too.
    if (options.resume !== undefined) {
      const answerers = new Map(providers.map((provider) => [provider.label, answerersOf(provider)]));
      outcome = await summariseStoredRun(storage, runId, outcome, effective.repeat, answerers);
    }

    const thresholds = checkThresholds(config.thresholds, outcome.providers);
    // One duration: from the run's start (a resumed run's first start) to its finish, as stored.
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    await storage.updateRun(runId, {
      status: outcome.status,
      finishedAt,
      durationMs,
      totals: outcome.totals,
      // Invalid rows quote the dataset, which may hold a registered secret.
      summary: redactKnownSecrets({
        providers: outcome.providers,
        thresholds,
        invalidRows: outcome.invalidRows.slice(0, 100),
        warnings: outcome.warnings,
      }),
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
    };
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
    const entry = config.providers[index];
    const resolved = resolveProviders({ ...config, providers: [entry as (typeof config.providers)[number]] }, this.registry, {
      ...(file ? { file } : {}),
    })[0] as ResolvedProvider;
    return { ...resolved, settings: { ...config.defaults, ...resolved.settings } };
  }

  /**
   * Creates the run row (recording `effective` in its resolved config), or reopens `previous`, a
   * stopped run, for `--resume`, deleting its errored results so they are run again. When
   * storage runs calls in order (the embedded database's worker) the row is written without
   * waiting, which lets the engine prepare while the database is still opening; `created`
   * settles when the row exists (undefined: it already does), and no call is made before.
   * `startedAt` is taken here, when the run starts, not when the database gets to the insert.
   */
  private async startRun(
    storage: Storage,
    loaded: LoadedConfig,
    source: ConfigSource,
    previous: RunRecord | undefined,
    effective: RecordedRunOptions,
  ): Promise<{ runId: string; startedAt: Date; created: Promise<unknown> | undefined; hold: RunHold }> {
    const { config, file } = loaded;
    if (previous) {
      // Refused while another process is still running it (two resumes at once would race).
      const hold = await storage.holdRun(previous.id);
      try {
        await storage.updateRun(previous.id, { status: 'running', finishedAt: null, durationMs: null, error: null });
        // An errored result is not finished work: a resume runs it again, and the new result takes its key.
        await storage.deleteErroredResults(previous.id);
      } catch (error) {
        await hold.release();
        throw error;
      }
      return { runId: previous.id, startedAt: previous.startedAt, created: undefined, hold };
    }
    const startedAt = new Date();
    const id = generateRunId(startedAt);
    const hold = await storage.holdRun(id);
    const creating = storage.createRun({
      id,
      description: config.description === undefined ? null : redactSecrets(config.description),
      configFile: file ?? null,
      config: redactConfig(typeof source === 'object' && !isLoaded(source) ? source : config),
      resolvedConfig: { ...(redactConfig(config) as Record<string, unknown>), runOptions: effective },
      createdBy: safeUserName(),
      startedAt,
    });
    if (!storage.ordered) {
      const run = await creating.catch(async (error: unknown) => {
        await hold.release();
        throw error;
      });
      return { runId: run.id, startedAt, created: undefined, hold };
    }
    creating.catch(() => undefined);
    return { runId: id, startedAt, created: creating, hold };
  }

  /**
   * Makes a judge for model-graded evaluators: a provider entry of the config by label or id
   * (so its keys and base URL apply), else a provider from the registry with the given config.
   */
  private createJudge(config: LoadedConfig['config'], id: string, providerConfig: Record<string, unknown>): LanguageModelProvider {
    if (Object.keys(providerConfig).length === 0) {
      const entry = config.providers.find((candidate) => typeof candidate !== 'string' && (candidate.label === id || candidate.id === id));
      if (entry && typeof entry !== 'string') return this.registry.create(entry.id, entry.config, this.options.logger);
    }
    return this.registry.create(id, providerConfig, this.options.logger);
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

  /** Closes the storage connection. */
  async close(): Promise<void> {
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
function providerReferencesIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (/^[a-z0-9][a-z0-9_.-]*:/i.test(value)) found.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) providerReferencesIn(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) providerReferencesIn(item, found);
  }
  return found;
}

/** `run` with its configs redacted: a run stored before URL passwords were redacted shows none either. */
function redactedRun(run: RunRecord): RunRecord {
  return { ...run, config: redactConfig(run.config), resolvedConfig: redactConfig(run.resolvedConfig) };
}

function safeUserName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
