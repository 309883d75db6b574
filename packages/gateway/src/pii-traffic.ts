import { ManagedProvider } from '@llm-lab/provider-manager';
import type { PiiGuard } from '@llm-lab/security';
import type { NewRequest } from '@llm-lab/storage';
import type { RouteTable } from './routes.js';

/**
 * The masking of stored traffic bodies for routes whose entry has a `pii:` policy covering
 * `store`: the request and response bodies kept for such a route lose the PII the policy names
 * before they are written. Undefined when no route needs it.
 */
export function piiTrafficMask(routes: RouteTable): ((record: NewRequest) => Promise<NewRequest>) | undefined {
  const guards = new Map<string, PiiGuard>();
  for (const route of routes.routes) {
    const guard = route.provider instanceof ManagedProvider ? route.provider.pii : undefined;
    if (guard?.appliesTo('store')) guards.set(route.name, guard);
  }
  if (guards.size === 0) return undefined;
  return async (record) => {
    const guard = record.route ? guards.get(record.route) : undefined;
    if (!guard || (record.requestBody === undefined && record.responseBody === undefined)) return record;
    const [requestBody, responseBody] = await Promise.all([guard.maskValue(record.requestBody), guard.maskValue(record.responseBody)]);
    return { ...record, ...(requestBody !== undefined ? { requestBody } : {}), ...(responseBody !== undefined ? { responseBody } : {}) };
  };
}
