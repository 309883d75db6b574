export { createOpenAI, openaiProvider, DEFAULT_EMBEDDING_MODEL, type OpenAIProvider, type CreateOpenAIOptions } from './openai-provider.js';
export { OpenAIChatModel, mapOpenAIUsage, type OpenAIChatModelOptions, type OpenAIChatModelSettings } from './openai-chat-model.js';
export { OpenAIEmbeddingModel, OPENAI_MAX_EMBEDDING_INPUTS, type OpenAIEmbeddingModelOptions } from './openai-embedding-model.js';
export { runOpenAIBatch, type OpenAIBatchOptions, type OpenAIBatchProgress, type OpenAIBatchContext } from './openai-batch.js';
export {
  openaiConfigSchema,
  openaiRequestOptionsSchema,
  openaiBatchConfigSchema,
  type OpenAIBatchSettings,
  resolveOpenAISettings,
  isOpenAIHost,
  OPENAI_DEFAULT_BASE_URL,
  PLACEHOLDER_API_KEY,
  type OpenAIProviderSettings,
  type OpenAIRequestOptions,
  type ResolvedOpenAISettings,
} from './openai-options.js';
export { createNodeHttpFetch, BufferedResponse, ResponseHeaders, CALLER_SIGNAL } from './node-http-fetch.js';
export { mapOpenAIError, parseOpenAIDuration, type OpenAIErrorContext } from './openai-error.js';
export { convertToOpenAIMessages } from './convert-to-openai-messages.js';
export { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
export { buildOpenAIRequest, type BuiltOpenAIRequest } from './build-openai-request.js';
export {
  OPENAI_MODELS,
  OPENAI_EMBEDDING_MODELS,
  UNKNOWN_OPENAI_MODEL,
  findOpenAIModel,
  type OpenAIModelFacts,
  type OpenAIEmbeddingModelFacts,
} from './openai-models.js';
export { continuationBoundary, continuationLogprob, scoresFromEchoedCompletion } from './openai-prompt-scoring.js';
