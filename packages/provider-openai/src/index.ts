export { createOpenAI, openaiProvider, DEFAULT_EMBEDDING_MODEL, type OpenAIProvider, type CreateOpenAIOptions } from './openai-provider.js';
export { OpenAIChatModel, type OpenAIChatModelOptions, type OpenAIChatModelSettings } from './openai-chat-model.js';
export { OpenAIEmbeddingModel, OPENAI_MAX_EMBEDDING_INPUTS, type OpenAIEmbeddingModelOptions } from './openai-embedding-model.js';
export {
  openaiConfigSchema,
  openaiRequestOptionsSchema,
  resolveOpenAISettings,
  isOpenAIHost,
  OPENAI_DEFAULT_BASE_URL,
  PLACEHOLDER_API_KEY,
  type OpenAIProviderSettings,
  type OpenAIRequestOptions,
  type ResolvedOpenAISettings,
} from './openai-options.js';
export { createNodeHttpFetch, BufferedResponse, StreamedResponse, ResponseHeaders, CALLER_SIGNAL } from '@llm-lab/provider-utils';
// The OpenAI wire format, shared with Azure and OpenAI-compatible servers, lives in @llm-lab/openai-compatible.
export {
  OpenAICompatibleChatModel,
  mapOpenAIUsage,
  mapOpenAIError,
  parseOpenAIDuration,
  convertToOpenAIMessages,
  mapOpenAIFinishReason,
  buildOpenAIRequest,
  toOpenAIToolChoice,
  OPENAI_MODELS,
  OPENAI_EMBEDDING_MODELS,
  UNKNOWN_OPENAI_MODEL,
  findOpenAIModel,
  continuationBoundary,
  continuationLogprob,
  scoresFromEchoedCompletion,
  runOpenAIBatch,
  openaiBatchConfigSchema,
  type OpenAIBatchOptions,
  type OpenAIBatchProgress,
  type OpenAIBatchContext,
  type OpenAIBatchSettings,
  type OpenAIErrorContext,
  type BuiltOpenAIRequest,
  type OpenAIModelFacts,
  type OpenAIEmbeddingModelFacts,
  type OpenAICompatibleChatModelSettings,
} from '@llm-lab/openai-compatible';
