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
  type FakeOllamaReply,
  type OllamaChatRequestBody,
  type OllamaWireMessage,
} from './ollama-wire.js';
