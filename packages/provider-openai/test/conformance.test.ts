import { describeProviderConformance, startFakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createOpenAI } from '../src/index.js';

// A known model (with pricing) and an unknown one (no pricing: cost must be undefined).
for (const model of ['gpt-4o-mini', 'my-local-llama']) {
  await describeProviderConformance({
    name: `openai:${model}`,
    startServer: () => startFakeOpenAIServer({ apiKey: 'sk-conformance-key-0123456789' }),
    createProvider: (server) => createOpenAI({ baseURL: server.url, apiKey: 'sk-conformance-key-0123456789' }).chat(model),
  });
}
