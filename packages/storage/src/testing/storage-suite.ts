/**
 * The behaviour every {@link Storage} backend must have, as a jest suite. Each backend's test file
 * calls {@link describeStorageSuite} with a way to open a fresh, empty storage; the suite opens it
 * once (beforeAll), runs every check against it, and closes it (afterAll).
 *
 * Import it from `@llm-lab/storage/testing` in a jest test (it needs `@jest/globals`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isStorageError } from '../errors.js';
import { describeGatewaySuite } from './gateway-suite.js';
import { describeMetricSuite } from './metric-suite.js';
import { describePairingSuite } from './pairing-suite.js';
import { describeQuerySuite } from './query-suite.js';
import {
  resultKey,
  type NewResult,
  type ResultRecord,
  type RunRecord,
  type RunTotals,
  type Storage,
} from '../types.js';

export interface StorageSuiteBackend {
  /** Opens a storage over an empty database (a fresh folder or schema). */
  open(): Promise<Storage>;
  /** Runs after the storage is closed, e.g. to drop the test schema or remove the folder. */
  cleanup?(): Promise<void>;
  /**
   * Time allowed for `open` (PGlite's first start runs initdb), and for each of the suite's slow
   * steps. A safety net: default 5 minutes, since a busy machine can take minutes.
   */
  openTimeoutMs?: number;
}

