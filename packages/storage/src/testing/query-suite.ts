/**
 * The shared storage suite's checks of paged, filtered and sorted result queries, SQL
 * aggregates, and the requests table (called from {@link describeStorageSuite}).
 */
import { describe, expect, it } from '@jest/globals';
import { eachResult, resultOutcome, type NewRequest, type NewResult, type RequestPage, type ResultPage, type RunRecord, type Storage } from '../types.js';
import { sampleResult } from './storage-suite.js';

let requestCounter = 0;
function sampleRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  requestCounter += 1;
  return {
    requestId: `req-${process.pid}-${requestCounter}-${Math.random().toString(36).slice(2, 8)}`,
    source: 'gateway',
    route: '/v1/chat/completions',
    provider: 'openai:gpt-4o-mini',
    label: 'fast',
    model: 'gpt-4o-mini-2024-07-18',
    latencyMs: 120.5,
    timeToFirstTokenMs: 40.25,
    inputTokens: 12,
    outputTokens: 7,
    cachedTokens: 4,
    costUsd: 0.000_021,
    cacheHit: false,
    attempts: 1,
    errorClass: null,
    status: 'ok',
    httpStatus: 200,
    keyId: 'key_sample',
    requestBody: null,
    responseBody: null,
    ...overrides,
  };
}

