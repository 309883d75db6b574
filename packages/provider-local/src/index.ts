import type { ProviderPlugin } from '@llm-lab/core';
import { ggufProvider } from './gguf/gguf-provider.js';
import { ollamaProvider } from './ollama/ollama-provider.js';
import { openaiCompatibleProvider } from './openai-compatible/openai-compatible-provider.js';

// Ollama (native REST API)
export { createOllama, ollamaProvider, type OllamaProvider, type CreateOllamaOptions } from './ollama/ollama-provider.js';
export { OllamaChatModel, mapOllamaUsage, type OllamaChatModelOptions, type BuiltOllamaRequest } from './ollama/ollama-chat-model.js';
export {
  ollamaConfigSchema,
  ollamaRequestOptionsSchema,
  resolveOllamaSettings,
  ollamaBaseURLFromHost,
  OLLAMA_DEFAULT_BASE_URL,
  OLLAMA_DEFAULT_CONTEXT_WINDOW,
  type OllamaProviderSettings,
  type ResolvedOllamaSettings,
  type OllamaRequestOptions,
} from './ollama/ollama-options.js';
export { mapOllamaError, ollamaErrorMessage, OllamaHttpError, OllamaStreamError, type OllamaErrorContext } from './ollama/ollama-error.js';
export { OllamaApi, readNdjson, type OllamaChatBody, type OllamaChatChunk, type OllamaModelTag } from './ollama/ollama-api.js';
export { convertToOllamaMessages, type OllamaMessage } from './ollama/convert-to-ollama-messages.js';
export { mapOllamaFinishReason } from './ollama/map-ollama-finish-reason.js';

// Any OpenAI-compatible server
export {
  createOpenAICompatible,
  openaiCompatibleProvider,
  type OpenAICompatibleProvider,
} from './openai-compatible/openai-compatible-provider.js';
export { OpenAICompatibleChatModel, type OpenAICompatibleChatModelOptions, type BuiltOpenAICompatibleRequest } from './openai-compatible/openai-compatible-chat-model.js';
export {
  openaiCompatibleConfigSchema,
  resolveOpenAICompatibleSettings,
  NO_API_KEY,
  type OpenAICompatibleProviderSettings,
  type ResolvedOpenAICompatibleSettings,
} from './openai-compatible/openai-compatible-options.js';
export { mapOpenAICompatibleError, type OpenAICompatibleErrorContext } from './openai-compatible/openai-compatible-error.js';
/** OpenAI's finish-reason mapping (with `eos` as `stop`), which OpenAI-compatible servers share. */
export { mapOpenAIFinishReason as mapOpenAICompatibleFinishReason } from '@llm-lab/provider-openai';

// In-process GGUF (node-llama-cpp, optional)
export { createGguf, ggufProvider, type GgufProvider } from './gguf/gguf-provider.js';
export { GgufChatModel, type FormattedGgufPrompt, type GgufChatModelOptions } from './gguf/gguf-chat-model.js';
export {
  ChatTemplateError,
  GGUF_PROMPT_FORMATS,
  promptToString,
  renderChatTemplatePrompt,
  renderCompletionPrompt,
  renderGgufPrompt,
  toChatHistory,
  type GgufPrompt,
  type GgufPromptFormat,
} from './gguf/gguf-prompt-format.js';
export { ggufConfigSchema, ggufRequestOptionsSchema, resolveGgufSettings, type GgufProviderSettings, type ResolvedGgufSettings } from './gguf/gguf-options.js';
export { flattenMessagesToPrompt, type FlattenedPrompt } from '@llm-lab/core';
export { readGgufMetadata, type GgufMetadata } from './gguf/gguf-metadata.js';
export { fileFingerprint, FINGERPRINT_EDGE_BYTES } from './gguf/file-fingerprint.js';
export { defaultModelsDir, resolveGgufModelPath, expandHome } from './gguf/gguf-model-path.js';
export { pullModel, resolveModelSource, type PullModelOptions, type PullModelResult, type PullProgress } from './gguf/pull-model.js';
export { listModels, type LocalModelEntry } from './gguf/list-models.js';
export { mapGgufFinishReason, type LlamaStopReason } from './gguf/map-gguf-finish-reason.js';
export { loadNodeLlamaCpp, loadedModelCount, NodeLlamaCppMissingError, NODE_LLAMA_CPP_INSTALL_HINT } from './gguf/llama-runtime.js';

/** The three local provider families, for registering them all: `for (const p of localProviders) registry.register(p)`. */
export const localProviders: readonly ProviderPlugin[] = [ollamaProvider, openaiCompatibleProvider, ggufProvider];
