import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Storage } from '@llm-lab/storage';
import { sampleResult } from '@llm-lab/storage/testing';
import { dropSchema } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_get_run_${process.pid}_${Date.now().toString(36)}`;

// Showing a run must not read its results: a run of a million results has to show in the time
// and memory of a run of ten. These tests watch which storage calls the lab makes.
describe('Lab.getRun reads counts, not results', () => {
  let lab: Lab;
  let storage: Storage;
  beforeAll(async () => {
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-get-run-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
    storage = await lab.openStorage();
  });
  afterAll(async () => {
    await lab.close();
    await dropSchema(DATABASE_URL, schema);
  });

  /** 250 results: 200 passed, 40 failed, 10 errored. */
  async function storeRun(): Promise<string> {
    const run = await storage.createRun({ config: {}, resolvedConfig: {} });
    await storage.insertResults(
      Array.from({ length: 250 }, (_, index) =>
        sampleResult(run.id, {
          caseId: `case-${index}`,
          caseIndex: index,
          passed: index < 200 ? true : index < 240 ? false : null,
          ...(index >= 240 ? { errorKind: 'server', errorMessage: 'HTTP 500', output: null } : {}),
        }),
      ),
    );
    return run.id;
  }

  it("takes a finished run's counts from its stored totals and an unfinished run's from SQL, reading no result", async () => {
    const listResults = jest.spyOn(storage, 'listResults');
    const aggregateResults = jest.spyOn(storage, 'aggregateResults');
    const completedKeys = jest.spyOn(storage, 'completedKeys');

    const finished = await storeRun();
    const totals = { cases: 250, results: 250, passed: 200, failed: 40, errors: 10, inputTokens: 0, outputTokens: 0, costUsd: 0, invalidRows: 0 };
    await storage.updateRun(finished, { status: 'completed', finishedAt: new Date(), totals });
    expect((await lab.getRun(finished))?.counts).toEqual({ results: 250, passed: 200, failed: 40, errors: 10, from: 'totals' });
    expect(aggregateResults).not.toHaveBeenCalled();

    // Still marked running, and nobody runs it: interrupted, with no totals yet.
    const interrupted = await storeRun();
    const shown = await lab.getRun(interrupted);
    expect(shown?.run.status).toBe('interrupted');
    expect(shown?.counts).toEqual({ results: 250, passed: 200, failed: 40, errors: 10, from: 'aggregate' });
    expect(aggregateResults).toHaveBeenCalledTimes(1);

    expect(listResults).not.toHaveBeenCalled();
    expect(completedKeys).not.toHaveBeenCalled();

    // Results come a page at a time, in the size asked for.
    const page = await lab.listResults({ runId: interrupted, filter: { outcome: ['failed', 'errored'] }, limit: 20 });
    expect(page.results).toHaveLength(20);
    expect(page.results.every((result) => result.passed !== true)).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    expect(await lab.countResults(interrupted, { outcome: 'errored' })).toBe(10);
    listResults.mockRestore();
    aggregateResults.mockRestore();
    completedKeys.mockRestore();
  });
});
