export {
  startFakeGeminiServer,
  type FakeGeminiServer,
  type FakeGeminiServerOptions,
  type FakeGeminiResponder,
  type GeminiRecordedRequest,
  type GeminiSafetyBlock,
} from './fake-gemini-server.js';
export { geminiFaults } from './gemini-faults.js';
export {
  apiKeyInvalidWire,
  candidateCountOf,
  functionCallParts,
  echoLastUserContent,
  googleErrorWire,
  googleStatusFor,
  retryInfo,
  type FakeGeminiReply,
  type FakeGeminiUsage,
  type GeminiBlockReason,
  type GeminiFinishReason,
  type GeminiHarmCategory,
  type GeminiSafetyRating,
  type GenerateContentRequestBody,
  type GoogleErrorBody,
} from './gemini-wire.js';
export { describeGeminiRequest, functionCallingError, jsonSchemaOfGeminiSchema } from './gemini-request-view.js';
export type { FakeGeminiBatchOptions, GeminiBatchLineFault, GeminiBatchLineFaultPicker } from './gemini-batches.js';
