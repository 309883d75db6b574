/**
 * The shared storage suite's checks of the comparison queries (called from
 * {@link describeStorageSuite}): `listResultSides`, and `pairResults`' pass/fail path for one
 * sample per case (paired-pass-fail.ts) against its general path (every case grouped over its
 * samples), which must agree on every figure.
 */
import { describe, expect, it } from '@jest/globals';
import type { PairedResultsAnswer, PairedResultsQuery } from '../analysis-query.js';
import { drawCaseIndexes } from '../paired-pass-fail.js';
import type { NewResult, RunRecord, Storage } from '../types.js';
import { sampleResult } from './storage-suite.js';

export function describePairingSuite(storageOf: () => Storage, newRun: (label: string) => Promise<RunRecord>, slowTimeoutMs: number): void {
  /**
   * Two runs of one provider each over 300 cases with case indexes 10 apart (so a run's span of
   * case indexes is ten times its cases): pass/fail by a hash of the case, some errors and
   * unscored results on each side, cases only one side has, three subjects (one case with none),
   * clusters of 7 cases, and flips everywhere but rarer at the start.
   */
  async function twoRuns(): Promise<{ a: RunRecord; b: RunRecord }> {
    const a = await newRun('pair-a');
    const b = await newRun('pair-b');
    const rows: NewResult[] = [];
    for (let i = 0; i < 300; i++) {
      const hash = (i * 2654435761) % 1000;
      const vars = { subject: i === 5 ? undefined : ['algebra', 'biology', 'chemistry'][i % 3], passage: `p${Math.floor(i / 7)}`, meta: { tag: `t${i % 4}` } };
      const common = { caseId: `c-${String(i).padStart(4, '0')}`, caseIndex: i * 10, providerId: 'model', vars, latencyMs: 100 + (hash % 97), costUsd: 0.001 * (1 + (i % 4)) };
      const outcome = (passed: boolean, broken: number) =>
        broken === 0
          ? { passed: null, errorKind: 'timeout' as const, errorMessage: 'timed out', scores: [] }
          : broken === 1
            ? { passed: null, scores: [] }
            : { passed, scores: [{ name: 'equals', type: 'equals', passed, score: passed ? 1 : 0 }] };
      if (i % 50 !== 49) rows.push(sampleResult(a.id, { ...common, ...outcome(hash < 700, i % 37 === 0 ? 0 : i % 41 === 0 ? 1 : 2) }));
      if (i % 60 !== 59) rows.push(sampleResult(b.id, { ...common, latencyMs: 90 + (hash % 89), ...outcome(i < 40 ? hash < 700 : hash < 640 || i % 9 === 0, i % 43 === 0 ? 0 : 2) }));
    }
    expect(await storageOf().insertResults(rows)).toBe(rows.length);
    return { a, b };
  }

  /** Everything but the sample (drawn differently by the two paths), with the groups in one order. */
  const comparable = (answer: PairedResultsAnswer) => {
    const { sample: _sample, sideTotals: _totals, ...rest } = answer;
    return { ...rest, clusters: [...rest.clusters].sort((x, y) => x.cluster.localeCompare(y.cluster)) };
  };

  describe('comparison queries', () => {
    it('finds each side of a run by index probes, with its model and samples per case', async () => {
      const run = await newRun('sides');
      await storageOf().insertResults([
        sampleResult(run.id, { providerId: 'p-b', provider: null, model: null }),
        sampleResult(run.id, { caseId: 'case-1', caseIndex: 1, providerId: 'p-b', provider: 'vendor:b', model: 'b-2026' }),
        sampleResult(run.id, { providerId: 'p-a', promptId: 'terse', provider: 'vendor:a', model: 'a-1' }),
        ...[0, 1, 2].map((repeat) => sampleResult(run.id, { providerId: 'p-a', provider: 'vendor:a', model: 'a-1', repeat })),
      ]);
      expect(await storageOf().listResultSides([run.id, 'no-such-run'])).toEqual([
        { runId: run.id, providerId: 'p-a', promptId: 'default', provider: 'vendor:a', model: 'a-1', repeats: 3 },
        { runId: run.id, providerId: 'p-a', promptId: 'terse', provider: 'vendor:a', model: 'a-1', repeats: 1 },
        { runId: run.id, providerId: 'p-b', promptId: 'default', provider: 'vendor:b', model: 'b-2026', repeats: 1 },
      ]);
      expect(await storageOf().listResultSides([])).toEqual([]);
    });

    it(
      'pairs one-sample pass/fail sides exactly as the general pairing does: totals, categories, clusters, flips, percentiles',
      async () => {
        const { a, b } = await twoRuns();
        const request: PairedResultsQuery = {
          a: { runId: a.id, providerId: 'model', promptId: 'default' },
          b: { runId: b.id, providerId: 'model', promptId: 'default' },
          by: 'subject',
          cluster: 'passage',
          flipsLimit: 7,
          sampleLimit: 40,
        };
        const fast = await storageOf().pairResults({ ...request, oneSample: true });
        const general = await storageOf().pairResults({ ...request, oneSample: false });
        expect(comparable(fast)).toEqual(comparable(general));
        // The figures themselves, by hand from the stored rows' rules (a side's errors and unscored results are not scored).
        expect(fast.overall.n).toBe(general.overall.n);
        expect(fast.overall.n).toBeGreaterThan(250);
        expect(fast.flips.passToFail).toHaveLength(7);
        expect(fast.flips.passToFail.map((flip) => flip.caseIndex)).toEqual([...fast.flips.passToFail.map((flip) => flip.caseIndex)].sort((x, y) => x - y));
        expect(fast.groups.map((group) => group.group)).toEqual(['algebra', 'biology', 'chemistry', null]);
        expect(fast.sideTotals).toEqual({
          a: { results: 294, scored: expect.any(Number), passed: expect.any(Number) },
          b: { results: 295, scored: expect.any(Number), passed: expect.any(Number) },
        });
        expect(fast.sideTotals?.a.scored).toBe(fast.casesA);
        expect(fast.sideTotals?.b.scored).toBe(fast.casesB);
        // The sample: about as many paired cases as asked; the fast path probes case indexes
        // drawn from side A's span (ten times the cases here), the general one hashes case ids.
        for (const answer of [fast, general]) {
          expect(answer.sample.length).toBeGreaterThanOrEqual(30);
          expect(answer.sample.length).toBeLessThanOrEqual(40);
        }
        // A dotted path (read with #>>, where a top-level field is read with ->>) the same way.
        const dotted = { ...request, by: 'meta.tag', cluster: undefined } as PairedResultsQuery;
        const [fastDotted, generalDotted] = [await storageOf().pairResults({ ...dotted, oneSample: true }), await storageOf().pairResults({ ...dotted, oneSample: false })];
        expect(comparable(fastDotted)).toEqual(comparable(generalDotted));
        expect(fastDotted.groups.map((group) => group.group)).toEqual(['t0', 't1', 't2', 't3']);
        // Without fields, and with every paired case sampled (n under the limit) the two samples are the same rows.
        const whole = { ...request, by: undefined, cluster: undefined, sampleLimit: 1000 } as PairedResultsQuery;
        const [fastWhole, generalWhole] = [await storageOf().pairResults({ ...whole, oneSample: true }), await storageOf().pairResults({ ...whole, oneSample: false })];
        expect(comparable(fastWhole)).toEqual(comparable(generalWhole));
        const sorted = (answer: PairedResultsAnswer) => answer.sample.map((row) => JSON.stringify(row)).sort();
        expect(fastWhole.sample).toHaveLength(fastWhole.overall.n);
        expect(sorted(fastWhole)).toEqual(sorted(generalWhole));
        // Each sampled row is a paired case's (both sides scored), none twice.
        const paired = new Set(sorted(generalWhole));
        expect(fast.sample.every((row) => paired.has(JSON.stringify(row)))).toBe(true);
        expect(new Set(fast.sample.map((row) => JSON.stringify(row))).size).toBe(fast.sample.length);
      },
      slowTimeoutMs,
    );

    it('samples by a join of the sides when their case indexes are far sparser than the cases', async () => {
      const a = await newRun('sparse-a');
      const b = await newRun('sparse-b');
      const rows: NewResult[] = [];
      for (let i = 0; i < 120; i++) {
        const common = { caseId: `s-${i}`, caseIndex: i * 100_000, providerId: 'model', latencyMs: 10 + i, costUsd: 0.001 };
        rows.push(sampleResult(a.id, { ...common, passed: i % 3 > 0 }), sampleResult(b.id, { ...common, latencyMs: 500 + i, passed: i % 4 > 0 }));
      }
      await storageOf().insertResults(rows);
      const answer = await storageOf().pairResults({ a: { runId: a.id, providerId: 'model', promptId: 'default' }, b: { runId: b.id, providerId: 'model', promptId: 'default' }, oneSample: true, sampleLimit: 30 });
      expect(answer.overall.n).toBe(120);
      expect(answer.sample.length).toBeGreaterThanOrEqual(15);
      expect(answer.sample.length).toBeLessThanOrEqual(30);
      // Each row pairs a case's two latencies (A's 10 + i, B's 500 + i).
      expect(answer.sample.every((row) => row.latencyB! - row.latencyA! === 490)).toBe(true);
    });

    it('draws distinct case indexes within the span, the same ones every time', () => {
      for (const [lo, hi, count] of [[0, 999, 50], [5, 104, 80], [10, 19, 10], [10, 19, 25]] as const) {
        const drawn = drawCaseIndexes(lo, hi, count);
        expect(new Set(drawn).size).toBe(drawn.length);
        expect(drawn.every((index) => Number.isInteger(index) && index >= lo && index <= hi)).toBe(true);
        expect(drawCaseIndexes(lo, hi, count)).toEqual(drawn);
        // Exactly `count` while it is under half the span; about it above (each index kept with that chance); all of them past the span.
        if (count <= (hi - lo + 1) / 2) expect(drawn).toHaveLength(count);
        else if (count >= hi - lo + 1) expect(drawn).toHaveLength(hi - lo + 1);
        else expect(Math.abs(drawn.length - count)).toBeLessThan(15);
      }
    });
  });
}
