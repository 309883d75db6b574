import { COMMON_PACE_CONFIG_KEYS, LLMLabError, sanitise, type LoadedConfig } from '@llm-lab/core';
import type { RunRecord, Storage } from '@llm-lab/storage';

// Resuming a stopped run (or executing a slice of a planned one): finding it and checking the
// config against it. The options it was started with are resolved in run-options.ts.

/** The keys of a provider's `config:` that only set the pace, for a provider id (see `ProviderRegistry.paceConfigKeys`). */
export type PaceKeysOf = (providerId: string) => ReadonlySet<string>;

const commonPaceKeys: PaceKeysOf = () => new Set(COMMON_PACE_CONFIG_KEYS);

/**
 * The stopped run `idOrPrefix` names, checked against the config it is resumed with. `paceKeysOf`
 * names, per provider id, the `config:` keys its family declares as pace only (a plugin declares
 * its own), which may change. Default: only the common ones (`timeoutMs`, `maxRetries`).
 */
export async function findRunToResume(
  storage: Pick<Storage, 'getRun'>,
  idOrPrefix: string,
  config: LoadedConfig['config'],
  paceKeysOf: PaceKeysOf = commonPaceKeys,
): Promise<RunRecord> {
  const previous = await storage.getRun(idOrPrefix);
  if (!previous) throw new LLMLabError('run_not_found', `No run '${idOrPrefix}' to resume. List runs with 'llm-lab runs list'.`);
  const rescored = (previous.resolvedConfig as { rescore?: { of?: unknown } } | null)?.rescore;
  if (rescored) {
    throw new LLMLabError('run_is_rescore', `Run ${previous.id} re-scored run ${String(rescored.of)}: it calls no model and cannot be resumed. Re-score the original again instead (llm-lab rescore ${String(rescored.of)} …).`);
  }
  assertSameShape(previous.resolvedConfig, config, previous.id, paceKeysOf);
  return previous;
}

/**
 * The parts of a config that decide which results a run produces and how they are scored: a
 * resume with any of them changed would mix two setups into one run. Each is reduced to what
 * matters: a provider entry's reliability policy (retries, breaker, rate limit, concurrency,
 * cache, timeouts, members, fallbacks) and its family's pace keys ({@link PaceKeysOf}) only set the pace,
 * and `dataset.onInvalidRow` only what happens to a row that cannot be read, so they may change.
 */
const RUN_IDENTITY: Record<string, (config: Record<string, unknown>, paceKeysOf: PaceKeysOf) => unknown> = {
  providers: (config, paceKeysOf) =>
    ((config.providers as unknown[] | undefined) ?? []).map((entry) => {
      if (typeof entry === 'string') return { id: entry, label: entry, config: {}, settings: {} };
      const { id, label, config: providerConfig, settings } = entry as { id: string; label?: string; config?: Record<string, unknown>; settings?: unknown };
      const pace = paceKeysOf(id);
      const modelConfig = Object.fromEntries(Object.entries(providerConfig ?? {}).filter(([key]) => !pace.has(key)));
      return { id, label: label ?? id, config: modelConfig, settings: settings ?? {} };
    }),
  prompts: (config) => config.prompts ?? [],
  evaluators: (config) => config.evaluators ?? [],
  defaults: (config) => config.defaults ?? {},
  dataset: (config) => {
    const { onInvalidRow: _onInvalidRow, ...dataset } = (config.dataset as Record<string, unknown> | undefined) ?? {};
    return dataset;
  },
};

/**
 * A config part as canonical JSON (keys sorted), with secrets left out: the stored config had
 * them redacted, and a new API key must not block a resume. Strings under a secret-like key are
 * dropped (as the lab redacts them when it stores a run), others redacted by value.
 */
function canonical(value: unknown): string {
  const secretKey = /key|token|secret|password/i;
  const sorted = JSON.parse(sanitise(JSON.stringify(value ?? null)), (key, item: unknown) => {
    if (typeof item === 'string' && secretKey.test(key)) return undefined;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }) as unknown;
  return JSON.stringify(sorted);
}

/** Refuses to resume a run with a config whose providers, prompts, evaluators, defaults or dataset differ from the run's own. */
function assertSameShape(stored: unknown, config: LoadedConfig['config'], runId: string, paceKeysOf: PaceKeysOf): void {
  const before = (stored ?? {}) as Record<string, unknown>;
  const now = config as unknown as Record<string, unknown>;
  const differing = Object.entries(RUN_IDENTITY)
    .filter(([, part]) => canonical(part(before, paceKeysOf)) !== canonical(part(now, paceKeysOf)))
    .map(([name]) => name);
  if (differing.length > 0) {
    const parts = differing.length > 1 ? `${differing.slice(0, -1).join(', ')} and ${differing.at(-1)}` : differing[0];
    throw new LLMLabError(
      'config_resume_mismatch',
      `Cannot resume ${runId} with this config: its ${parts} ${parts === 'dataset' ? 'differs' : 'differ'} from the run's, and the run would mix two setups. ` +
        `Resume with the config the run was started with ('llm-lab runs show ${runId}' names it), or start a new run (without --resume) to use this config.`,
    );
  }
}