let uniqueCounter = 0;
/** A run id no other test in this process uses. */
export function uniqueRunId(label: string): string {
  uniqueCounter += 1;
  return `test-${label}-${process.pid}-${uniqueCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A complete result with sensible values; `overrides` change any field. */
export function sampleResult(runId: string, overrides: Partial<NewResult> = {}): NewResult {
  return {
    runId,
    caseId: 'case-0',
    caseIndex: 0,
    providerId: 'mock:echo',
    provider: 'mock:echo',
    model: 'echo-2026-01-01',
    promptId: 'default',
    repeat: 0,
    prompt: [{ role: 'user', content: 'Say hi' }],
    vars: { question: 'Say hi' },
    output: 'hi',
    passed: true,
    scores: [{ name: 'contains', type: 'contains', passed: true, score: 1, reason: 'found "hi"' }],
    latencyMs: 12.5,
    timeToFirstTokenMs: 3.25,
    queueMs: 40.75,
    inputTokens: 5,
    outputTokens: 1,
    costUsd: 0.000_012_5,
    cached: false,
    attempts: 1,
    answeredBy: 'mock:echo',
    errorKind: null,
    errorMessage: null,
    warnings: null,
    ...overrides,
  };
}

/** What `result` reads back as: its id and time added, provider and model null when not given, and its mean score. */
function asStored(result: NewResult): ResultRecord {
  const scores = result.scores;
  return {
    ...result,
    provider: result.provider ?? null,
    model: result.model ?? null,
    score: scores.length === 0 ? null : scores.reduce((sum, score) => sum + score.score, 0) / scores.length,
    id: expect.any(Number) as unknown as number,
    createdAt: expect.any(Date) as unknown as Date,
  };
}

/** Registers the shared storage behaviour tests under `describe(name)`. */
export function describeStorageSuite(name: string, backend: StorageSuiteBackend): void {
  const slowTimeoutMs = backend.openTimeoutMs ?? 300_000;
  describe(name, () => {
    let storage: Storage;

    beforeAll(async () => {
      storage = await backend.open();
    }, slowTimeoutMs);

    afterAll(async () => {
      await storage?.close();
      await backend.cleanup?.();
    }, slowTimeoutMs);

    const newRun = (label: string, extra: Partial<Parameters<Storage['createRun']>[0]> = {}): Promise<RunRecord> =>
      storage.createRun({ id: uniqueRunId(label), config: { label }, resolvedConfig: { label }, ...extra });

    describe('runs', () => {
      it('creates a run with a generated, sortable id and defaults', async () => {
        const before = Date.now();
        const run = await storage.createRun({ config: { a: 1 }, resolvedConfig: { a: 1, b: 2 } });
        expect(run.id).toMatch(/^run-\d{8}-\d{6}-[0-9a-z]{4}$/);
        expect(run.status).toBe('running');
        expect(run.startedAt).toBeInstanceOf(Date);
        expect(run.startedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
        expect(run).toMatchObject({
          description: null,
          configFile: null,
          createdBy: null,
          finishedAt: null,
          durationMs: null,
          totals: null,
          summary: null,
          error: null,
          config: { a: 1 },
          resolvedConfig: { a: 1, b: 2 },
        });
        expect(await storage.getRun(run.id)).toEqual(run);
      });

      it('keeps a given id and rejects a duplicate one clearly', async () => {
        const run = await newRun('dup', { description: 'first', configFile: 'llm-lab.yaml', createdBy: 'ada' });
        expect(run).toMatchObject({ description: 'first', configFile: 'llm-lab.yaml', createdBy: 'ada' });
        const duplicate = storage.createRun({ id: run.id, config: {}, resolvedConfig: {} });
        await expect(duplicate).rejects.toMatchObject({ code: 'run_exists' });
        await expect(duplicate).rejects.toThrow(run.id);
      });

      it('updates a run and round-trips dates and JSON exactly', async () => {
        const run = await newRun('update');
        const finishedAt = new Date(run.startedAt.getTime() + 1_234);
        const totals: RunTotals = {
          cases: 3,
          results: 6,
          passed: 4,
          failed: 1,
          errors: 1,
          inputTokens: 120,
          outputTokens: 48,
          costUsd: 0.001_234,
          invalidRows: 0,
        };
        const summary = { 'mock:echo': { passRate: 0.5, p95LatencyMs: 12.25, tags: ['a', 'é', '😀'], nested: { ok: null } } };
        await storage.updateRun(run.id, { status: 'completed', finishedAt, durationMs: 1_234.5, totals, summary });
        const stored = await storage.getRun(run.id);
        expect(stored?.status).toBe('completed');
        expect(stored?.finishedAt).toBeInstanceOf(Date);
        expect(stored?.finishedAt?.getTime()).toBe(finishedAt.getTime());
        expect(stored?.startedAt.getTime()).toBe(run.startedAt.getTime());
        expect(stored?.durationMs).toBe(1_234.5);
        expect(stored?.totals).toEqual(totals);
        expect(stored?.summary).toEqual(summary);
        expect(stored?.error).toBeNull();

        // Fields left out are unchanged; null clears.
        await storage.updateRun(run.id, { status: 'failed', error: 'provider down', finishedAt: null });
        const failed = await storage.getRun(run.id);
        expect(failed).toMatchObject({ status: 'failed', error: 'provider down', finishedAt: null, durationMs: 1_234.5 });
        expect(failed?.totals).toEqual(totals);
      });

      it('round-trips a given start time and non-object configs', async () => {
        const startedAt = new Date('2024-02-29T23:59:59.123Z');
        const run = await newRun('start', { startedAt, config: ['a', 1, true, null], resolvedConfig: 'text' });
        const stored = await storage.getRun(run.id);
        expect(stored?.startedAt.toISOString()).toBe('2024-02-29T23:59:59.123Z');
        expect(stored?.config).toEqual(['a', 1, true, null]);
        expect(stored?.resolvedConfig).toBe('text');
      });

      it('refuses to update a run that does not exist', async () => {
        await expect(storage.updateRun('no-such-run', { status: 'completed' })).rejects.toMatchObject({
          code: 'run_not_found',
        });
        await expect(storage.updateRun('no-such-run', {})).rejects.toThrow('no-such-run');
      });

      it('finds a run by exact id or unique prefix and names the matches of an ambiguous prefix', async () => {
        const stem = uniqueRunId('prefix');
        const first = await storage.createRun({ id: `${stem}-alpha`, config: {}, resolvedConfig: {} });
        const second = await storage.createRun({ id: `${stem}-beta`, config: {}, resolvedConfig: {} });
        expect((await storage.getRun(first.id))?.id).toBe(first.id);
        expect((await storage.getRun(`${stem}-al`))?.id).toBe(first.id);
        expect((await storage.getRun(`${stem}-b`))?.id).toBe(second.id);
        expect(await storage.getRun(`${stem}-gamma`)).toBeUndefined();
        expect(await storage.getRun('')).toBeUndefined();

        const ambiguous = storage.getRun(stem);
        await expect(ambiguous).rejects.toMatchObject({ code: 'run_id_ambiguous' });
        const error = await ambiguous.catch((caught: unknown) => caught);
        expect(isStorageError(error)).toBe(true);
        expect((error as Error).message).toContain(first.id);
        expect((error as Error).message).toContain(second.id);
      });

      it('finds a run by a unique end of its id, and names the matches of an ambiguous end', async () => {
        // Ids end in a random part (run-20261128-181128-alre): the part a person remembers.
        const tail = uniqueRunId('tail').replace(/^test-/, '');
        const first = await storage.createRun({ id: `run-a-${tail}x`, config: {}, resolvedConfig: {} });
        const second = await storage.createRun({ id: `run-b-${tail}yx`, config: {}, resolvedConfig: {} });
        expect((await storage.getRun(`${tail}x`))?.id).toBe(first.id);
        expect((await storage.getRun(`${tail}yx`))?.id).toBe(second.id);
        expect(await storage.getRun(`${tail}z`)).toBeUndefined();
        // Neither the start nor the end: not a match.
        expect(await storage.getRun(tail)).toBeUndefined();

        const ambiguous = await storage.getRun('x').catch((caught: unknown) => caught);
        expect(ambiguous).toMatchObject({ code: 'run_id_ambiguous' });
        expect((ambiguous as Error).message).toMatch(/run id "x" matches several runs by its start or end \(.*\); give more characters of the id/);
        expect((ambiguous as Error).message).toContain(second.id);
        // A suffix with LIKE wildcards is literal too.
        expect(await storage.getRun(`%${tail}x`)).toBeUndefined();
        expect(await storage.getRun(`_${tail}yx`)).toBeUndefined();
      });

      it('treats LIKE wildcards in a prefix literally', async () => {
        const stem = uniqueRunId('wild');
        const run = await storage.createRun({ id: `${stem}_x%y`, config: {}, resolvedConfig: {} });
        expect((await storage.getRun(`${stem}_x%`))?.id).toBe(run.id);
        expect(await storage.getRun(`${stem}%`)).toBeUndefined();
        expect(await storage.getRun(`${stem.slice(0, -1)}_`)).toBeUndefined();
        expect(await storage.getRun('%')).toBeUndefined();
      });

      it('lists runs newest first, with status filter, limit and offset', async () => {
        // Dates in the future make these the newest runs in the database.
        const at = (year: number): Date => new Date(Date.UTC(year, 0, 1));
        const oldest = await newRun('list', { startedAt: at(2101) });
        const middle = await newRun('list', { startedAt: at(2102), status: 'cancelled' });
        const newest = await newRun('list', { startedAt: at(2103) });

        const top = await storage.listRuns({ limit: 3 });
        expect(top.map((run) => run.id)).toEqual([newest.id, middle.id, oldest.id]);
        expect((await storage.listRuns({ limit: 2, offset: 1 })).map((run) => run.id)).toEqual([middle.id, oldest.id]);
        const cancelled = await storage.listRuns({ status: 'cancelled' });
        expect(cancelled[0]?.id).toBe(middle.id);
        expect(cancelled.every((run) => run.status === 'cancelled')).toBe(true);

        const all = await storage.listRuns();
        const times = all.map((run) => run.startedAt.getTime());
        expect(times).toEqual([...times].sort((a, b) => b - a));
      });
    });

    describe('run holds', () => {
      it('tells a run being run from one left running by a process that is gone', async () => {
        const live = await newRun('held');
        const orphan = await newRun('orphaned');
        const hold = await storage.holdRun(live.id);
        expect(await storage.heldRuns([live.id, orphan.id])).toEqual(new Set([live.id]));
        // One process per run: a second claim is refused with a clear reason.
        const second = await storage.holdRun(live.id).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isStorageError(second) && second.code).toBe('run_in_progress');
        expect(String((second as Error).message)).toContain(live.id);
        await hold.release();
        await hold.release();
        expect(await storage.heldRuns([live.id, orphan.id])).toEqual(new Set());
        // Released, it can be claimed again (a resume).
        await (await storage.holdRun(live.id)).release();
        expect(await storage.heldRuns([])).toEqual(new Set());
      });

      it('lets slices share a run, and keeps a whole-run claim out while any slice holds it', async () => {
        const planned = await newRun('sliced');
        const refused = (claim: Promise<{ release(): Promise<void> }>) =>
          claim.then(
            async (hold) => {
              await hold.release();
              return 'granted';
            },
            (error: unknown) => (isStorageError(error) ? error.code : String(error)),
          );
        const first = await storage.holdRun(planned.id, { shared: true });
        const second = await storage.holdRun(planned.id, { shared: true });
        expect(await storage.heldRuns([planned.id])).toEqual(new Set([planned.id]));
        expect(await refused(storage.holdRun(planned.id))).toBe('run_in_progress');
        await first.release();
        // One slice still executes: the run is still held, and still not to be claimed whole.
        expect(await storage.heldRuns([planned.id])).toEqual(new Set([planned.id]));
        expect(await refused(storage.holdRun(planned.id))).toBe('run_in_progress');
        await second.release();
        expect(await storage.heldRuns([planned.id])).toEqual(new Set());
        // Claimed whole, no slice may join.
        const whole = await storage.holdRun(planned.id);
        expect(await refused(storage.holdRun(planned.id, { shared: true }))).toBe('run_in_progress');
        await whole.release();
        expect(await refused(storage.holdRun(planned.id, { shared: true }))).toBe('granted');
      });
    });

    describe('results', () => {
      it('inserts idempotently: the same key twice is stored once', async () => {
        const run = await newRun('idempotent');
        const batch = [0, 1, 2].map((index) => sampleResult(run.id, { caseId: `case-${index}`, caseIndex: index }));
        expect(await storage.insertResults(batch)).toBe(3);
        expect(await storage.insertResults(batch)).toBe(0);
        // A changed output under an existing key is not written: results are never rewritten.
        const mixed = [sampleResult(run.id, { caseId: 'case-0', output: 'changed' }), sampleResult(run.id, { caseId: 'case-3', caseIndex: 3 })];
        expect(await storage.insertResults(mixed)).toBe(1);
        expect(await storage.countResults(run.id)).toBe(4);
        expect((await storage.listResults(run.id))[0]?.output).toBe('hi');
        // Each part of the key counts: another repeat, prompt or provider is a new result.
        const variants = [
          sampleResult(run.id, { repeat: 1 }),
          sampleResult(run.id, { promptId: 'terse' }),
          sampleResult(run.id, { providerId: 'mock:other' }),
        ];
        expect(await storage.insertResults(variants)).toBe(3);
        expect(await storage.insertResults([])).toBe(0);
        expect(await storage.countResults(run.id)).toBe(7);
      });

      it('stores a 20,000-row batch in one call (beyond the bind-parameter limit of one statement)', async () => {
        const run = await newRun('large');
        const batch = Array.from({ length: 20_000 }, (_, index) =>
          sampleResult(run.id, { caseId: `case-${index}`, caseIndex: index, vars: { index } }),
        );
        expect(await storage.insertResults(batch)).toBe(20_000);
        expect(await storage.countResults(run.id)).toBe(20_000);
        const keys = await storage.completedKeys(run.id);
        expect(keys.size).toBe(20_000);
        expect(keys.has(resultKey(batch[19_999] as NewResult))).toBe(true);
        const page = await storage.listResults(run.id, { offset: 19_998, limit: 5 });
        expect(page.map((result) => result.caseIndex)).toEqual([19_998, 19_999]);
        expect(page[1]?.vars).toEqual({ index: 19_999 });
      }, slowTimeoutMs);

      it('rolls back a multi-statement batch that fails part-way', async () => {
        const run = await newRun('atomic');
        const batch = Array.from({ length: 6_000 }, (_, index) =>
          sampleResult(run.id, { caseId: `case-${index}`, caseIndex: index }),
        );
        // The last row points at a run that does not exist: its statement fails on the foreign key.
        batch.push(sampleResult('no-such-run', { caseId: 'orphan' }));
        await expect(storage.insertResults(batch)).rejects.toThrow();
        expect(await storage.countResults(run.id)).toBe(0);
      }, slowTimeoutMs);

      it('lists results ordered by case index, provider, prompt and repeat, with filter and paging', async () => {
        const run = await newRun('order');
        const keys: Array<[number, string, string, number]> = [
          [1, 'b', 'p1', 0],
          [0, 'b', 'p1', 1],
          [1, 'a', 'p2', 0],
          [0, 'b', 'p1', 0],
          [1, 'a', 'p1', 0],
          [0, 'a', 'p1', 0],
        ];
        const batch = keys.map(([caseIndex, providerId, promptId, repeat]) =>
          sampleResult(run.id, { caseId: `case-${caseIndex}`, caseIndex, providerId, promptId, repeat }),
        );
        expect(await storage.insertResults(batch)).toBe(6);
        const listed = await storage.listResults(run.id);
        expect(listed.map((r) => [r.caseIndex, r.providerId, r.promptId, r.repeat])).toEqual([
          [0, 'a', 'p1', 0],
          [0, 'b', 'p1', 0],
          [0, 'b', 'p1', 1],
          [1, 'a', 'p1', 0],
          [1, 'a', 'p2', 0],
          [1, 'b', 'p1', 0],
        ]);
        const onlyB = await storage.listResults(run.id, { providerId: 'b' });
        expect(onlyB.map((r) => [r.caseIndex, r.repeat])).toEqual([
          [0, 0],
          [0, 1],
          [1, 0],
        ]);
        const page = await storage.listResults(run.id, { limit: 2, offset: 3 });
        expect(page.map((r) => [r.caseIndex, r.providerId, r.promptId])).toEqual([
          [1, 'a', 'p1'],
          [1, 'a', 'p2'],
        ]);
        expect(await storage.listResults('no-such-run')).toEqual([]);
        expect(await storage.countResults('no-such-run')).toBe(0);
      });

      it('round-trips every field with its JS type (JSON, numbers, booleans, dates)', async () => {
        const run = await newRun('types');
        const before = Date.now();
        const full = sampleResult(run.id, {
          prompt: [{ role: 'system', content: 'Be brief ✓' }, { role: 'user', content: 'line1\nline2 "quoted" \\ back' }],
          vars: { n: 1.5, big: 9_007_199_254_740_991, list: [1, 'two', null, { deep: [true] }], empty: {} },
          warnings: ['truncated', { code: 'w1' }],
          costUsd: 0.000_001_23,
        });
        const failed = sampleResult(run.id, {
          caseId: 'case-1',
          caseIndex: 1,
          output: null,
          passed: null,
          scores: [],
          latencyMs: null,
          timeToFirstTokenMs: null,
          queueMs: null,
          inputTokens: null,
          outputTokens: null,
          costUsd: null,
          cached: true,
          attempts: 3,
          answeredBy: null,
          provider: null,
          model: null,
          errorKind: 'rate-limit',
          errorMessage: 'HTTP 429 after 3 attempts',
          warnings: null,
        });
        await storage.insertResults([full, failed]);
        const [first, second] = await storage.listResults(run.id);
        expect(first).toEqual(asStored(full));
        expect(second).toEqual(asStored(failed));
        expect(typeof first?.id).toBe('number');
        expect(first?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
        expect(typeof (await storage.countResults(run.id))).toBe('number');
      });

      it('stores the time a call queued apart from its latency, and null when it was not measured (bulk load and fallback insert)', async () => {
        const run = await newRun('queue');
        const queued = sampleResult(run.id, { latencyMs: 5500, queueMs: 34_500.125 });
        const { queueMs: _absent, ...unmeasured } = sampleResult(run.id, { caseId: 'case-1', caseIndex: 1 });
        const none = sampleResult(run.id, { caseId: 'case-2', caseIndex: 2, queueMs: null });
        const zero = sampleResult(run.id, { caseId: 'case-3', caseIndex: 3, queueMs: 0, attempts: 0, cached: true });
        expect(await storage.insertResults([queued, unmeasured])).toBe(2);
        // A batch holding a stored key is inserted another way (see insertResults): the column goes that way too.
        expect(await storage.insertResults([queued, none, zero])).toBe(2);
        const stored = await storage.listResults(run.id);
        expect(stored.map((result) => [result.caseId, result.latencyMs, result.queueMs])).toEqual([
          ['case-0', 5500, 34_500.125],
          ['case-1', 12.5, null],
          ['case-2', 12.5, null],
          ['case-3', 12.5, 0],
        ]);
      });

      it('round-trips text holding what a bulk load escapes: tabs, newlines, backslashes, \\N and \\. lines', async () => {
        const run = await newRun('escapes');
        const awkward = 'tab\there\nnew line\r\ncarriage \\ back \\N \\t literal\n\\.\nend "quoted" ✓';
        const result = sampleResult(run.id, {
          caseId: 'case\twith tab',
          output: awkward,
          errorMessage: '\\N',
          answeredBy: '',
          prompt: [{ role: 'user', content: awkward }],
          vars: { text: awkward, path: 'C:\\data\\new' },
          scores: [{ name: 'check', type: 'custom', passed: false, score: 0, reason: `expected\t"x"\nnot ${awkward}` }],
        });
        const empty = sampleResult(run.id, { caseId: 'case-empty', caseIndex: 1, output: '', errorMessage: null });
        expect(await storage.insertResults([result, empty])).toBe(2);
        const [first, second] = await storage.listResults(run.id);
        expect(first).toEqual(asStored(result));
        expect(second?.output).toBe('');
        expect(second?.errorMessage).toBeNull();
        // A batch mixing a stored key with new ones stores the new ones only.
        const later = sampleResult(run.id, { caseId: 'case-later', caseIndex: 2, output: awkward });
        expect(await storage.insertResults([result, later])).toBe(1);
        expect((await storage.listResults(run.id)).map((stored) => stored.output)).toEqual([awkward, '', awkward]);
      });

      it('stores a NUL character (which PostgreSQL text and jsonb refuse) as U+FFFD instead of failing the batch', async () => {
        const run = await storage.createRun({
          id: uniqueRunId('nul'),
          description: 'a NUL \u0000 here',
          config: { text: 'fixed \u0000 answer', literal: 'C:\\u0000 is not a NUL' },
          resolvedConfig: {},
        });
        expect(run.description).toBe('a NUL \uFFFD here');
        expect(run.config).toEqual({ text: 'fixed \uFFFD answer', literal: 'C:\\u0000 is not a NUL' });
        const garbled = sampleResult(run.id, {
          output: 'before\u0000after',
          vars: { question: 'q\u0000', nested: [{ deep: '\u0000' }] },
          scores: [{ name: 'contains', type: 'contains', passed: false, score: 0, reason: 'no "x" in before\u0000after' }],
          errorMessage: 'garbage \u0000',
        });
        const clean = sampleResult(run.id, { caseId: 'case-clean', caseIndex: 1 });
        expect(await storage.insertResults([garbled, clean])).toBe(2);
        const [first, second] = await storage.listResults(run.id);
        expect(first?.output).toBe('before\uFFFDafter');
        expect(first?.vars).toEqual({ question: 'q\uFFFD', nested: [{ deep: '\uFFFD' }] });
        expect(first?.scores[0]?.reason).toBe('no "x" in before\uFFFDafter');
        expect(first?.errorMessage).toBe('garbage \uFFFD');
        expect(second).toEqual(asStored(clean));
        await storage.updateRun(run.id, { status: 'failed', error: 'stopped \u0000', summary: { note: '\u0000' } });
        const updated = await storage.getRun(run.id);
        expect(updated?.error).toBe('stopped \uFFFD');
        expect(updated?.summary).toEqual({ note: '\uFFFD' });
      });

      it("reports a failed query as a StorageError saying what failed and the database's reason, not the statement", async () => {
        const orphan = storage.insertResults([sampleResult(uniqueRunId('no-such-run'))]);
        await expect(orphan).rejects.toMatchObject({ name: 'StorageError', code: 'storage_query_failed' });
        await expect(orphan).rejects.toThrow(/^storing 1 results in .+ failed: .*foreign key/);
        // A query drizzle builds (its own error quotes the statement and every parameter).
        const garbled = storage.getRun('run-\u0000');
        await expect(garbled).rejects.toMatchObject({ code: 'storage_query_failed' });
        await expect(garbled).rejects.toThrow(/^reading run run-\u0000 in .+ failed: invalid byte sequence for encoding "UTF8": 0x00$/);
        await expect(garbled).rejects.not.toThrow(/Failed query|params:/);
      });

      it('reports completed keys with resultKey()', async () => {
        const run = await newRun('keys');
        const batch = [
          sampleResult(run.id, { caseId: 'a', repeat: 0 }),
          sampleResult(run.id, { caseId: 'a', repeat: 1 }),
          sampleResult(run.id, { caseId: 'b', providerId: 'p:x', promptId: 'q' }),
        ];
        expect(await storage.completedKeys(run.id)).toEqual(new Set());
        await storage.insertResults(batch);
        expect(await storage.completedKeys(run.id)).toEqual(new Set(batch.map(resultKey)));
      });

      it('reports the completed keys of a window of cases only, for a resume that reads them window by window', async () => {
        const run = await newRun('key-window');
        const batch = [0, 1, 2, 3].map((caseIndex) => sampleResult(run.id, { caseId: `c${caseIndex}`, caseIndex }));
        await storage.insertResults(batch);
        expect(await storage.completedKeys(run.id, { fromCase: 1, toCase: 3 })).toEqual(new Set(batch.slice(1, 3).map(resultKey)));
        expect(await storage.completedKeys(run.id, { fromCase: 4, toCase: 10 })).toEqual(new Set());
      });

      it("deletes only a run's errored results, so that a retry can store new ones under their keys", async () => {
        const run = await newRun('errored');
        const other = await newRun('errored-other');
        const failedCall = { output: null, passed: null, scores: [], errorKind: 'server', errorMessage: '500' };
        await storage.insertResults([
          sampleResult(run.id, { caseId: 'ok' }),
          sampleResult(run.id, { caseId: 'wrong', caseIndex: 1, passed: false }),
          sampleResult(run.id, { caseId: 'call', caseIndex: 2, ...failedCall }),
          sampleResult(run.id, { caseId: 'evaluator', caseIndex: 3, passed: null, errorKind: 'evaluator', errorMessage: 'bad regex' }),
          sampleResult(other.id, { caseId: 'call', ...failedCall }),
        ]);
        expect(await storage.deleteErroredResults(run.id)).toBe(2);
        expect((await storage.listResults(run.id)).map((result) => result.caseId)).toEqual(['ok', 'wrong']);
        expect(await storage.countResults(other.id)).toBe(1);
        // The retried result is stored under the key the errored one had.
        expect(await storage.insertResults([sampleResult(run.id, { caseId: 'call', caseIndex: 2 })])).toBe(1);
        expect(await storage.deleteErroredResults(run.id)).toBe(0);
      });

      it('deletes a run together with its results', async () => {
        const run = await newRun('delete');
        await storage.insertResults([sampleResult(run.id), sampleResult(run.id, { caseId: 'case-1', caseIndex: 1 })]);
        const other = await newRun('keep');
        await storage.insertResults([sampleResult(other.id)]);
        expect(await storage.deleteRun(run.id)).toBe(true);
        expect(await storage.getRun(run.id)).toBeUndefined();
        expect(await storage.countResults(run.id)).toBe(0);
        expect(await storage.deleteRun(run.id)).toBe(false);
        expect(await storage.countResults(other.id)).toBe(1);
      });
    });

    describe('batches', () => {
      it("records a run's vendor batches once each, lists them oldest first by status, and drops them with the run", async () => {
        const run = await newRun('batches');
        const other = await newRun('batches-other');
        await storage.recordBatch({ runId: run.id, providerId: 'openai', vendorBatchId: 'batch_1', itemKeys: ['k-1', 'k-2'] });
        await storage.recordBatch({ runId: run.id, providerId: 'claude', vendorBatchId: 'msgbatch_2', itemKeys: ['k-3'] });
        // Recording the same vendor batch again (a retried write) keeps one row.
        await storage.recordBatch({ runId: run.id, providerId: 'openai', vendorBatchId: 'batch_1', itemKeys: ['k-1', 'k-2'] });
        await storage.recordBatch({ runId: other.id, providerId: 'openai', vendorBatchId: 'batch_9', itemKeys: ['k-9'] });
        const listed = await storage.listBatches(run.id);
        expect(listed.map(({ vendorBatchId, providerId, itemKeys, status }) => ({ vendorBatchId, providerId, itemKeys, status }))).toEqual([
          { vendorBatchId: 'batch_1', providerId: 'openai', itemKeys: ['k-1', 'k-2'], status: 'submitted' },
          { vendorBatchId: 'msgbatch_2', providerId: 'claude', itemKeys: ['k-3'], status: 'submitted' },
        ]);
        expect(listed[0]?.createdAt).toBeInstanceOf(Date);
        await storage.updateBatchStatus(run.id, 'batch_1', 'ended');
        expect((await storage.listBatches(run.id, 'submitted')).map((batch) => batch.vendorBatchId)).toEqual(['msgbatch_2']);
        expect((await storage.listBatches(run.id, 'ended')).map((batch) => batch.vendorBatchId)).toEqual(['batch_1']);
        await storage.deleteRun(run.id);
        expect(await storage.listBatches(run.id)).toEqual([]);
        expect((await storage.listBatches(other.id)).map((batch) => batch.vendorBatchId)).toEqual(['batch_9']);
      });
    });

    describeQuerySuite(() => storage, newRun, slowTimeoutMs);
    describePairingSuite(() => storage, newRun, slowTimeoutMs);
    describeGatewaySuite(() => storage);
    describeMetricSuite(() => storage);
  });
}
