import { dirname, join } from 'node:path';
import { ConfigError, formatConfigPath, type LabConfig, type LanguageModelProvider, type Logger, type ProviderRegistry } from '@llm-lab/core';
import { createProviderManagerFromConfig, providerManagerConfigSchema, type ProviderManager } from '@llm-lab/provider-manager';
import type { ResolvedProvider } from './resolve-providers.js';

/** The keys of a provider entry that are the provider manager's policy. */
const POLICY_KEYS = ['retry', 'breaker', 'rateLimit', 'concurrency', 'cache', 'timeoutMs', 'fallbacks', 'members', 'strategy'] as const;

export interface ManageProvidersOptions {
  registry: ProviderRegistry;
  /** Where the config came from, for error messages. */
  file?: string;
  /** Working directory: base of a relative cache `dir`. */
  cwd: string;
  /** The embedded database's folder, when storage is embedded: the disk cache goes beside it. */
  embeddedDataDir?: string;
  /** Skip the response cache for this run (`--no-cache`). */
  noCache?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * The run-wide cache when the config names none: Redis when REDIS_URL is set (shared by every
 * worker), else a disk cache beside the embedded database, or in `.llm-lab/cache` of the working
 * directory when results go to a PostgreSQL server, so that a second run is warm either way.
 */
function defaultCache(options: ManageProvidersOptions): Record<string, unknown> {
  const env = options.env ?? process.env;
  if (env.REDIS_URL) return { kind: 'redis', url: env.REDIS_URL };
  const dir = options.embeddedDataDir ? join(dirname(options.embeddedDataDir), 'cache') : join(options.cwd, '.llm-lab', 'cache');
  return { kind: 'disk', dir };
}

/**
 * Puts every provider of a run behind the provider manager (cache, retries, circuit breaker,
 * fallbacks, load-balanced members, rate limits), from the policy keys of each `providers:`
 * entry and the run-wide `cache:`. Invalid policy fails with its place in the file.
 */
export function manageProviders(
  config: LabConfig,
  resolved: ResolvedProvider[],
  options: ManageProvidersOptions,
): { providers: ResolvedProvider[]; manager: ProviderManager } {
  const policies: Record<string, Record<string, unknown>> = {};
  const indexOfLabel = new Map<string, number>();
  config.providers.forEach((entry, index) => {
    const label = typeof entry === 'string' ? entry : (entry.label ?? entry.id);
    indexOfLabel.set(label, index);
    if (typeof entry === 'string') return;
    const policy: Record<string, unknown> = {};
    for (const key of POLICY_KEYS) if (entry[key] !== undefined) policy[key] = entry[key];
    if (Object.keys(policy).length > 0) policies[label] = policy;
  });
  const settings = {
    cache: options.noCache ? { kind: 'none' } : (config.cache ?? defaultCache(options)),
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
  const manager = createProviderManagerFromConfig(parsed.data, {
    providers: byLabel,
    createProvider: (reference) => options.registry.create(reference.id, reference.config, options.logger),
    cacheContext: { cwd: options.cwd, ...(options.env ? { env: options.env } : {}) },
  });
  return {
    providers: resolved.map((entry) => ({ ...entry, provider: manager.get(entry.label) })),
    manager,
  };
}
