import {
  ConfigError,
  isLLMLabError,
  type LabConfig,
  type LanguageModelProvider,
  type Logger,
  type ProviderRegistry,
  type SamplingConfig,
} from '@llm-lab/core';
import type { KeyManager } from '@llm-lab/security';
import { createWithSecrets } from './provider-secrets.js';

/** A provider ready to run, with the label results are stored under. */
export interface ResolvedProvider {
  label: string;
  provider: LanguageModelProvider;
  settings: SamplingConfig;
  /**
   * The names this provider's own answers carry in a result's `answeredBy` (its load-balanced
   * members); an answer under another name came from a fallback. Set for managed providers.
   */
  answerers?: readonly string[];
}

/**
 * Makes a provider for every `providers:` entry; with `keys`, secret references in their configs
 * are resolved (read them first with `readProviderSecrets`). A bad entry fails with its place in the file
 * (`providers[1].config.baseURL`); two entries with the same label are refused.
 */
export function resolveProviders(
  config: LabConfig,
  registry: ProviderRegistry,
  options: { file?: string; logger?: Logger; keys?: KeyManager } = {},
): ResolvedProvider[] {
  const seen = new Map<string, number>();
  return config.providers.map((entry, index) => {
    const normalised = typeof entry === 'string' ? { id: entry, config: {}, label: undefined, settings: undefined } : entry;
    const label = normalised.label ?? normalised.id;
    const previous = seen.get(label);
    if (previous !== undefined) {
      throw new ConfigError({
        file: options.file,
        path: `providers[${index}]`,
        message: `'${label}' is listed twice (also providers[${previous}]). Give one of them a distinct 'label:' to compare two configurations of one model.`,
      });
    }
    seen.set(label, index);
    try {
      // Secret references in the config (apiKey: { from: vault, … }) are read through the key manager (see createWithSecrets).
      const provider = createWithSecrets(normalised.config, options.keys, (config) => registry.create(normalised.id, config, options.logger));
      return { label, provider, settings: normalised.settings ?? {} };
    } catch (error) {
      if (isLLMLabError(error) && error.code === 'config_invalid') {
        const inner = error as ConfigError;
        throw new ConfigError({
          file: options.file,
          path: inner.path ? `providers[${index}].${inner.path}` : `providers[${index}]`,
          message: inner.detail ?? inner.message,
          cause: error,
        });
      }
      throw error;
    }
  });
}
