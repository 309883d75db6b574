/**
 * compareRuns on stored results, on PostgreSQL and on the embedded database (PGlite, in its
 * worker thread): the pairing and sums come from SQL; the figures are checked against hand
 * computations from the same made-up results.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openStorage, type NewResult, type Storage } from '@llm-lab/storage';
import { buildLeaderboard, compareRuns, renderComparisonMarkdown, renderComparisonText, renderLeaderboard, type Comparison } from '../src/index.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUBJECTS = ['algebra', 'biology', 'chemistry', 'history'];
const CASES = 200;

/** Case i: p1 passes unless i % 5 === 0; p2 passes unless i % 4 === 0 (so p2 better); case 7 errors on p2. */
function result(runId: string, providerId: string, i: number, passed: boolean, overrides: Partial<NewResult> = {}): NewResult {
  return {
    runId,
    caseId: `case-${String(i).padStart(3, '0')}`,
    caseIndex: i,
    providerId,
    provider: providerId,
    model: `${providerId}-model`,
    promptId: 'default',
    repeat: 0,
    prompt: null,
    vars: { subject: SUBJECTS[i % 4], meta: { tag: i < 100 ? 'first' : 'second' } },
    output: passed ? 'right' : 'wrong',
    passed,
    scores: [{ name: 'equals', type: 'equals', passed, score: passed ? 1 : 0, reason: '' }],
    latencyMs: providerId === 'p1' ? 100 + i : 50 + i,
    timeToFirstTokenMs: null,
    queueMs: null,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: providerId === 'p1' ? 0.001 : 0.002,
    cached: false,
    attempts: 1,
    answeredBy: providerId,
    errorKind: null,
    errorMessage: null,
    warnings: null,
    ...overrides,
  };
}

const p1Passes = (i: number) => i % 5 !== 0;
const p2Passes = (i: number) => i % 4 !== 0;

/** Exact two-sided binomial tail with p = ½, written out. */
function binomialTwoSided(small: number, total: number, mid: boolean): number {
  let choose = 1;
  let tail = 0;
  let last = 0;
  for (let k = 0; k <= small; k++) {
    if (k > 0) choose = (choose * (total - k + 1)) / k;
    last = choose / 2 ** total;
    tail += last;
  }
  return Math.min(1, 2 * (mid ? tail - last / 2 : tail));
}

