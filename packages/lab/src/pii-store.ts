import type { NewResult } from '@llm-lab/evaluation';
import { ManagedProvider } from '@llm-lab/provider-manager';
import type { PiiGuard } from '@llm-lab/security';
import type { ResolvedProvider } from './resolve-providers.js';

/**
 * The masking of stored results under each provider's `pii:` policy (`before: [store]`): the
 * rendered prompt, the case's variables, the output, the error message and the evaluators'
 * reasons of a result lose the PII the policy names before the row is written. Scores were
 * computed on the real answer. Undefined when no provider's policy covers storing.
 */
export function piiBeforeStore(providers: readonly ResolvedProvider[]): ((result: NewResult) => Promise<NewResult>) | undefined {
  const guards = new Map<string, PiiGuard>();
  for (const entry of providers) {
    const guard = entry.provider instanceof ManagedProvider ? entry.provider.pii : undefined;
    if (guard?.appliesTo('store')) guards.set(entry.label, guard);
  }
  if (guards.size === 0) return undefined;
  return async (result) => {
    const guard = guards.get(result.providerId);
    if (!guard) return result;
    const [prompt, vars, output, errorMessage, scores] = await Promise.all([
      guard.maskValue(result.prompt),
      guard.maskValue(result.vars),
      result.output === null ? null : guard.mask(result.output),
      typeof result.errorMessage === 'string' ? guard.mask(result.errorMessage) : result.errorMessage,
      guard.maskValue(result.scores),
    ]);
    return { ...result, prompt, vars, output, errorMessage, scores };
  };
}
