import { describeProviderConformance, startFakeGeminiServer } from '@llm-lab/provider-testkit';
import { createGoogle } from '../src/index.js';

const API_KEY = 'AIzaSyConformance0123456789abcdefghijkl';

// A known model (with pricing) and an unknown one (no pricing: cost must be undefined).
for (const model of ['gemini-2.5-flash', 'gemma-3-27b-it']) {
  await describeProviderConformance({
    name: `google:${model}`,
    startServer: () => startFakeGeminiServer({ apiKey: API_KEY }),
    createProvider: (server) => createGoogle({ baseURL: server.url, apiKey: API_KEY }).chat(model),
  });
}
