// The fake Anthropic server's public API.
export {
  startFakeAnthropicServer,
  messagesRequestError,
  type FakeAnthropicServer,
  type FakeAnthropicServerOptions,
  type FakeAnthropicResponder,
} from './fake-anthropic-server.js';
export { anthropicFaults, type AnthropicFault, type AnthropicStreamErrorFault } from './anthropic-faults.js';
export type { FakeBatch, FakeBatchRequest, FakeBatchResult } from './anthropic-batches.js';
export {
  anthropicErrorWire,
  defaultAnthropicErrorFor,
  echoLastAnthropicUserMessage,
  errorTypeForStatus,
  inputTokensOf,
  replyBlocks,
  splitIntoJsonDeltas,
  statusForErrorType,
  type AnthropicErrorBody,
  type AnthropicStopReason,
  type AnthropicUsageWire,
  type FakeAnthropicBlock,
  type FakeAnthropicReply,
  type FakeAnthropicUsage,
  type MessagesRequestBody,
} from './anthropic-wire.js';
export { describeAnthropicRequest, toolUseError } from './anthropic-request-view.js';
