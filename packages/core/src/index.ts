export * from './contract/types.js';
export { CONTRACT_VERSION, majorOf } from './contract/version.js';
export {
  contentParts,
  messageText,
  messageToolCalls,
  messageImages,
  isTextOnly,
  imageUrlOf,
  imageBase64Of,
  assistantMessageOf,
} from './contract/messages.js';
export { StreamAccumulator, withErrorPart } from './contract/stream-accumulator.js';
export { withoutCoveredWarnings } from './contract/validate-request.js';
export { flattenMessagesToPrompt, type FlattenedPrompt } from './contract/flatten-messages-to-prompt.js';
export { BaseProvider, batchThroughGenerate, costFromPricing, type AssembledResponseParts } from './contract/base-provider.js';
export {
  startCallDeadline,
  abortOutcomeOf,
  type CallDeadline,
  type CallAbortState,
  type CallAbortOutcome,
} from './contract/call-deadline.js';
export {
  LLMLabError,
  ProviderError,
  ConfigError,
  isLLMLabError,
  isProviderError,
  isRetryableError,
  kindForStatus,
  retryAfterFromHeaders,
  describeError,
  type ProviderErrorKind,
  type ProviderErrorOptions,
} from './errors.js';
export {
  registerSecret,
  registerSecretsIn,
  hasRegisteredSecrets,
  sanitise,
  sanitiseValue,
  containsKeyShapedText,
  REDACTED,
} from '@llm-lab/security';
export {
  ProviderRegistry,
  defineProvider,
  parseProviderId,
  COMMON_PACE_CONFIG_KEYS,
  type ProviderPlugin,
  type ProviderCreateOptions,
  type RegisteredProvider,
} from './registry.js';
export * from './config/schema.js';
export {
  loadConfig,
  loadProviderEntries,
  loadServingConfig,
  parseServingConfig,
  type ServingConfig,
  loadEvaluatorEntries,
  parseConfig,
  interpolateEnv,
  formatConfigPath,
  type LoadedConfig,
  type LoadedProviderEntries,
  type LoadedEvaluatorEntries,
} from './config/load.js';
export { parseProviderConfig } from './config/provider-config.js';
export { closestName, describeUnknownKeys, editDistance, unknownKeyErrors } from './config/suggest-key.js';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  pricingOverrideSchema,
  providerConfigFields,
  resolveApiKey,
  resolveBaseURL,
  isHostWithin,
  type ApiKeyLookup,
  type ProviderConfigFieldName,
} from './config/provider-fields.js';
/** The zod instance core validates with; provider packages build their `config:` schemas with it. */
export { z } from 'zod';
export {
  createLogger,
  openRotatingLogFile,
  parseLogLevel,
  LOG_LEVELS,
  type Logger,
  type LogDestination,
  type CreateLoggerOptions,
  type RotatingLogFile,
  type RotatingLogFileOptions,
} from './logging.js';
export { MockProvider, mockProvider, mockProviderConfigSchema, type MockProviderConfig } from './providers/mock-provider.js';
export { mapConcurrent } from './util/map-concurrent.js';
export { sleep } from './util/sleep.js';
export { raceAbort } from './util/race-abort.js';
