export {
  startFakeAzureOpenAIServer,
  contentFilterResults,
  type AzureContentFilterCategory,
  type FakeAzureOpenAIServer,
  type FakeAzureOpenAIServerOptions,
} from './fake-azure-openai-server.js';