function describeBackend(name: string, open: () => Promise<{ storage: Storage; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let storage: Storage;
    let cleanup: () => Promise<void>;
    const runA = `cmp-a-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const runB = `cmp-b-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      ({ storage, cleanup } = await open());
      await storage.createRun({ id: runA, description: 'A', config: {}, resolvedConfig: { providers: [{ id: 'p1' }, { id: 'p2' }] } });
      await storage.createRun({ id: runB, description: 'B', config: {}, resolvedConfig: { providers: [{ id: 'p1' }] } });
      const rows: NewResult[] = [];
      for (let i = 0; i < CASES; i++) {
        rows.push(result(runA, 'p1', i, p1Passes(i)));
        rows.push(i === 7 ? result(runA, 'p2', i, false, { passed: null, errorKind: 'timeout', errorMessage: 'timed out', scores: [] }) : result(runA, 'p2', i, p2Passes(i)));
        // Run B: p1 again, three samples per case; case i passes (i % 3) + 1 … of them unless a multiple of 10 (none).
        for (let repeat = 0; repeat < 3; repeat++) rows.push(result(runB, 'p1', i, i % 10 !== 0 && repeat <= i % 3, { repeat }));
      }
      await storage.insertResults(rows);
    }, 300_000);

    afterAll(async () => {
      await storage?.close();
      await cleanup?.();
    }, 120_000);

    it('pairs two providers of one run by case: McNemar, the Agresti–Min interval, and the verdict, as computed by hand', async () => {
      const comparison = await compareRuns(storage, { runA, by: 'subject' });
      expect(comparison.pairs).toHaveLength(1);
      const [pair] = comparison.pairs as [Comparison['pairs'][number]];
      // By hand over the 199 cases both scored (case 7 errored on p2).
      let aOnly = 0;
      let bOnly = 0;
      for (let i = 0; i < CASES; i++) {
        if (i === 7) continue;
        if (p1Passes(i) && !p2Passes(i)) aOnly++;
        if (!p1Passes(i) && p2Passes(i)) bOnly++;
      }
      expect({ n: pair.n, aOnly: pair.test.aOnly, bOnly: pair.test.bOnly }).toEqual({ n: 199, aOnly, bOnly });
      expect(pair.unpairedA).toBe(1);
      expect(pair.a.providerId).toBe('p1');
      expect(pair.test.description).toBe(aOnly + bOnly < 25 ? 'McNemar exact' : 'McNemar mid-p');
      expect(pair.test.pValue).toBeCloseTo(binomialTwoSided(Math.min(aOnly, bOnly), aOnly + bOnly, aOnly + bOnly >= 25), 10);
      const b = bOnly + 0.5;
      const a = aOnly + 0.5;
      const se = Math.sqrt(a + b - (b - a) ** 2 / 201) / 201;
      expect(pair.difference.estimate).toBeCloseTo((bOnly - aOnly) / 199, 12);
      expect(pair.difference.lower).toBeCloseTo((b - a) / 201 - 1.959964 * se, 5);
      expect(pair.verdict.outcome).toBe(pair.test.pValue < 0.05 ? 'b-better' : 'no-detectable-difference');
      // Accuracies over every scored result of each side.
      expect(pair.accuracyA.passed).toBe(160);
      expect(pair.accuracyB.scored).toBe(199);
      // Flips: pass → fail first, in case order; every group of the by field present.
      expect(pair.flips.passToFail.count).toBe(aOnly);
      expect(pair.flips.passToFail.cases[0]).toEqual({ caseId: 'case-004', caseIndex: 4, group: 'algebra' });
      expect(pair.groups.map((group) => group.group)).toEqual(SUBJECTS);
      expect(pair.groups.reduce((sum, group) => sum + group.n, 0)).toBe(199);
      // Latency: p2 is 50 ms faster on every case; its p50 over the paired cases by hand.
      expect(pair.latencyMs.difference.p50.value).toBeCloseTo(-50, 6);
      expect(pair.latencyMs.a.p50.lower).toBeLessThanOrEqual(pair.latencyMs.a.p50.value as number);
      expect(pair.costUsd.b.p50.value).toBeCloseTo(0.002, 12);
    });

    it('pairs two runs by case id with repeats: per-case means, the paired t-test, pass@k', async () => {
      const comparison = await compareRuns(storage, { runA, runB });
      const pair = comparison.pairs[0] as Comparison['pairs'][number];
      expect(comparison.unmatched.map((side) => side.providerId)).toEqual(['p2']);
      expect(pair.samplesB).toBe(3);
      expect(pair.test.method).toBe('paired-t');
      // Per-case mean of B minus A's pass, summed by hand.
      let sum = 0;
      for (let i = 0; i < CASES; i++) sum += (i % 10 !== 0 ? ((i % 3) + 1) / 3 : 0) - (p1Passes(i) ? 1 : 0);
      expect(pair.difference.estimate).toBeCloseTo(sum / CASES, 10);
      const passAt3 = pair.repeats?.b.passAtK[2];
      // pass@3 of a case with 3 samples is 1 when any passed: every case but the multiples of 10.
      expect(passAt3?.estimate).toBeCloseTo(180 / 200, 10);
      // pass^3: all three passed, i % 3 === 2 (66 cases) but not the multiples of 10 among them (20, 50, … 170: 6).
      expect(pair.repeats?.b.passHatK[2]?.estimate).toBeCloseTo((66 - 6) / 200, 10);
    });

    it('clusters by a field: the clustered t-test decides', async () => {
      const comparison = await compareRuns(storage, { runA, cluster: 'subject', by: 'meta.tag', correction: 'bh' });
      const pair = comparison.pairs[0] as Comparison['pairs'][number];
      expect(pair.test.method).toBe('clustered-t');
      expect(pair.test.description).toBe('clustered t, 4 clusters');
      expect(pair.groups.map((group) => group.group)).toEqual(['first', 'second']);
      expect(pair.tests.map((test) => test.method)).toEqual(['paired-t', 'paired-bootstrap', 'clustered-t', 'cluster-bootstrap']);
    });

    it('renders Markdown and text, and refuses unknown runs and bad options with advice', async () => {
      const comparison = await compareRuns(storage, { runA, by: 'subject' });
      const markdown = renderComparisonMarkdown(comparison);
      expect(markdown).toContain('### p2 vs p1');
      expect(markdown).toContain(`**${comparison.pairs[0]?.verdict.text}**`);
      expect(markdown).toContain('| algebra |');
      expect(renderComparisonText(comparison)).toContain('pass → fail');
      expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
      await expect(compareRuns(storage, { runA: 'no-such-run' })).rejects.toThrow('run "no-such-run" not found; list stored runs with: llm-lab runs list');
      await expect(compareRuns(storage, { runA: runB })).rejects.toThrow(/one provider and prompt only; give a second run/);
      await expect(compareRuns(storage, { runA, minEffect: 2 })).rejects.toThrow(/minEffect must be a difference between 0 and 1/);
    });

    it('ranks models per suite with intervals, mean win rate and the Pareto front', async () => {
      await storage.updateRun(runA, { status: 'completed' });
      await storage.updateRun(runB, { status: 'completed' });
      const board = await buildLeaderboard(storage, { suite: 'A' });
      const suite = board.suites.find((entry) => entry.suite === 'A');
      // p1: 160 of 200; p2: 149 of 199 scored (case 7 errored). p2 is dearer but faster: both on the front.
      expect(suite?.entries.map((entry) => [entry.rank, entry.model, entry.scored, entry.pareto])).toEqual([
        [1, 'p1-model', 200, true],
        [2, 'p2-model', 199, true],
      ]);
      expect(suite?.entries[1]?.accuracy).toBeCloseTo(149 / 199, 12);
      expect(suite?.entries[0]?.costPerCase).toBeCloseTo(0.001, 12);
      expect(board.overall[0]).toEqual({ model: 'p1-model', meanWinRate: 1, suites: 1 });
      expect(renderLeaderboard(board)).toMatch(/p1-model\s+80\.0% \[/);
      expect((await buildLeaderboard(storage, { suite: 'no-such-suite' })).notes).toEqual(['no completed run matches suite "no-such-suite"']);
    });
  });
}

describeBackend('PostgreSQL', async () => {
  const schema = `analysis_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const storage = await openStorage({ url: DATABASE_URL, schema });
  return {
    storage,
    cleanup: async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
});

describeBackend('PGlite', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'llm-lab-analysis-'));
  const storage = await openStorage({ dataDir: join(folder, 'db'), env: {} });
  return { storage, cleanup: () => rm(folder, { recursive: true, force: true }) };
});
