export {
  startFakeOllamaServer,
  type FakeOllamaServer,
  type FakeOllamaServerOptions,
  type FakeOllamaResponder,
} from './fake-ollama-server.js';
export {
  echoLastOllamaUserMessage,
  invalidOllamaOption,
  OLLAMA_OPTION_TYPES,
  ollamaToolCallsWire,
  type FakeOllamaReply,
  type OllamaChatRequestBody,
  type OllamaWireMessage,
} from './ollama-wire.js';
export { describeOllamaRequest, toolsOrImagesError } from './ollama-request-view.js';
