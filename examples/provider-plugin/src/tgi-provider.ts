import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { TgiModel } from './tgi-model.js';
import { resolveTgiSettings, type ResolvedTgiSettings, type TgiProviderSettings } from './tgi-options.js';

/** Makes models on one TGI server. */
export interface TgiProvider {
  /** Same as {@link TgiProvider.model}. */
  (model: string): TgiModel;
  /** A model; the name is the label in its id (`tgi:<name>`), since a TGI server serves one model. */
  model(name: string): TgiModel;
  /** The settings in force, without the API key. */
  readonly settings: Readonly<Omit<ResolvedTgiSettings, 'apiKey'>>;
}

/**
 * Creates a TGI provider from settings (the same fields as the `config:` block). Throws a
 * ConfigError naming the field when the settings are invalid (e.g. `baseURL` is missing).
 *
 * ```ts
 * const tgi = createTgi({ baseURL: 'http://localhost:8080' });
 * const response = await tgi('llama-3.1-8b').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createTgi(settings: TgiProviderSettings, options: { name?: string } = {}): TgiProvider {
  const name = options.name ?? 'tgi';
  const resolved = resolveTgiSettings(settings, name);
  const { apiKey: _apiKey, ...visibleSettings } = resolved;
  const model = (modelName: string) => new TgiModel(modelName, { settings: resolved, provider: name });
  return Object.assign((modelName: string) => model(modelName), { model, settings: Object.freeze(visibleSettings) });
}

/**
 * The `tgi` provider family, as LLM Lab loads it from the `plugins:` list: `tgi:<label>` ids,
 * configured by the provider's `config:` block.
 */
export const tgiProvider: ProviderPlugin = defineProvider({
  name: 'tgi',
  contractVersion: CONTRACT_VERSION,
  description: 'Hugging Face Text Generation Inference (TGI) servers, on the native /generate API.',
  capabilities: { streaming: true, batch: false, jsonMode: true, tools: false, vision: false, logprobs: false, embeddings: false },
  create: ({ model, config }) => {
    const resolved = resolveTgiSettings(config, `tgi:${model}`);
    return new TgiModel(model, { settings: resolved, provider: 'tgi' });
  },
});
