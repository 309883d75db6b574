export { createGoogle, googleProvider, type GoogleProvider, type CreateGoogleOptions } from './google-provider.js';
export { GoogleChatModel, mapGoogleUsage, type GoogleChatModelOptions } from './google-chat-model.js';
export {
  googleConfigSchema,
  googleRequestOptionsSchema,
  resolveGoogleSettings,
  isGoogleHost,
  GOOGLE_DEFAULT_BASE_URL,
  GOOGLE_DEFAULT_API_VERSION,
  PLACEHOLDER_GOOGLE_API_KEY,
  type GoogleProviderSettings,
  type GoogleRequestOptions,
  type ResolvedGoogleSettings,
} from './google-options.js';
export {
  mapGoogleError,
  parseGoogleDuration,
  parseGoogleErrorMessage,
  GoogleContentFilterError,
  type GoogleContentFilterDetails,
  type GoogleErrorContext,
  type ParsedGoogleError,
} from './google-error.js';
export { convertToGoogleMessages, type GoogleMessages } from './convert-to-google-messages.js';
export { mapGoogleFinishReason, isGoogleContentFilterReason } from './map-google-finish-reason.js';
export { buildGoogleRequest, type BuiltGoogleRequest } from './build-google-request.js';
export {
  GOOGLE_MODELS,
  UNKNOWN_GOOGLE_MODEL,
  findGoogleModel,
  type GoogleModelFacts,
  type GoogleLongContextPricing,
  type UnknownGoogleModelFacts,
} from './google-models.js';
