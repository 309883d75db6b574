export { createAnthropic, anthropicProvider, type AnthropicProvider, type CreateAnthropicOptions } from './anthropic-provider.js';
export {
  AnthropicChatModel,
  mapAnthropicUsage,
  type AnthropicChatModelOptions,
  type AnthropicTokenUsage,
  type AnthropicUsageFields,
} from './anthropic-chat-model.js';
export {
  anthropicConfigSchema,
  anthropicRequestOptionsSchema,
  resolveAnthropicSettings,
  isAnthropicHost,
  ANTHROPIC_DEFAULT_BASE_URL,
  PLACEHOLDER_API_KEY,
  type AnthropicProviderSettings,
  type AnthropicRequestOptions,
  type ResolvedAnthropicSettings,
} from './anthropic-options.js';
export {
  mapAnthropicError,
  classifyAnthropicError,
  providerErrorFromAnthropicBody,
  anthropicRetryAfterMs,
  type AnthropicErrorContext,
} from './anthropic-error.js';
export { convertToAnthropicMessages, type ConvertedAnthropicMessages } from './convert-to-anthropic-messages.js';
export { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
export { buildAnthropicRequest, type BuiltAnthropicRequest } from './build-anthropic-request.js';
export { runMessageBatch, type MessageBatchRun } from './anthropic-batch.js';
export {
  ANTHROPIC_MODELS,
  UNKNOWN_ANTHROPIC_MODEL,
  findAnthropicModel,
  type AnthropicModelFacts,
  type AnthropicModelPricing,
} from './anthropic-models.js';
