import { describeProviderConformance, startFakeAzureOpenAIServer } from '@llm-lab/provider-testkit';
import { createAzure } from '../src/index.js';

const API_KEY = 'azure-conformance-key-0123456789';

// A deployment of a known model (priced) and one whose model LLM Lab does not know (no price).
for (const [deployment, model] of [
  ['prod-mini', 'gpt-4o-mini'],
  ['custom-finetune', 'my-finetune'],
] as const) {
  await describeProviderConformance({
    name: `azure:${deployment}`,
    startServer: () => startFakeAzureOpenAIServer({ apiKey: API_KEY, deployments: { [deployment]: `${model}-2024-07-18` } }),
    createProvider: (server) => createAzure({ endpoint: server.url, apiKey: API_KEY, model }).chat(deployment),
  });
}
