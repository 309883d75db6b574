import { describe, expect, it } from '@jest/globals';
import { MockProvider, registerSecret, type GenerateRequest, type GenerateResponse } from '@llm-lab/core';
import { runEvaluation, type EngineProvider } from '../src/index.js';
import { makeConfig, MemoryStore, ObservedProvider } from './helpers.js';

// A key the run uses (resolveApiKey registers it) that the user also wrote into the prompt: it is
// sent to the provider as asked, and stored nowhere. Key-shaped strings the dataset holds are the
// user's data: stored as they are, with one warning.
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
  it('a registered key is sent where the prompt has it, and replaced in every stored field; dataset keys stay, with one warning', async () => {
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

    const rows = store.results('secrets');
    expect(rows).toHaveLength(8);
    expect(JSON.stringify(rows)).not.toContain(KEY);
    const answered = rows.find((row) => row.caseId === 'own-key' && row.providerId === 'mock:echo');
    expect(answered?.prompt).toEqual([{ role: 'user', content: 'Authenticate with [REDACTED], then answer: one' }]);
    expect(answered?.output).toBe('Authenticate with [REDACTED], then answer: one');
    expect(answered?.vars).toEqual({ id: 'own-key', question: 'one', note: 'my copy of [REDACTED]' });
    expect(answered?.scores[0]?.reason).toBe("expected 'nope', got 'Authenticate with [REDACTED], then answer: one'");
    const failed = rows.find((row) => row.caseId === 'own-key' && row.providerId === 'mock:rejecting');
    expect(failed?.errorMessage).toBe("upstream rejected the prompt 'Authenticate with [REDACTED], then answer: one'");

    // The dataset's own key-shaped strings are kept, in vars and in what the provider answered.
    const shaped = rows.find((row) => row.caseId === 'openai-shaped' && row.providerId === 'mock:echo');
    expect(shaped?.vars).toMatchObject({ token: 'sk-proj-abcdefghijklmnopqrstuvwx01' });
    expect(rows.find((row) => row.caseId === 'aws-shaped')?.vars).toMatchObject({ token: 'AKIAABCDEFGHIJKLMNOP' });

    // One warning for the run, counting rows (not results), not the row holding the run's own key.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^2 dataset rows contain strings shaped like API keys or passwords \(cases openai-shaped, aws-shaped\); .* stored as they are/);
    expect(outcome.warnings).toEqual(warnings);
  });
});
