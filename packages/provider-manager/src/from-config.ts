import type { LanguageModelProvider } from '@llm-lab/core';
import type { CreateCacheContext } from './cache/create-cache.js';
import { providerManagerConfigSchema, type MemberEntry, type ProviderManagerConfigInput } from './config-schema.js';
import type { ManagerObserver } from './events.js';
import { createProviderManager, type ManagedProviderDefinition, type ProviderManager } from './provider-manager.js';

/** A provider entry as the manager asks for it: an id and the `config:` block it was given. */
export interface ProviderReference {
  id: string;
  label?: string;
  config: Record<string, unknown>;
}

/** Options of {@link createProviderManagerFromConfig}. */
export interface ManagerFromConfigOptions {
  /** The run's providers, already made (the lab makes them from the config's `providers:`), keyed by id or label. */
  providers: ReadonlyMap<string, LanguageModelProvider>;
  /** Makes a provider the run did not list: a load-balanced member or a fallback. */
  createProvider(reference: ProviderReference): LanguageModelProvider;
  observer?: ManagerObserver;
  cacheContext?: CreateCacheContext;
}

function referenceOf(entry: MemberEntry): ProviderReference {
  return typeof entry === 'string' ? { id: entry, config: {} } : { id: entry.id, config: entry.config, ...(entry.label ? { label: entry.label } : {}) };
}

/**
 * Builds a manager from the `providerManager`-style settings of a config file (validated with
 * {@link providerManagerConfigSchema}): each run provider gets the policy listed under its id
 * (or the defaults); `members:` and fallbacks not among the run's providers are made with
 * `createProvider`. Throws a ConfigError for invalid settings.
 */
export function createProviderManagerFromConfig(settings: ProviderManagerConfigInput, options: ManagerFromConfigOptions): ProviderManager {
  const config = providerManagerConfigSchema.parse(settings);
  const definitions: ManagedProviderDefinition[] = [];
  const defined = new Set<string>();
  const made = new Map<string, LanguageModelProvider>();
  const providerFor = (reference: ProviderReference): LanguageModelProvider => {
    const key = reference.label ?? reference.id;
    const known = options.providers.get(key) ?? made.get(key);
    if (known) return known;
    const provider = options.createProvider(reference);
    made.set(key, provider);
    return provider;
  };
  const add = (id: string, provider: LanguageModelProvider | undefined) => {
    if (defined.has(id)) return;
    defined.add(id);
    const entry = config.providers[id];
    const members = entry?.members?.map((member) => {
      const reference = referenceOf(member);
      return { provider: providerFor(reference), name: reference.label ?? reference.id };
    });
    const policy = { ...entry, members: undefined };
    const definition: ManagedProviderDefinition = members
      ? { ...policy, id, members }
      : { ...policy, id, provider: provider ?? providerFor({ id, config: {} }) };
    definitions.push(definition);
    for (const fallback of entry?.fallbacks ?? []) add(fallback, undefined);
  };
  for (const [id, provider] of options.providers) add(id, provider);
  return createProviderManager({
    providers: definitions,
    cache: config.cache,
    singleFlight: config.singleFlight,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.cacheContext ? { cacheContext: options.cacheContext } : {}),
  });
}
