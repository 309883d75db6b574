import { ConfigError, parseProviderId, type GenerateResponse, type LanguageModelProvider } from '@llm-lab/core';
import { CacheGuard } from './cache/cache-guard.js';
import { createCacheFromSettings, fallbackCacheFor, type CreateCacheContext } from './cache/create-cache.js';
import type { ResponseCache } from './cache/response-cache.js';
import {
  managerCacheSchema,
  providerPolicySchema,
  type ManagerCacheInput,
  type ProviderPolicy,
  type ProviderPolicyInput,
} from './config-schema.js';
import { ManagerEmitter, type ManagerEventListener, type ManagerEventName, type ManagerListener, type ManagerObserver } from './events.js';
import { LoadBalancer } from './load-balancer.js';
import { ManagedProvider, type ManagerContext, type Target } from './managed-provider.js';
import { Member } from './member.js';
import { PiiManagedProvider, piiGuardOf } from './pii-provider.js';
import type { BreakerSnapshot } from './resilience/circuit-breaker.js';
import type { SharedRateLimitStore } from './resilience/redis-rate-limit.js';

/** A member given in code: a provider, optionally with the name it goes by in events and `answeredBy`. */
export type MemberDefinition = LanguageModelProvider | { provider: LanguageModelProvider; name?: string };

/** One logical provider: a provider (or several members behind one id) and its policy. */
export interface ManagedProviderDefinition extends Omit<ProviderPolicyInput, 'members'> {
  /** The id callers and fallbacks use. Default the (first) provider's id. */
  id?: string;
  /** The provider, when there is one. */
  provider?: LanguageModelProvider;
  /** Several deployments or keys behind this id, balanced by `strategy` (instead of `provider`). */
  members?: MemberDefinition[];
}

/**
 * A group of providers managed together: their policies, and the cache, single flight and
 * fallbacks they share. A manager starts with one (its `providers`); `manager.add` adds more, e.g.
 * one per run of a long-lived lab, or the routes of a gateway, all observed through one manager.
 */
export interface ProviderGroupOptions {
  /** The providers to manage; a bare provider gets the default policy. At least one. */
  providers: Array<ManagedProviderDefinition | LanguageModelProvider>;
  /**
   * The response cache: a {@link ResponseCache} (left open by `close()`), run-wide `cache:`
   * settings (the cache made from them is closed by `close()`), or `false` for none. Default an
   * in-process LRU.
   */
  cache?: ResponseCache | ManagerCacheInput | false;
  /** Lifetime of cache entries when the provider's policy sets none. Default: the settings' `ttlMs`, else no expiry. */
  cacheTtlMs?: number;
  /** Identical calls in flight at once are sent once. Default true. */
  singleFlight?: boolean;
  /**
   * How a call's own `timeoutMs` relates to a provider's policy `timeoutMs`. `override` (default):
   * the call's wins, for a call site that needs another limit. `default`: the policy's wins, and
   * the call's applies to providers whose policy sets none — for a caller that sends one run-wide
   * timeout with every call (the lab's `run.timeoutMs`), where a provider's own is more specific.
   */
  callTimeout?: 'override' | 'default';
  /** Where a disk cache's relative `dir` and `REDIS_URL` are resolved. */
  cacheContext?: CreateCacheContext;
}

/** Options of {@link createProviderManager}: its first group of providers (may be empty), and observers. */
export interface ProviderManagerOptions extends Omit<ProviderGroupOptions, 'providers'> {
  /**
   * The providers to manage from the start; a bare provider gets the default policy. Empty (or
   * left out) for a manager that gets its providers later, group by group, with `add`.
   */
  providers?: ProviderGroupOptions['providers'];
  /** Listeners subscribed from the start. */
  observer?: ManagerObserver;
  /**
   * Where members count their `rateLimit` budgets (rpm, tpm) and share a 429's cool-down with
   * other processes (e.g. a `RedisRateLimitStore`: every worker of a distributed run against
   * one budget per provider). Default: each member's own in-process token buckets. Left open by `close()`.
   */
  sharedRateLimits?: SharedRateLimitStore;
}

/** Providers added to a manager together (see {@link ProviderGroupOptions}). */
export interface ProviderGroup {
  /** The group's managed providers, in definition order. */
  readonly providers: readonly ManagedProvider[];
  /** The group's response cache, if any. */
  readonly cache: ResponseCache | undefined;
  /** The group's managed provider with this id; throws a ConfigError listing the known ids otherwise. */
  get(id: string): ManagedProvider;
  /** The circuit breakers of the group's members. */
  breakers(): BreakerSnapshot[];
  /** Closes the group's providers (once each) and the cache it made, and removes it from the manager. */
  close(): Promise<void>;
}

/**
 * The manager: its providers, its events, and inspection. `providers`, `cache`, `get` and
 * `breakers` are those of its first group (the providers it was created with); groups added
 * later are reached through what `add` returns, and all of them emit through this manager.
 */
