export {
  OpenAICompatibleChatModel,
  mapOpenAIUsage,
  type OpenAICompatibleChatModelOptions,
  type OpenAICompatibleChatModelSettings,
} from './openai-compatible-chat-model.js';
export {
  buildOpenAIRequest,
  toOpenAIToolChoice,
  JSON_MODE_INSTRUCTION,
  openaiRequestOptionsSchema,
  type BuiltOpenAIRequest,
  type OpenAIRequestDialect,
  type OpenAIRequestOptions,
} from './build-openai-request.js';
export { convertToOpenAIMessages } from './convert-to-openai-messages.js';
export { postChatCompletion, type DirectPost } from './direct-post.js';
export { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
export { mapOpenAIError, parseOpenAIDuration, type OpenAIErrorContext } from './openai-error.js';
export {
  OPENAI_MODELS,
  OPENAI_EMBEDDING_MODELS,
  UNKNOWN_OPENAI_MODEL,
  findOpenAIModel,
  type OpenAIModelFacts,
  type OpenAIEmbeddingModelFacts,
} from './openai-models.js';
export { continuationBoundary, continuationLogprob, scoresFromEchoedCompletion } from './openai-prompt-scoring.js';
/** The node:http keep-alive transport these providers give the SDK (from @llm-lab/provider-utils). */
export { createNodeHttpFetch, CALLER_SIGNAL } from '@llm-lab/provider-utils';
export { runOpenAIBatch, type OpenAIBatchOptions, type OpenAIBatchProgress, type OpenAIBatchContext } from './openai-batch.js';
export { openaiBatchConfigSchema, DEFAULT_OPENAI_BATCH_SETTINGS, type OpenAIBatchSettings } from './openai-batch-settings.js';