export function describeQuerySuite(
  storageOf: () => Storage,
  newRun: (label: string) => Promise<RunRecord>,
  slowTimeoutMs: number,
): void {
  /**
   * A run of 3 providers × 2 prompts × 40 cases with every outcome, latencies and scores spread
   * (some missing), inserted in a shuffled order.
   */
  async function mixedRun(): Promise<{ run: RunRecord; stored: NewResult[] }> {
    const run = await newRun('query');
    const stored: NewResult[] = [];
    for (let caseIndex = 0; caseIndex < 40; caseIndex += 1) {
      for (const providerId of ['p-a', 'p-b', 'p-c']) {
        for (const promptId of ['default', 'terse']) {
          const n = stored.length;
          const errored = n % 11 === 0;
          const passed = errored ? null : n % 4 !== 0;
          stored.push(
            sampleResult(run.id, {
              caseId: `case-${caseIndex}`,
              caseIndex,
              providerId,
              promptId,
              passed,
              output: errored ? null : `answer ${n}`,
              errorKind: errored ? 'server' : null,
              errorMessage: errored ? 'HTTP 500' : null,
              // Ties on purpose (n % 17), and no latency for some errored calls.
              latencyMs: errored && n % 2 === 0 ? null : (n * 7) % 17,
              scores: errored
                ? []
                : [
                    { name: 'a', type: 'contains', passed: passed === true, score: passed ? 1 : 0 },
                    { name: 'b', type: 'similar', passed: true, score: (n % 5) / 4 },
                  ],
            }),
          );
        }
      }
    }
    const shuffled = [...stored].sort((a, b) => ((a.caseIndex * 31 + a.providerId.length) % 7) - ((b.caseIndex * 31 + b.providerId.length) % 7));
    expect(await storageOf().insertResults(shuffled)).toBe(stored.length);
    return { run, stored };
  }

  const keyOf = (result: Pick<NewResult, 'caseId' | 'providerId' | 'promptId' | 'repeat'>) =>
    `${result.caseId}|${result.providerId}|${result.promptId}|${result.repeat}`;

  describe('result queries', () => {
    it('pages a run in case order by cursor: the pages join up to the whole run, each the size asked', async () => {
      const storage = storageOf();
      const { run, stored } = await mixedRun();
      const all = await storage.listResults(run.id);
      expect(all).toHaveLength(stored.length);
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page: ResultPage = await storage.listResults({ runId: run.id, limit: 50, cursor });
        pages.push(page.results.map(keyOf));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(pages.map((page) => page.length)).toEqual([50, 50, 50, 50, 40]);
      expect(pages.flat()).toEqual(all.map(keyOf));
      // The default page is 100; the last page says there is no next one.
      const first = await storage.listResults({ runId: run.id });
      expect(first.results).toHaveLength(100);
      expect(first.nextCursor).not.toBeNull();
      const exact = await storage.listResults({ runId: run.id, limit: stored.length });
      expect(exact.nextCursor).toBeNull();
      // Offset instead of a cursor; descending order.
      expect((await storage.listResults({ runId: run.id, offset: 238, limit: 5 })).results.map(keyOf)).toEqual(all.slice(238).map(keyOf));
      const backwards = [...eachResultKeys(await collect(storage, { runId: run.id, sort: { by: 'case', order: 'desc' } }))];
      expect(backwards).toEqual(all.map(keyOf).reverse());
    });

    it('filters by outcome, provider, prompt and case id, and counts what a filter matches', async () => {
      const storage = storageOf();
      const { run, stored } = await mixedRun();
      const expected = (keep: (result: NewResult) => boolean) => stored.filter(keep).map(keyOf).sort();
      const unpassed = await collect(storage, { runId: run.id, filter: { outcome: ['failed', 'errored'] } });
      expect(unpassed.map(keyOf).sort()).toEqual(expected((result) => resultOutcome(result) !== 'passed'));
      for (const outcome of ['passed', 'failed', 'errored'] as const) {
        const listed = await collect(storage, { runId: run.id, filter: { outcome } });
        expect(listed.map(keyOf).sort()).toEqual(expected((result) => resultOutcome(result) === outcome));
        expect(await storage.countResults(run.id, { outcome })).toBe(listed.length);
        expect(listed.length).toBeGreaterThan(0);
      }
      const narrow = await collect(storage, { runId: run.id, filter: { providerId: 'p-b', promptId: 'terse', outcome: 'passed' } });
      expect(narrow.map(keyOf).sort()).toEqual(
        expected((result) => result.providerId === 'p-b' && result.promptId === 'terse' && resultOutcome(result) === 'passed'),
      );
      const oneCase = await storage.listResults({ runId: run.id, filter: { caseId: 'case-7' } });
      expect(oneCase.results.map((result) => [result.providerId, result.promptId])).toEqual([
        ['p-a', 'default'],
        ['p-a', 'terse'],
        ['p-b', 'default'],
        ['p-b', 'terse'],
        ['p-c', 'default'],
        ['p-c', 'terse'],
      ]);
      const window = await collect(storage, { runId: run.id, filter: { caseRange: { fromCase: 3, toCase: 6 }, outcome: 'passed' } });
      expect(window.map(keyOf).sort()).toEqual(expected((result) => result.caseIndex >= 3 && result.caseIndex < 6 && resultOutcome(result) === 'passed'));
      expect(window.length).toBeGreaterThan(0);
      expect(await storage.countResults(run.id, { caseRange: { fromCase: 0, toCase: 0 } })).toBe(0);
      await expect(storage.listResults({ runId: run.id, filter: { caseRange: { fromCase: 5, toCase: 2 } } })).rejects.toThrow('caseRange must be whole numbers');
      expect(await storage.countResults(run.id)).toBe(stored.length);
      expect(await storage.countResults(run.id, { providerId: 'p-a' })).toBe(80);
      expect(await storage.countResults(run.id, { outcome: [] })).toBe(0);
    });

    it('sorts by latency and by mean score, missing values last, ties in insertion order, across pages', async () => {
      const storage = storageOf();
      const { run } = await mixedRun();
      const byLatency = await collect(storage, { runId: run.id, sort: { by: 'latency' } }, 7);
      const latencies = byLatency.map((result) => result.latencyMs ?? Number.POSITIVE_INFINITY);
      expect(latencies).toEqual([...latencies].sort((a, b) => a - b));
      expect(byLatency.at(-1)?.latencyMs).toBeNull();
      const ids = byLatency.map((result) => result.id);
      expect(new Set(ids).size).toBe(240);
      const slowest = await collect(storage, { runId: run.id, sort: { by: 'latency', order: 'desc' } }, 9);
      expect(slowest.map((result) => result.id)).toEqual([...ids].reverse());

      const byScore = await collect(storage, { runId: run.id, sort: { by: 'score', order: 'desc' } }, 13);
      const scores = byScore.map((result) => result.score ?? Number.NEGATIVE_INFINITY);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(byScore[0]?.score).toBe(1);
      expect(byScore.at(-1)?.score).toBeNull();
      // The stored score is the mean of the evaluators' scores.
      const sample = byScore.find((result) => result.scores.length === 2);
      expect(sample?.score).toBeCloseTo(((sample?.scores[0]?.score ?? 0) + (sample?.scores[1]?.score ?? 0)) / 2, 10);
    });

    it('refuses a cursor of another order, a damaged cursor and a page size out of range, saying what to do', async () => {
      const storage = storageOf();
      const { run } = await mixedRun();
      const page = await storage.listResults({ runId: run.id, limit: 10, sort: { by: 'latency' } });
      await expect(storage.listResults({ runId: run.id, cursor: page.nextCursor })).rejects.toMatchObject({
        code: 'storage_invalid_option',
        message: expect.stringContaining('give the same sort as the page it came from'),
      });
      await expect(storage.listResults({ runId: run.id, cursor: 'not a cursor' })).rejects.toMatchObject({ code: 'storage_invalid_option' });
      await expect(storage.listResults({ runId: run.id, limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 10000 \(got 0\)/);
      await expect(storage.listResults({ runId: run.id, sort: { by: 'cost' as 'case' } })).rejects.toThrow(/unknown sort "cost"/);
      await expect(storage.listResults({ runId: run.id, filter: { outcome: 'ok' as 'passed' } })).rejects.toThrow(/unknown result outcome "ok"/);
    });

    it('sums a run up in SQL: counts by outcome, distinct cases, tokens and cost', async () => {
      const storage = storageOf();
      const { run, stored } = await mixedRun();
      const count = (outcome: string) => stored.filter((result) => resultOutcome(result) === outcome).length;
      const sum = (pick: (result: NewResult) => number | null) => stored.reduce((total, result) => total + (pick(result) ?? 0), 0);
      const aggregates = await storage.aggregateResults(run.id);
      expect(aggregates).toEqual({
        results: 240,
        cases: 40,
        passed: count('passed'),
        failed: count('failed'),
        errors: count('errored'),
        inputTokens: sum((result) => result.inputTokens),
        outputTokens: sum((result) => result.outputTokens),
        costUsd: expect.closeTo(sum((result) => result.costUsd), 12) as unknown as number,
      });
      expect(await storage.aggregateResults('no-such-run')).toEqual({
        results: 0,
        cases: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      });
    });

    it('keeps the provider id and the model the vendor reported beside the label; null when not known', async () => {
      const storage = storageOf();
      const run = await newRun('model');
      const { provider: _provider, model: _model, ...older } = sampleResult(run.id, { caseId: 'older', caseIndex: 1 });
      await storage.insertResults([
        sampleResult(run.id, { providerId: 'fast', provider: 'openai:gpt-4o-mini', model: 'gpt-4o-mini-2024-07-18' }),
        older,
      ]);
      const { results } = await storage.listResults({ runId: run.id });
      expect(results.map((result) => [result.providerId, result.provider, result.model])).toEqual([
        ['fast', 'openai:gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
        ['mock:echo', null, null],
      ]);
    });
  });

  describe('requests', () => {
    it('stores calls made outside a run once each, and pages them newest first with filters', async () => {
      const storage = storageOf();
      const source = `probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const base = Date.UTC(2031, 0, 1);
      const batch = Array.from({ length: 25 }, (_, index) =>
        sampleRequest({
          source,
          // Two calls share each millisecond: the cursor must still not skip or repeat one.
          at: new Date(base + Math.floor(index / 2)),
          ...(index % 5 === 4 ? { status: 'error', errorClass: 'rate-limit', httpStatus: 429, model: null, outputTokens: null } : {}),
        }),
      );
      expect(await storage.insertRequests(batch)).toBe(25);
      expect(await storage.insertRequests([batch[0] as NewRequest, sampleRequest({ source })])).toBe(1);
      expect(await storage.insertRequests([])).toBe(0);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: RequestPage = await storage.listRequests({ source, limit: 4, cursor });
        expect(page.requests.length).toBeLessThanOrEqual(4);
        seen.push(...page.requests.map((request) => request.requestId));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toHaveLength(26);
      expect(new Set(seen).size).toBe(26);
      // Newest first (the one stored without a time, now, comes after the 2031 ones).
      const listed = (await storage.listRequests({ source, limit: 100 })).requests;
      const times = listed.map((request) => request.at.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(listed.map((request) => request.requestId)).toEqual(seen);

      const errors = await storage.listRequests({ source, status: 'error' });
      expect(errors.requests).toHaveLength(5);

      // Text and bodies with what a bulk load must escape (tab, newline, backslash, \N) or cannot hold (NUL) come back whole.
      const awkward = sampleRequest({ source: `${source}-text`, route: 'a\tb\nc\\d \\N', label: 'nul\u0000here', requestBody: { messages: [{ role: 'user', content: 'tab\there\r\nand \\ \\N' }] } });
      expect(await storage.insertRequests([awkward])).toBe(1);
      const [back] = (await storage.listRequests({ source: `${source}-text` })).requests;
      expect(back).toMatchObject({ route: 'a\tb\nc\\d \\N', label: 'nul\uFFFDhere', requestBody: { messages: [{ role: 'user', content: 'tab\there\r\nand \\ \\N' }] } });
      expect(errors.requests[0]).toEqual({
        ...batch[24],
        id: expect.any(Number),
        at: new Date(base + 12),
      });
      const window = await storage.listRequests({ source, since: new Date(base + 3), until: new Date(base + 5) });
      expect(window.requests).toHaveLength(4);
      expect(await storage.listRequests({ source, provider: 'anthropic:claude' })).toEqual({ requests: [], nextCursor: null });
      await expect(storage.listRequests({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'storage_invalid_option' });
    });

    it('stores a 3,000-request batch in one call', async () => {
      const storage = storageOf();
      const source = `bulk-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const batch = Array.from({ length: 3_000 }, () => sampleRequest({ source }));
      expect(await storage.insertRequests(batch)).toBe(3_000);
      expect((await storage.listRequests({ source, limit: 10_000 })).requests).toHaveLength(3_000);
    }, slowTimeoutMs);
  });
}

/** Every result of a query, read through {@link eachResult} in pages of `pageSize`. */
async function collect(storage: Storage, query: Parameters<typeof eachResult>[1], pageSize = 17) {
  const all = [];
  for await (const result of eachResult(storage, query, pageSize)) all.push(result);
  return all;
}

function* eachResultKeys(results: ReadonlyArray<Pick<NewResult, 'caseId' | 'providerId' | 'promptId' | 'repeat'>>) {
  for (const result of results) yield `${result.caseId}|${result.providerId}|${result.promptId}|${result.repeat}`;
}
