import { dirname, join, resolve } from 'node:path';
import { ConfigError, formatConfigPath, isLLMLabError, type LabConfig, type LanguageModelProvider, type Logger, type ProviderRegistry } from '@llm-lab/core';
import { addProvidersFromConfig, providerManagerConfigSchema, type ProviderGroup, type ProviderManager } from '@llm-lab/provider-manager';
import { findLabHome } from '@llm-lab/storage/lab-home';
import type { KeyManager } from '@llm-lab/security';
import { createWithSecrets } from './provider-secrets.js';
import type { ResolvedProvider } from './resolve-providers.js';

/** The keys of a provider entry that are the provider manager's policy. */
const POLICY_KEYS = ['retry', 'breaker', 'rateLimit', 'concurrency', 'cache', 'timeoutMs', 'fallbacks', 'members', 'strategy', 'pii'] as const;

export interface ManageProvidersOptions {
  /** The lab's manager: the run's providers are added to it as one group. */
  manager: ProviderManager;
  registry: ProviderRegistry;
  /** Where the config came from, for error messages. */
  file?: string;
  /** Working directory: where the default disk cache goes when results go to a PostgreSQL server. */
  cwd: string;
  /** Base of a relative cache `dir`, like every path of a config. Default the config file's folder, else `cwd`. */
  baseDir?: string;
  /** The embedded database's folder, when storage is embedded: the disk cache goes beside it. */
  embeddedDataDir?: string;
  /** Skip the response cache for this run (`--no-cache`). */
  noCache?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Resolves secret references in members' and fallbacks' configs. */
  keys?: KeyManager;
}

/**
 * The run-wide cache when the config names none: Redis when REDIS_URL is set (shared by every
 * worker), else a disk cache beside the embedded database, or in `cache` of the project's LLM Lab
 * folder (see `findLabHome`) when results go to a PostgreSQL server, so that a second run is warm either way.
 * When Redis cannot be reached, the run goes on with that disk cache (the manager warns once).
 */
function defaultCache(options: ManageProvidersOptions): Record<string, unknown> {
  const env = options.env ?? process.env;
  if (env.REDIS_URL) return { kind: 'redis', url: env.REDIS_URL, dir: defaultCacheDir(options) };
  return { kind: 'disk', dir: defaultCacheDir(options) };
}

function defaultCacheDir(options: ManageProvidersOptions): string {
  return options.embeddedDataDir ? join(dirname(options.embeddedDataDir), 'cache') : join(findLabHome(options.cwd, options.env ?? process.env).home, 'cache');
}

/**
 * The run-wide cache settings: none with `--no-cache`; the default without a `cache:` block. A
 * block without `kind` gets the default kind too (the provider manager's own default, an
 * in-process cache, would forget everything between runs and ignore `dir`), keeping its other
 * keys. A relative `dir` is resolved against the config's folder, like every path of a config.
 */
function cacheSettings(config: LabConfig, options: ManageProvidersOptions): Record<string, unknown> {
  if (options.noCache) return { kind: 'none' };
  const written = config.cache;
  if (written === undefined) return defaultCache(options);
  const settings: Record<string, unknown> = { ...written, kind: written.kind ?? defaultCache(options).kind };
  // For Redis, `dir` is the disk cache the run goes on with when Redis cannot be reached.
  if (settings.kind === 'disk' || settings.kind === 'redis') {
    // A `dir` that is not a non-empty string is left for the schema to refuse with its place in the file.
    if (settings.dir === undefined) settings.dir = defaultCacheDir(options);
    else if (typeof settings.dir === 'string' && settings.dir !== '') settings.dir = resolve(baseDirOf(options), settings.dir);
  }
  return settings;
}

function baseDirOf(options: ManageProvidersOptions): string {
  return options.baseDir ?? (options.file ? dirname(options.file) : options.cwd);
}

/**
 * Puts every provider of a run behind the lab's provider manager, as one group (cache, retries,
 * circuit breaker, fallbacks, load-balanced members, rate limits), from the policy keys of each
 * `providers:` entry and the run-wide `cache:`. Invalid policy fails with its place in the file.
 * Closing the returned group releases the run's providers; the manager lives on.
 */
export function manageProviders(
  config: LabConfig,
  resolved: ResolvedProvider[],
  options: ManageProvidersOptions,
): { providers: ResolvedProvider[]; group: ProviderGroup } {
  const policies: Record<string, Record<string, unknown>> = {};
  const indexOfLabel = new Map<string, number>();
  const idOfLabel = new Map<string, string>();
  config.providers.forEach((entry, index) => {
    const label = typeof entry === 'string' ? entry : (entry.label ?? entry.id);
    indexOfLabel.set(label, index);
    idOfLabel.set(label, typeof entry === 'string' ? entry : entry.id);
    if (typeof entry === 'string') return;
    const policy: Record<string, unknown> = {};
    for (const key of POLICY_KEYS) if (entry[key] !== undefined) policy[key] = entry[key];
    if (Object.keys(policy).length > 0) policies[label] = policy;
  });
  const settings = {
    cache: cacheSettings(config, options),
    singleFlight: config.singleFlight ?? true,
    providers: policies,
  };
  const parsed = providerManagerConfigSchema.safeParse(settings);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const [section, label, ...rest] = issue?.path ?? [];
    const path =
      section === 'providers' && typeof label === 'string'
        ? `providers[${indexOfLabel.get(label) ?? '?'}]${rest.length > 0 ? `.${formatConfigPath(rest)}` : ''}`
        : formatConfigPath(issue?.path ?? []);
    throw new ConfigError({ ...(options.file ? { file: options.file } : {}), path, message: issue?.message ?? 'invalid' });
  }

  const byLabel = new Map<string, LanguageModelProvider>(resolved.map((entry) => [entry.label, entry.provider]));
  let group: ProviderGroup;
  try {
    group = addProvidersFromConfig(options.manager, parsed.data, {
      providers: byLabel,
      ids: idOfLabel,
      createProvider: (reference) => createWithSecrets(reference.config, options.keys, (config) => options.registry.create(reference.id, config, options.logger)),
      // The engine sends `run.timeoutMs` with every call: it is the default, a provider entry's own `timeoutMs` wins.
      callTimeout: 'default',
      cacheContext: { cwd: baseDirOf(options), ...(options.env ? { env: options.env } : {}) },
    });
  } catch (error) {
    throw placedInFile(error, indexOfLabel, options.file);
  }
  return {
    providers: resolved.map((entry) => {
      const managed = group.get(entry.label);
      return { ...entry, provider: managed, answerers: [...managed.members, entry.provider.id] };
    }),
    group,
  };
}

/**
 * A ConfigError of the manager about one provider's policy (`providers.<label>.fallbacks[0]`),
 * placed at that entry of the file (`providers[2].fallbacks[0]`). Other errors are returned as they are.
 */
function placedInFile(error: unknown, indexOfLabel: ReadonlyMap<string, number>, file: string | undefined): unknown {
  if (!isLLMLabError(error) || error.code !== 'config_invalid') return error;
  const inner = error as ConfigError;
  for (const [label, index] of indexOfLabel) {
    const prefix = formatConfigPath(['providers', label]);
    if (inner.path === undefined || !inner.path.startsWith(prefix)) continue;
    const rest = inner.path.slice(prefix.length);
    if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) continue;
    return new ConfigError({ ...(file ? { file } : {}), path: `providers[${index}]${rest}`, message: inner.detail, cause: error });
  }
  return error;
}
