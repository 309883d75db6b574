export type { FakeServerControl, FakeServerStats, NeutralRequestView, RecordedRequest, ScriptedReply } from './fake-server-control.js';
export { faults, seededRandom, type Fault, type HttpErrorFault, type RateLimitFaultOptions } from './faults.js';
export {
  createFakeHttpServer,
  fakeServerHandle,
  writeBody,
  writeHalfBody,
  headerOf,
  messageOf,
  RequestWindow,
  type FakeExchange,
  type FakeHttpServer,
  type FakeHttpServerOptions,
  type FakeServerBase,
  type FaultAnswers,
} from './fake-http-server.js';
export { providerErrorOf, collectStream } from './test-helpers.js';
export {
  startFakeOpenAIServer,
  type FakeOpenAIServer,
  type FakeOpenAIServerOptions,
  type FakeResponder,
  type OpenAIFault,
  type OpenAIStreamErrorFault,
  type ServerConditions,
} from './openai/fake-openai-server.js';
export type { BatchLineFault, BatchLineFaultPicker, FakeBatchOptions } from './openai/fake-openai-batches.js';
export { answerCompletions, defaultPromptLogprob, fakeTokenize, FAKE_GENERATED_TOKEN, type FakePromptLogprob } from './openai/fake-openai-completions.js';
export { fakeEmbedding, FAKE_EMBEDDING_MODELS, MAX_EMBEDDING_INPUTS } from './openai/fake-openai-embeddings.js';
export { describeChatRequest, toolCallDeltas, type FakeToolCall } from './openai/openai-tools-wire.js';
export {
  countWords,
  echoLastUserMessage,
  maskApiKey,
  textOfContent,
  type ChatCompletionRequestBody,
  type FakeReply,
  type FakeUsage,
  type OpenAIErrorBody,
  type OpenAIFinishReason,
} from './openai/openai-wire.js';
export {
  describeProviderConformance,
  type ConformanceSkips,
  type ProviderConformanceOptions,
} from './conformance/describe-provider-conformance.js';
export * from './anthropic/index.js';
export * from './google/index.js';
export * from './ollama/index.js';
export * from './azure/index.js';
