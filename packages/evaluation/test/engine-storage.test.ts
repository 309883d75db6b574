import { describe, expect, it } from '@jest/globals';
import { MockProvider } from '@llm-lab/core';
import { openStorage } from '@llm-lab/storage';
import { runEvaluation } from '../src/index.js';
import { makeConfig, tempDir, writeQuestions } from './helpers.js';

// The engine against the real embedded database: results land in PGlite, and a resume reads
// the keys back from it.
describe('runEvaluation with @llm-lab/storage (PGlite)', () => {
  it('stores every result once and resumes from what the database holds', async () => {
    const { dir } = await writeQuestions(25);
    const storage = await openStorage({ dataDir: await tempDir(), env: {} });
    try {
      const run = await storage.createRun({ config: {}, resolvedConfig: {} });
      const config = makeConfig({ prompts: ['{{question}}'], dataset: { path: 'cases.jsonl', idField: 'id' }, evaluators: [{ type: 'equals', value: '{{answer}}' }] });
      const providers = [{ label: 'student', provider: new MockProvider('student', { mode: 'field', field: 'answer', accuracy: 0.6 }), settings: {} }];
      const first = await runEvaluation({ runId: run.id, config, baseDir: dir, providers, store: storage, limit: 10 });
      expect(first.written).toBe(10);
      const second = await runEvaluation({ runId: run.id, config, baseDir: dir, providers, store: storage, resume: true });
      expect(second).toMatchObject({ status: 'completed', skipped: 10, written: 15 });
      const { results: stored, nextCursor } = await storage.listResults({ runId: run.id, limit: 100 });
      expect(nextCursor).toBeNull();
      expect(stored).toHaveLength(25);
      // The label, the provider behind it, and the model the provider reported answering with.
      expect(new Set(stored.map((result) => `${result.providerId} ${result.provider} ${result.model}`))).toEqual(new Set(['student mock:student student']));
      expect(stored.map((result) => result.caseId)).toEqual(Array.from({ length: 25 }, (_, i) => `q${i}`).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
      const passed = stored.filter((result) => result.passed).length;
      expect(first.totals.passed + second.totals.passed).toBe(passed);
      expect(stored[0]?.scores[0]).toMatchObject({ name: 'equals', type: 'equals' });
    } finally {
      await storage.close();
    }
  });
});
