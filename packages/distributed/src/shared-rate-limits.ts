import { createRedisRateLimitStore, type RedisRateLimitStore } from '@llm-lab/provider-manager';

/**
 * The rate-limit store a worker shares with the others: Redis when `REDIS_URL` is set (keys under
 * `LLM_LAB_RATE_LIMIT_PREFIX`, default `llm-lab:rate:`), else undefined (each worker keeps its
 * own budgets, which then add up across workers).
 */
export function sharedRateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisRateLimitStore | undefined {
  const url = env.REDIS_URL;
  if (!url) return undefined;
  return createRedisRateLimitStore({ url, ...(env.LLM_LAB_RATE_LIMIT_PREFIX ? { keyPrefix: env.LLM_LAB_RATE_LIMIT_PREFIX } : {}) });
}
