import type { LabConfig, Logger, ProviderRegistry, ServingConfig } from '@llm-lab/core';
import type { ProviderGroup, ProviderManager } from '@llm-lab/provider-manager';
import type { KeyManager } from '@llm-lab/security';
import { manageProviders } from './manage-providers.js';
import { readProviderSecrets } from './provider-secrets.js';
import { resolveProviders, type ResolvedProvider } from './resolve-providers.js';

/** The providers of a serving config, managed as one group of the lab's manager. */
export interface ServedProviders {
  /** One per `providers:` entry, by its label (else its id), in file order; `provider` is the managed one. */
  providers: ResolvedProvider[];
  /** Close it to release the providers (the manager lives on). */
  group: ProviderGroup;
  config: ServingConfig;
}

/**
 * Makes every provider of a serving config (a gateway's) and puts them behind the lab's manager as
 * one group, with the policies of their entries. Unlike a run, no cache is used unless the config
 * has a `cache:` block, and no single flight unless `singleFlight: true`: a server answering live
 * traffic must not replay or share answers unasked.
 */
export async function serveProviders(
  host: { registry: ProviderRegistry; manager: ProviderManager; cwd: string; logger?: Logger; keysFor?: (security: ServingConfig['security'], baseDir: string) => KeyManager },
  config: ServingConfig,
): Promise<ServedProviders> {
  for (const plugin of config.plugins) await host.registry.loadPlugin(plugin, { cwd: config.baseDir });
  await host.registry.load(config.providers.map((entry) => (typeof entry === 'string' ? entry : entry.id)));
  // resolveProviders and manageProviders read only these keys of a run config.
  // Single flight is off unless the config turns it on: two clients sending the same request at
  // once each expect an answer of their own (sampled apart), not one shared.
  const asRunConfig = { providers: config.providers, cache: config.cache, singleFlight: config.singleFlight ?? false } as LabConfig;
  const file = config.file;
  // Secret references are read now (a refused or missing one fails the start) and again through the key manager's TTL while serving.
  const keys = host.keysFor?.(config.security, config.baseDir);
  if (keys) await readProviderSecrets(config.providers, keys);
  const resolved = resolveProviders(asRunConfig, host.registry, { ...(keys ? { keys } : {}), ...(file ? { file } : {}), ...(host.logger ? { logger: host.logger } : {}) });
  try {
    const { providers, group } = manageProviders(asRunConfig, resolved, {
      ...(keys ? { keys } : {}),
      manager: host.manager,
      registry: host.registry,
      cwd: host.cwd,
      baseDir: config.baseDir,
      ...(file ? { file } : {}),
      ...(config.cache === undefined ? { noCache: true } : {}),
      ...(host.logger ? { logger: host.logger } : {}),
    });
    return { providers, group, config };
  } catch (error) {
    await Promise.all(resolved.map((entry) => entry.provider.close?.()));
    throw error;
  }
}
