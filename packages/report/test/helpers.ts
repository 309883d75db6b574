import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabConfigInput } from '@llm-lab/core';
import { createLab, type Lab } from '@llm-lab/lab';
import type { Storage } from '@llm-lab/storage';

/** Opening the embedded database can take 20 s and more on a loaded machine. */
export const SLOW_HOOK_MS = 180_000;

export const TOPICS = ['algebra', 'geometry', 'logic', 'probability'];

/** 60 questions in four topics; a `<script>` in one answer checks that case text is never parsed as HTML. */
export const rows = Array.from({ length: 60 }, (_, i) => ({
  id: `q${i}`,
  question: `What is ${i} + ${i}?`,
  answer: i === 7 ? '</script><script>window.__injected = true</script>' : String(2 * i),
  topic: TOPICS[i % TOPICS.length],
}));

/**
 * Two mock models on the same 60 cases: `alpha` right 80% of the time and priced, `beta` right
 * 50% of the time with one case in ten failing (a persistent server error). `seed` varies which.
 */
export function twoModelConfig(seed = 3, description = 'two mock models'): LabConfigInput {
  return {
    description,
    providers: [
      {
        id: 'mock:alpha',
        config: { mode: 'field', field: 'answer', accuracy: 0.8, seed, latencyMs: { min: 1, max: 12 }, pricing: { inputPerMillion: 1, outputPerMillion: 2 } },
      },
      {
        id: 'mock:beta',
        config: { mode: 'field', field: 'answer', accuracy: 0.5, seed: seed + 1, latencyMs: { min: 1, max: 30 }, errorRate: 0.1, errorMode: 'persistent' },
        retry: { maxAttempts: 1 },
      },
    ],
    prompts: ['{{question}}'],
    dataset: { rows, idField: 'id' },
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
    groups: { by: 'topic' },
    cache: { kind: 'none' },
  };
}

export interface LabFixture {
  lab: Lab;
  storage: Storage;
  close(): Promise<void>;
}

/** A lab on a fresh embedded database (PGlite) in a temporary folder. */
export async function embeddedLab(name: string): Promise<LabFixture> {
  const cwd = await mkdtemp(join(tmpdir(), `llm-lab-report-${name}-`));
  const lab = createLab({ cwd, dataDir: join(cwd, 'db') });
  const storage = await lab.openStorage();
  return {
    lab,
    storage,
    close: async () => {
      await lab.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
