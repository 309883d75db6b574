import { describeProviderConformance, startFakeAnthropicServer } from '@llm-lab/provider-testkit';
import { createAnthropic } from '../src/index.js';

const API_KEY = 'sk-ant-conformance-key-0123456789';

// A known model (with pricing) and an unknown one (no pricing: cost must be undefined), each with
// batchGenerate on Message Batches and on concurrent calls (the default).
for (const model of ['claude-haiku-4-5', 'my-claude-finetune']) {
  for (const mode of ['api', 'concurrent'] as const) {
    await describeProviderConformance({
      name: `anthropic:${model} (batch ${mode})`,
      startServer: () => startFakeAnthropicServer({ apiKey: API_KEY, batchProcessingMs: 30 }),
      createProvider: (server) =>
        createAnthropic({ baseURL: server.url, apiKey: API_KEY, batch: { mode, pollIntervalMs: 10, maxPollIntervalMs: 40 } }).chat(model),
    });
  }
}
