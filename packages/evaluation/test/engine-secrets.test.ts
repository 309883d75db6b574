import { describe, expect, it } from '@jest/globals';
import { MockProvider, registerSecret, type GenerateRequest, type GenerateResponse } from '@llm-lab/core';
import { runEvaluation, type EngineProvider } from '../src/index.js';
import { makeConfig, MemoryStore, ObservedProvider } from './helpers.js';

// A key the run uses (resolveApiKey registers it) that the user also wrote into the prompt, and
// key-shaped strings in the dataset: all are sent to the provider as asked, and the run warns once
// about the dataset's. Redacting what is stored is the storage's job (the lab's storage sanitises
// every write, tested in @llm-lab/lab and end to end in the CLI): this store keeps what it is given.
const KEY = 'engine-secret-key-0123456789';
registerSecret(KEY);

/** Fails every call with a message quoting the prompt, as a vendor's error body might. */
class RejectingProvider extends ObservedProvider {
  override async generate(request: GenerateRequest): Promise<GenerateResponse> {
    this.requests.push(request);
    throw new Error(`upstream rejected the prompt '${request.messages.at(-1)?.content ?? ''}'`);
  }
}

const echo = new ObservedProvider(new MockProvider('echo', { mode: 'echo' }));
const rejecting = new RejectingProvider(new MockProvider('rejecting', { mode: 'echo' }));
const providers: EngineProvider[] = [
  { label: 'mock:echo', provider: echo, settings: {} },
  { label: 'mock:rejecting', provider: rejecting, settings: {} },
];

describe('secrets in a run', () => {
  it('a registered key and key-shaped data are sent as the user wrote them, with one warning about the dataset', async () => {
    const config = makeConfig({
      prompts: [`Authenticate with ${KEY}, then answer: {{question}}`],
      dataset: {
        rows: [
          { id: 'own-key', question: 'one', note: `my copy of ${KEY}` },
          { id: 'openai-shaped', question: 'two', token: 'sk-proj-abcdefghijklmnopqrstuvwx01' },
          { id: 'aws-shaped', question: 'three', token: 'AKIAABCDEFGHIJKLMNOP' },
          { id: 'plain', question: 'four' },
        ],
        idField: 'id',
      },
      evaluators: [{ type: 'equals', value: 'nope' }],
    });
    const store = new MemoryStore();
    const warnings: string[] = [];
    const outcome = await runEvaluation({ runId: 'secrets', config, baseDir: process.cwd(), providers, store, onWarning: (message) => warnings.push(message) });

    // Sent as the user asked.
    expect(echo.requests).toHaveLength(4);
    expect(rejecting.requests).toHaveLength(4);
    for (const request of [...echo.requests, ...rejecting.requests]) expect(request.messages.at(-1)?.content).toContain(KEY);

    expect(store.results('secrets')).toHaveLength(8);

    // One warning for the run, counting rows (not results), not the row holding the run's own key.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^2 dataset rows contain strings shaped like API keys or passwords \(cases openai-shaped, aws-shaped\); .* stored redacted/);
    expect(outcome.warnings).toEqual(warnings);
  });
});
