import type { Logger } from '@llm-lab/core';
import type { ManagerEvents, ManagerObserver, ProviderManager } from '@llm-lab/provider-manager';

/** `error` as a log field: its class and message, never the request it carried. */
function errorFields(error: { kind?: string; message: string; statusCode?: number; vendorCode?: string } | undefined) {
  if (error === undefined) return {};
  return { errorKind: error.kind, error: error.message, ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}), ...(error.vendorCode !== undefined ? { vendorCode: error.vendorCode } : {}) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Logs what the provider manager does, for the morning after a failed overnight run: every
 * provider call at `debug` (provider, model, latency, attempts, cache, error class), a failed one
 * at `info`; retries at `info`; fallbacks, circuit-breaker changes, rate-limit backoffs and cache
 * trouble at `warn`. Per-call events are subscribed only when the logger writes `info` (failed
 * calls, `request-failed`: a successful call builds no event) or `debug` (all, `request-end`): at
 * `warn` the manager builds none. Returns a function that stops logging.
 */
export function logManagerEvents(manager: Pick<ProviderManager, 'observe'>, logger: Logger): () => void {
  const observer: ManagerObserver = {
    retry: (event) =>
      logger.info({ providerId: event.providerId, member: event.member, attempt: event.attempt, delayMs: event.delayMs, ...errorFields(event.error) }, 'retrying a provider call'),
    fallback: (event) => logger.warn({ providerId: event.providerId, from: event.from, to: event.to, ...errorFields(event.error) }, 'falling back to another provider'),
    'breaker-state-change': (event) =>
      logger.warn({ member: event.member, from: event.from, to: event.to, consecutiveFailures: event.snapshot.consecutiveFailures, windowCalls: event.snapshot.windowCalls, windowFailures: event.snapshot.windowFailures }, `circuit breaker ${event.from} → ${event.to}`),
    'concurrency-change': (event) => logger.warn({ member: event.member, limit: event.limit, reason: event.reason }, 'concurrency lowered after a rate limit'),
    'cache-error': (event) => logger.warn({ providerId: event.providerId, cache: event.cache, operation: event.operation, error: messageOf(event.error) }, 'response cache failed; the call went on without it'),
    'cache-unavailable': (event) => logger.warn({ cache: event.cache, fallback: event.fallback, error: messageOf(event.error) }, event.message),
  };
  // At `debug` every call is logged (`request-end`); at `info` only failures, through
  // `request-failed`, so a successful call builds no event at all.
  const logCall = (event: ManagerEvents['request-end']) => {
    const fields = {
      requestId: event.requestId,
      source: event.source,
      providerId: event.providerId,
      provider: event.provider,
      model: event.model,
      latencyMs: Math.round(event.latencyMs),
      attempts: event.attempts,
      cached: event.cached,
      ...(event.usage ? { inputTokens: event.usage.inputTokens, outputTokens: event.usage.outputTokens } : {}),
      ...(event.costUsd !== undefined ? { costUsd: event.costUsd } : {}),
      ...errorFields(event.error),
    };
    if (event.error !== undefined) logger.info(fields, 'provider call failed');
    else logger.debug(fields, 'provider call');
  };
  if (logger.isLevelEnabled('debug')) observer['request-end'] = logCall;
  else if (logger.isLevelEnabled('info')) observer['request-failed'] = logCall;
  return manager.observe(observer);
}