export interface ProviderManager {
  /** Every managed provider of the first group, in definition order. */
  readonly providers: readonly ManagedProvider[];
  /** The first group's response cache, if any (after a `cache-unavailable` event: its fallback, or none). */
  readonly cache: ResponseCache | undefined;
  /** The first group's managed provider with this id; throws a ConfigError listing the known ids otherwise. */
  get(id: string): ManagedProvider;
  /** Adds a group of providers, with their own policies and cache; their events go to this manager's listeners. */
  add(group: ProviderGroupOptions): ProviderGroup;
  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends ManagerEventName>(event: E, listener: ManagerListener<E>): () => void;
  off<E extends ManagerEventName>(event: E, listener: ManagerListener<E>): void;
  /** Subscribes an observer object, or one function to every event (named in `type`); returns a function that unsubscribes it. */
  observe(observer: ManagerObserver | ManagerEventListener): () => void;
  /** The circuit breakers of every member of the first group, by member name. */
  breakers(): BreakerSnapshot[];
  /** Closes every group: every underlying provider (once each) and the caches the manager made. */
  close(): Promise<void>;
}

function isProvider(value: ManagedProviderDefinition | LanguageModelProvider): value is LanguageModelProvider {
  return typeof (value as LanguageModelProvider).generate === 'function' && typeof (value as LanguageModelProvider).getModelInfo === 'function';
}

function isCache(value: ResponseCache | ManagerCacheInput): value is ResponseCache {
  return typeof (value as ResponseCache).get === 'function' && typeof (value as ResponseCache).set === 'function';
}

function parsePolicy(definition: ManagedProviderDefinition, label: string): ProviderPolicy {
  const { id: _id, provider: _provider, members: _members, ...policy } = definition;
  const parsed = providerPolicySchema.safeParse(policy);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue ? issue.path.join('.') : '';
  throw new ConfigError({ message: `invalid provider manager policy for ${label}: ${issue?.message ?? parsed.error.message}`, path });
}

