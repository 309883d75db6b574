import { ConfigError, formatConfigPath, type LanguageModelProvider } from '@llm-lab/core';
import type { CreateCacheContext } from './cache/create-cache.js';
import { providerIdSchema, providerManagerConfigSchema, type MemberEntry, type ProviderManagerConfigInput } from './config-schema.js';
import type { ManagerObserver } from './events.js';
import {
  createProviderManager,
  type ManagedProviderDefinition,
  type ProviderGroup,
  type ProviderGroupOptions,
  type ProviderManager,
  type ProviderManagerOptions,
} from './provider-manager.js';

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
  /**
   * The provider id of each run provider, keyed like `providers`, so that a fallback can name a
   * labelled provider by its id. Default each provider's own `id`.
   */
  ids?: ReadonlyMap<string, string>;
  /** How a call's own `timeoutMs` relates to a policy's (see ProviderManagerOptions.callTimeout). Default `override`. */
  callTimeout?: ProviderManagerOptions['callTimeout'];
  observer?: ManagerObserver;
  cacheContext?: CreateCacheContext;
}

function referenceOf(entry: MemberEntry): ProviderReference {
  return typeof entry === 'string' ? { id: entry, config: {} } : { id: entry.id, config: entry.config, ...(entry.label ? { label: entry.label } : {}) };
}

/**
 * The key of the run provider a fallback names: its label, else the id of exactly one run
 * provider (a labelled entry keeps its config — apiKey, baseURL — where a provider made from the
 * id alone would have none), else the name itself, an id (a provider made with `createProvider`).
 * Throws a ConfigError when the id is shared by several run providers (only a label tells them
 * apart), or when the name is neither a label nor an id.
 */
function resolveFallback(name: string, owner: string, index: number, options: ManagerFromConfigOptions): string {
  if (options.providers.has(name)) return name;
  const labels = [...options.providers].filter(([label, provider]) => (options.ids?.get(label) ?? provider.id) === name).map(([label]) => label);
  if (labels.length === 1) return labels[0] as string;
  const path = formatConfigPath(['providers', owner, 'fallbacks', index]);
  if (labels.length > 1) {
    throw new ConfigError({ path, message: `${name} is the id of several providers (${labels.join(', ')}); name one by its label in fallbacks.` });
  }
  if (!providerIdSchema.safeParse(name).success) {
    throw new ConfigError({
      path,
      message: `${name} is neither the label of a provider (${[...options.providers.keys()].join(', ')}) nor a provider id of the form <provider>:<model>; name a provider of the run, or give an id.`,
    });
  }
  return name;
}

/**
 * Builds a manager from the `providerManager`-style settings of a config file (validated with
 * {@link providerManagerConfigSchema}): each run provider gets the policy listed under its id
 * (or the defaults); `members:` and fallbacks not among the run's providers are made with
 * `createProvider`. A fallback names a run provider by its label, or by its id when no label
 * matches. Throws a ConfigError for invalid settings or a fallback id shared by several providers.
 */
export function createProviderManagerFromConfig(settings: ProviderManagerConfigInput, options: ManagerFromConfigOptions): ProviderManager {
  return createProviderManager({
    ...groupFromConfig(settings, options),
    ...(options.observer ? { observer: options.observer } : {}),
  });
}

/**
 * Adds the providers of config settings to an existing manager, as one group (its own policies
 * and cache, see {@link createProviderManagerFromConfig}): how a long-lived lab manages each
 * run's providers through the one manager its observers watch.
 */
export function addProvidersFromConfig(
  manager: ProviderManager,
  settings: ProviderManagerConfigInput,
  options: Omit<ManagerFromConfigOptions, 'observer'>,
): ProviderGroup {
  return manager.add(groupFromConfig(settings, options));
}

function groupFromConfig(settings: ProviderManagerConfigInput, options: Omit<ManagerFromConfigOptions, 'observer'>): ProviderGroupOptions {
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
    const written = config.providers[id];
    const entry = written && { ...written, fallbacks: written.fallbacks.map((name, index) => resolveFallback(name, id, index, options)) };
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
  return {
    providers: definitions,
    cache: config.cache,
    singleFlight: config.singleFlight,
    ...(options.callTimeout ? { callTimeout: options.callTimeout } : {}),
    ...(options.cacheContext ? { cacheContext: options.cacheContext } : {}),
  };
}
