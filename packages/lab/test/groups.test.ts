import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LabConfigInput } from '@llm-lab/core';
import { dropSchema } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_groups_${process.pid}_${Date.now().toString(36)}`;

// 40 questions in four topics of unequal size (16, 12, 8, 4), so micro and macro averages differ.
const TOPICS = ['algebra', 'algebra', 'algebra', 'algebra', 'geometry', 'geometry', 'geometry', 'logic', 'logic', 'probability'];
const rows = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i), topic: TOPICS[i % 10] }));

function config(latencyMs: number): LabConfigInput {
  return {
    providers: [{ id: 'mock:grouped', config: { mode: 'field', field: 'answer', accuracy: 0.6, seed: 5, latencyMs } }],
    prompts: ['{{question}}'],
    dataset: { rows },
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
    groups: { by: 'topic', categories: { numbers: ['algebra', 'probability'] } },
    cache: { kind: 'none' },
  };
}

describe('per-group results of a run', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-groups-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
  });
  afterAll(async () => {
    await lab.close();
    await dropSchema(DATABASE_URL, schema);
  });

  it('are stored with the run, and a run stopped and resumed gets the same figures as one run straight through', async () => {
    const straight = await lab.run(config(0), { concurrency: 4 });
    expect(straight.groups?.[0]?.groups.map((group) => [group.name, group.passed + (group.scored - group.passed)])).toEqual([
      ['algebra', 16],
      ['geometry', 12],
      ['logic', 8],
      ['probability', 4],
    ]);
    const [summary] = straight.groups ?? [];
    // Micro is the run's own accuracy; macro weighs each topic once.
    expect(summary?.micro.accuracy).toBe(straight.providers[0]?.accuracy);
    const groupMean = (summary?.groups ?? []).reduce((sum, group) => sum + (group.accuracy ?? 0), 0) / 4;
    expect(summary?.macro.accuracy).toBeCloseTo(groupMean, 12);
    expect(summary?.categories?.map((category) => category.name)).toEqual(['numbers', '(uncategorised)']);
    const stored = await lab.getRun(straight.runId);
    expect((stored?.run.summary as { groups?: unknown }).groups).toEqual(JSON.parse(JSON.stringify(straight.groups)));

    const controller = new AbortController();
    const stopped = await lab.run(config(15), {
      concurrency: 2,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.done >= 8) controller.abort();
      },
    });
    expect(stopped.status).toBe('cancelled');
    expect(stopped.totals.results).toBeLessThan(40);
    const resumed = await lab.run(config(15), { resume: stopped.runId, concurrency: 8 });
    expect(resumed.status).toBe('completed');
    expect(resumed.totals.results).toBe(40);
    expect(resumed.groups).toEqual(straight.groups);
  }, 120_000);
});
