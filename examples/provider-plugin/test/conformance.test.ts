// The LLM Lab provider conformance suite, run against this plugin and its fake TGI server: the
// same checks every built-in provider passes (generate, stream, batch, model info, cost, and the
// classification of injected failures). This is the test a plugin author should copy first.
import { describeProviderConformance } from '@llm-lab/provider-testkit';
import { createTgi, formatPrompt } from '../src/index.js';
import { startFakeTgiServer } from './fake-tgi-server.js';

// The fake echoes TGI's `inputs`, which is the conversation written in the prompt format, so the
// expected text is the prompt as the provider formats it.
await describeProviderConformance({
  name: 'tgi (plain prompt format, no pricing)',
  startServer: () => startFakeTgiServer(),
  createProvider: (server) => createTgi({ baseURL: server.url })('zephyr'),
  expectedText: (prompt) => formatPrompt([{ role: 'user', content: prompt }], 'plain'),
});

await describeProviderConformance({
  name: 'tgi (raw prompt format, with pricing and an API key)',
  startServer: () => startFakeTgiServer({ apiKey: 'hf_conformance_token_0123456789' }),
  createProvider: (server) =>
    createTgi({
      baseURL: server.url,
      apiKey: 'hf_conformance_token_0123456789',
      promptFormat: 'raw',
      pricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
    })('zephyr'),
});