/**
 * Creates a provider manager: every provider given becomes a {@link ManagedProvider} (get it with
 * `manager.get(id)`) that runs its calls through the response cache, single flight, load
 * balancing, rate limits and adaptive concurrency, a circuit breaker per underlying provider,
 * retries with backoff, and fallbacks. Throws a ConfigError for an invalid policy, a duplicate id
 * or a fallback id that is not among the providers.
 *
 * ```ts
 * const manager = createProviderManager({
 *   providers: [{ provider: openai('gpt-4o-mini'), retry: { maxAttempts: 4 }, fallbacks: ['anthropic:claude-3-5-haiku'] },
 *               anthropic('claude-3-5-haiku')],
 *   cache: { kind: 'disk' },
 * });
 * const response = await manager.get('openai:gpt-4o-mini').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createProviderManager(options: ProviderManagerOptions = {}): ProviderManager {
  const emitter = new ManagerEmitter();
  if (options.observer) emitter.observe(options.observer);
  const groups = new Set<ProviderGroup>();
  const add = (group: ProviderGroupOptions): ProviderGroup => {
    const made = createGroup(group, emitter, () => groups.delete(made), options.sharedRateLimits);
    groups.add(made);
    return made;
  };
  const first = (options.providers?.length ?? 0) > 0 ? add({ ...options, providers: options.providers ?? [] }) : undefined;
  const none = () => new ConfigError({ message: 'this provider manager was created without providers; use the group that add() returned' });

  return {
    get providers() {
      return first?.providers ?? [];
    },
    get cache() {
      return first?.cache;
    },
    get(id) {
      if (!first) throw none();
      return first.get(id);
    },
    add,
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    observe: (observer) => emitter.observe(observer),
    breakers: () => first?.breakers() ?? [],
    async close() {
      await Promise.all([...groups].map((group) => group.close()));
    },
  };
}

/** One group of a manager: everything `createProviderManager` did for its providers before groups existed. */
function createGroup(options: ProviderGroupOptions, emitter: ManagerEmitter, onClose: () => void, sharedRateLimits: SharedRateLimitStore | undefined): ProviderGroup {
  if (options.providers.length === 0) throw new ConfigError({ message: 'a group of managed providers needs at least one provider', path: 'providers' });

  let cache: ResponseCache | undefined;
  let ownsCache = false;
  let fallbackCache: (() => ResponseCache) | undefined;
  let defaultTtlMs = options.cacheTtlMs;
  if (options.cache === false) cache = undefined;
  else if (options.cache !== undefined && isCache(options.cache)) cache = options.cache;
  else {
    const parsed = managerCacheSchema.safeParse(options.cache ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError({ message: `invalid cache settings: ${issue?.message ?? parsed.error.message}`, path: `cache.${issue?.path.join('.') ?? ''}` });
    }
    cache = createCacheFromSettings(parsed.data, options.cacheContext);
    fallbackCache = fallbackCacheFor(parsed.data, options.cacheContext);
    ownsCache = cache !== undefined;
    defaultTtlMs ??= parsed.data.ttlMs;
  }

  const membersByProvider = new Map<LanguageModelProvider, Member>();
  const memberNames = new Set<string>();
  const memberFor = (definition: MemberDefinition, policy: ProviderPolicy): Member => {
    const provider = isProvider(definition as ManagedProviderDefinition | LanguageModelProvider)
      ? (definition as LanguageModelProvider)
      : (definition as { provider: LanguageModelProvider }).provider;
    const existing = membersByProvider.get(provider);
    if (existing) return existing;
    const wanted = (isProvider(definition as LanguageModelProvider) ? undefined : (definition as { name?: string }).name) ?? provider.id;
    let name = wanted;
    for (let suffix = 2; memberNames.has(name); suffix++) name = `${wanted}#${suffix}`;
    memberNames.add(name);
    const member = new Member(name, provider, policy, emitter, sharedRateLimits);
    membersByProvider.set(provider, member);
    return member;
  };

  const targets = new Map<string, Target>();
  for (const [index, entry] of options.providers.entries()) {
    const definition: ManagedProviderDefinition = isProvider(entry) ? { provider: entry } : entry;
    const memberDefinitions = definition.members ?? (definition.provider ? [definition.provider] : []);
    const label = definition.id ?? `providers[${index}]`;
    if (memberDefinitions.length === 0) {
      throw new ConfigError({ message: `${label} has neither a provider nor members; give one of them`, path: `providers[${index}]` });
    }
    const policy = parsePolicy(definition, label);
    const members = memberDefinitions.map((member) => memberFor(member, policy));
    const id = definition.id ?? (members[0] as Member).provider.id;
    if (targets.has(id)) throw new ConfigError({ message: `two providers have the id ${id}; give one of them another id`, path: `providers[${index}].id` });
    const parsedId = safeParseId(id, members[0] as Member);
    targets.set(id, {
      id,
      provider: parsedId.provider,
      model: parsedId.model,
      members,
      providers: members.map((member) => member.provider),
      strategy: policy.strategy,
      balancer: new LoadBalancer(members, policy.strategy),
      retry: policy.retry,
      timeoutMs: policy.timeoutMs,
      cacheEnabled: policy.cache.enabled,
      cacheTtlMs: policy.cache.ttlMs ?? defaultTtlMs,
      fallbackIds: policy.fallbacks,
      ...(policy.pii && policy.pii.mode !== 'off' ? { pii: piiGuardOf(policy.pii, label) } : {}),
    });
  }
  for (const target of targets.values()) {
    for (const fallback of target.fallbackIds) {
      if (!targets.has(fallback)) {
        throw new ConfigError({
          message: `${target.id} falls back to ${fallback}, which is not a managed provider (known: ${[...targets.keys()].join(', ')}); add it to the providers`,
          path: 'fallbacks',
        });
      }
      if (fallback === target.id) throw new ConfigError({ message: `${target.id} lists itself as a fallback`, path: 'fallbacks' });
    }
  }

  const closedMembers = new Map<Member, Promise<void>>();
  const caches = new CacheGuard(cache, fallbackCache, emitter, ownsCache);
  const context: ManagerContext = {
    emitter,
    get cache() {
      return caches.current;
    },
    cacheAnswered: () => caches.answered(),
    cacheFailed: (failed, error) => caches.failed(failed, error),
    singleFlight: options.singleFlight ?? true,
    callTimeoutWins: options.callTimeout !== 'default',
    inFlight: new Map<string, Promise<GenerateResponse>>(),
    target: (id) => targets.get(id) as Target,
    closeMember(member) {
      let closing = closedMembers.get(member);
      if (!closing) {
        closing = member.provider.close ? member.provider.close() : Promise.resolve();
        closedMembers.set(member, closing);
      }
      return closing;
    },
  };
  const providers = [...targets.values()].map((target) => (target.pii?.appliesTo('provider') ? new PiiManagedProvider(target, context) : new ManagedProvider(target, context)));
  const byId = new Map(providers.map((provider) => [provider.id, provider]));

  let closing: Promise<void> | undefined;
  return {
    providers,
    get cache() {
      return caches.current;
    },
    get(id) {
      const provider = byId.get(id);
      if (!provider) throw new ConfigError({ message: `no managed provider has the id ${id} (known: ${[...byId.keys()].join(', ')})` });
      return provider;
    },
    breakers: () => [...membersByProvider.values()].map((member) => member.breaker.snapshot()),
    close() {
      closing ??= (async () => {
        onClose();
        await Promise.all([...membersByProvider.values()].map((member) => context.closeMember(member)));
        await caches.close();
      })();
      return closing;
    },
  };
}

/** `<provider>:<model>` split; an id without a colon takes the first member's provider name. */
function safeParseId(id: string, first: Member): { provider: string; model: string } {
  try {
    return parseProviderId(id);
  } catch {
    return { provider: first.provider.provider, model: id };
  }
}
