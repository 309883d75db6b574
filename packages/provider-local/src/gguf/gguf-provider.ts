import { ConfigError, CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { GgufChatModel } from './gguf-chat-model.js';
import { readGgufMetadata } from './gguf-metadata.js';
import { looksLikePath, resolveGgufModelPath } from './gguf-model-path.js';
import { resolveGgufSettings, type GgufProviderSettings, type ResolvedGgufSettings } from './gguf-options.js';
import { listModels } from './list-models.js';

/** Makes in-process GGUF models. */
export interface GgufProvider {
  (model: string): GgufChatModel;
  /** A model by path (absolute, relative to the working folder, or `~/…`) or by name in the models folder. */
  chat(model: string): GgufChatModel;
  readonly settings: Readonly<ResolvedGgufSettings>;
}

/**
 * Creates a GGUF provider. Making a model checks that its file exists and is GGUF (a ConfigError
 * listing the places tried and the models available otherwise); node-llama-cpp is imported and
 * the model loaded only on the first call.
 *
 * ```ts
 * const gguf = createGguf({ threads: 2 });
 * const response = await gguf('./models/stories260K.gguf').generate({ messages: [{ role: 'user', content: 'Once upon a time' }], maxTokens: 32 });
 * ```
 */
export function createGguf(settings: GgufProviderSettings = {}, options: { name?: string; providerId?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): GgufProvider {
  const name = options.name ?? 'gguf';
  const resolved = resolveGgufSettings(settings, { providerId: options.providerId ?? name, ...(options.env ? { env: options.env } : {}) });
  const chat = (model: string): GgufChatModel => {
    const found = resolveGgufModelPath(model, { modelsDir: resolved.modelsDir, ...(options.cwd ? { cwd: options.cwd } : {}) });
    if (!found.path) {
      const available = listModels(resolved.modelsDir).map((entry) => entry.name);
      throw new ConfigError({
        message:
          `No GGUF model '${model}' for provider ${name}:${model}: looked for ${found.tried.join(' and ')}. ` +
          (available.length > 0 ? `Models in ${resolved.modelsDir}: ${available.join(', ')}. ` : `The models folder ${resolved.modelsDir} has no models. `) +
          (looksLikePath(model)
            ? ''
            : 'If the model is in another folder, point at it: `--models-dir <folder>` (llm-lab chat, llm-lab bench), `config: { modelsDir: <folder> }` on the provider entry, or LLM_LAB_MODELS_DIR=<folder>. ') +
          'Give a path to a .gguf file, or download one with `llm-lab models pull <url | owner/repo/file.gguf>`.',
      });
    }
    let metadata;
    try {
      metadata = readGgufMetadata(found.path);
    } catch (error) {
      throw new ConfigError({
        message: `The file ${found.path} (for provider ${name}:${model}) cannot be read as a GGUF model: ${error instanceof Error ? error.message : String(error)}. Re-download it, or check the path.`,
        cause: error,
      });
    }
    if (resolved.promptFormat === 'chat-template' && !metadata.hasChatTemplate) {
      throw new ConfigError({
        message:
          `Provider ${name}:${model} has promptFormat 'chat-template', but the GGUF model ${found.path} has no chat template (no tokenizer.chat_template in its metadata). ` +
          "Set config.promptFormat to 'completion' (or 'auto') for a base model, or use a chat model's GGUF file.",
      });
    }
    return new GgufChatModel(model, { settings: resolved, path: found.path, metadata, provider: name });
  };
  return Object.assign((model: string) => chat(model), { chat, settings: Object.freeze({ ...resolved }) });
}

/** The `gguf` provider family: `gguf:<path-or-name>` ids run in-process by node-llama-cpp (optional dependency). */
export const ggufProvider: ProviderPlugin = defineProvider({
  name: 'gguf',
  contractVersion: CONTRACT_VERSION,
  description: "GGUF models run in-process on CPU by node-llama-cpp (optional), formatted with the model's own chat template when it has one (config.promptFormat), else as plain text completion; by path or name in ~/.cache/llm-lab/models.",
  // batch: false: no vendor batch API (batchGenerate runs the requests on parallel context sequences).
  capabilities: { streaming: true, batch: false, jsonMode: true, tools: false, vision: false, logprobs: false, embeddings: false },
  create: ({ model, config }) => createGguf(config, { providerId: `gguf:${model}` }).chat(model),
});
