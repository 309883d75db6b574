export { createOpenAI, openaiProvider, type OpenAIProvider, type CreateOpenAIOptions } from './openai-provider.js';
export { OpenAIChatModel, mapOpenAIUsage, type OpenAIChatModelOptions } from './openai-chat-model.js';
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
export { mapOpenAIError, parseOpenAIDuration, type OpenAIErrorContext } from './openai-error.js';
export { convertToOpenAIMessages } from './convert-to-openai-messages.js';
export { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
export { buildOpenAIRequest, type BuiltOpenAIRequest } from './build-openai-request.js';
export { OPENAI_MODELS, UNKNOWN_OPENAI_MODEL, findOpenAIModel, type OpenAIModelFacts } from './openai-models.js';
