export {
  createProviderManager,
  type ProviderManager,
  type ProviderManagerOptions,
  type ProviderGroup,
  type ProviderGroupOptions,
  type ManagedProviderDefinition,
  type MemberDefinition,
} from './provider-manager.js';
export { createProviderManagerFromConfig, addProvidersFromConfig, type ManagerFromConfigOptions, type ProviderReference } from './from-config.js';
export { ManagedProvider, type ManagedCallOptions } from './managed-provider.js';
export { PiiManagedProvider } from './pii-provider.js';
export { ManagedEmbedding, type ManagedEmbedResult } from './managed-embedding.js';
export {
  providerManagerConfigSchema,
  providerPolicySchema,
  managerCacheSchema,
  retrySettingsSchema,
  breakerSettingsSchema,
  rateLimitSettingsSchema,
  concurrencySettingsSchema,
  providerCacheSettingsSchema,
  memberEntrySchema,
  balancingStrategySchema,
  piiPolicySchema,
  presidioSettingsSchema,
  type ProviderManagerConfig,
  type ProviderManagerConfigInput,
  type ProviderPolicy,
  type ProviderPolicyInput,
  type ManagerCacheInput,
  type ManagerCacheSettings,
  type RetrySettings,
  type BreakerSettings,
  type RateLimitSettings,
  type ConcurrencySettings,
  type ProviderCacheSettings,
  type BalancingStrategy,
  type PiiPolicySettings,
  type MemberEntry,
} from './config-schema.js';
export type { ManagerEvents, ManagerEvent, ManagerEventListener, ManagerEventName, ManagerListener, ManagerObserver, RequestEndEvent, RequestIdentity } from './events.js';
export type { ResponseCache } from './cache/response-cache.js';
export { MemoryResponseCache, createMemoryCache, type MemoryCacheOptions } from './cache/memory-cache.js';
export { DiskResponseCache, createDiskCache, type DiskCacheOptions } from './cache/disk-cache.js';
export { RedisResponseCache, createRedisCache, type RedisCacheOptions } from './cache/redis-cache.js';
export { redisConnection } from './redis-url.js';
export { createCacheFromSettings, fallbackCacheFor, DEFAULT_DISK_CACHE_DIR, type CreateCacheContext } from './cache/create-cache.js';
export { MAX_CONSECUTIVE_CACHE_FAILURES } from './cache/cache-guard.js';
export { CACHE_UNAVAILABLE, isCacheUnavailable } from './cache/response-cache.js';
export { cacheKeyOf, canonicalJson, providerIdentity } from './cache/cache-key.js';
export { CircuitBreaker, type BreakerState, type BreakerSnapshot, type BreakerPermit } from './resilience/circuit-breaker.js';
export { retryDelayMs } from './resilience/retry-policy.js';
export { isHealthFailure, shouldFallBack } from './resilience/failure-policy.js';
export { estimateTokens } from './member.js';
export {
  RedisRateLimitStore,
  createRedisRateLimitStore,
  type RedisRateLimitOptions,
  type SharedBudget,
  type SharedRateLimitStore,
} from './resilience/redis-rate-limit.js';
