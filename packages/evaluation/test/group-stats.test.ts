import { describe, expect, it } from '@jest/globals';
import { MMLU_CATEGORIES, MMLU_SUBJECTS, mmluCategoryOf, mmluSuite, summariseGroups, type GroupableResult } from '../src/index.js';

/** A scored result of `group` (passed or failed), or an errored one. */
function result(group: string | undefined, passed: boolean | 'error', providerId = 'mock:a'): GroupableResult {
  return {
    providerId,
    promptId: 'p',
    vars: group === undefined ? { question: 'q' } : { question: 'q', topic: group },
    passed: passed === 'error' ? null : passed,
    errorKind: passed === 'error' ? 'server' : null,
  };
}

describe('per-group results', () => {
  // A: 3 of 4 pass, B: 1 of 1. Micro = 4/5 = 0.8 (every result once); macro = (0.75 + 1) / 2 = 0.875 (every group once).
  const fixture = [result('A', true), result('A', true), result('A', false), result('A', true), result('B', true), result('B', 'error')];

  it('gives each group its accuracy and Wilson interval, and micro and macro averages that differ', () => {
    const [summary] = summariseGroups(fixture, { by: 'topic' });
    expect(summary?.groups.map(({ name, passed, scored, accuracy }) => ({ name, passed, scored, accuracy }))).toEqual([
      { name: 'A', passed: 3, scored: 4, accuracy: 0.75 },
      // The errored result is left out, as in the run's accuracy.
      { name: 'B', passed: 1, scored: 1, accuracy: 1 },
    ]);
    // Wilson, z = 1.96: centre (p + z²/2n)/(1 + z²/n), half-width z·√(p(1−p)/n + z²/4n²)/(1 + z²/n).
    expect(summary?.groups[0]?.interval?.lower).toBeCloseTo(0.300642, 5);
    expect(summary?.groups[0]?.interval?.upper).toBeCloseTo(0.954413, 5);
    expect(summary?.groups[1]?.interval?.lower).toBeCloseTo(0.206549, 5);
    expect(summary?.groups[1]?.interval?.upper).toBe(1);
    expect(summary?.micro).toMatchObject({ passed: 4, scored: 5, accuracy: 0.8 });
    expect(summary?.micro.interval?.lower).toBeCloseTo(0.375535, 5);
    expect(summary?.micro.interval?.upper).toBeCloseTo(0.963776, 5);
    expect(summary?.macro.accuracy).toBeCloseTo(0.875, 12);
    expect(summary?.macro).toMatchObject({ groups: 2, method: 'stratified-bootstrap', resamples: 1000, seed: 1234 });
  });

  it("bounds the macro average by resampling each group at its own size", () => {
    // B (1 of 1) resamples to 1 every time; A (3 of 4) to k/4 with k ~ Binomial(4, 0.75):
    // P(k=0) = 0.4%, P(k≤1) = 5.1%, P(k≤3) = 68.4%. So the 2.5th percentile of (A + 1)/2 is
    // (0.25 + 1)/2 = 0.625 and the 97.5th is (1 + 1)/2 = 1.
    const [summary] = summariseGroups(fixture, { by: 'topic' });
    expect(summary?.macro.interval?.lower).toBeCloseTo(0.625, 12);
    expect(summary?.macro.interval?.upper).toBe(1);
  });

  it('is the same for the same results in any order, as a resumed run summarised from storage is', () => {
    const many = Array.from({ length: 60 }, (_, index) => result(['A', 'B', 'C'][index % 3], index % 5 !== 0 && index % 7 !== 0));
    const once = summariseGroups(many, { by: 'topic' });
    const reversed = summariseGroups([...many].reverse(), { by: 'topic' });
    expect(reversed).toEqual(once);
    // Another seed draws other resamples (the seed is recorded with the figures).
    expect(summariseGroups(many, { by: 'topic', seed: 7 })[0]?.macro.seed).toBe(7);
  });

  it('keeps providers apart and gathers rows without the field under (none)', () => {
    const summaries = summariseGroups([result('A', true), result(undefined, false), result('A', false, 'mock:b')], { by: 'topic' });
    expect(summaries.map((summary) => [summary.providerId, summary.groups.map((group) => group.name), summary.ungrouped])).toEqual([
      ['mock:a', ['(none)', 'A'], 1],
      ['mock:b', ['A'], 0],
    ]);
  });

  it('gathers groups into categories, each with its micro and macro accuracy', () => {
    // X = {A 3/4, B 1/1}: micro 4/5, macro 0.875. Y = {C 0/1}. Overall micro 4/6, macro (0.75 + 1 + 0)/3.
    const [summary] = summariseGroups([...fixture, result('C', false), result('D', true)], { by: 'topic', categories: { X: ['A', 'B'], Y: ['C'] } });
    expect(summary?.categories?.map(({ name, members, passed, scored, accuracy }) => ({ name, members, passed, scored, accuracy }))).toEqual([
      { name: 'X', members: ['A', 'B'], passed: 4, scored: 5, accuracy: 0.8 },
      { name: 'Y', members: ['C'], passed: 0, scored: 1, accuracy: 0 },
      { name: '(uncategorised)', members: ['D'], passed: 1, scored: 1, accuracy: 1 },
    ]);
    expect(summary?.categories?.[0]?.macro.accuracy).toBeCloseTo(0.875, 12);
    expect(summary?.micro.accuracy).toBeCloseTo(5 / 7, 12);
    expect(summary?.macro.accuracy).toBeCloseTo((0.75 + 1 + 0 + 1) / 4, 12);
  });
});

describe('MMLU groups', () => {
  it("puts each of the 57 subjects in exactly one of lm-evaluation-harness's four categories", () => {
    const listed = Object.values(MMLU_CATEGORIES).flat();
    expect([...listed].sort()).toEqual([...MMLU_SUBJECTS].sort());
    expect(Object.fromEntries(Object.entries(MMLU_CATEGORIES).map(([name, subjects]) => [name, subjects.length]))).toEqual({ stem: 19, humanities: 13, social_sciences: 12, other: 13 });
    // Spot checks against the harness's table (lm_eval/tasks/mmlu/_generate_configs.py).
    expect([mmluCategoryOf('formal_logic'), mmluCategoryOf('econometrics'), mmluCategoryOf('clinical_knowledge'), mmluCategoryOf('computer_security')]).toEqual([
      'humanities',
      'social_sciences',
      'other',
      'stem',
    ]);
    expect(mmluSuite.groups).toEqual({ by: 'subject', categories: MMLU_CATEGORIES });
  });

  it('reports a tiny MMLU run by subject and by category', () => {
    // anatomy (stem) 2/3, astronomy (stem) 1/1, philosophy (humanities) 0/2, marketing (other) 1/2.
    const rows: Array<[string, boolean]> = [
      ['anatomy', true], ['anatomy', true], ['anatomy', false], ['astronomy', true],
      ['philosophy', false], ['philosophy', false], ['marketing', true], ['marketing', false],
    ];
    const results = rows.map(([subject, passed]) => ({ providerId: 'mock:a', promptId: 'mmlu', vars: mmluSuite.prepare({ question: 'q', subject, choices: ['a', 'b', 'c', 'd'], answer: 0 }), passed, errorKind: null }));
    const [summary] = summariseGroups(results, mmluSuite.groups ?? { by: 'subject' });
    expect(summary?.groups.map((group) => [group.name, group.passed, group.scored])).toEqual([
      ['anatomy', 2, 3],
      ['astronomy', 1, 1],
      ['marketing', 1, 2],
      ['philosophy', 0, 2],
    ]);
    expect(summary?.categories?.map((category) => [category.name, category.passed, category.scored, category.members])).toEqual([
      ['stem', 3, 4, ['anatomy', 'astronomy']],
      ['humanities', 0, 2, ['philosophy']],
      ['other', 1, 2, ['marketing']],
    ]);
    // stem: micro 3/4 = 0.75, macro (2/3 + 1)/2 = 0.8333.
    expect(summary?.categories?.[0]?.accuracy).toBe(0.75);
    expect(summary?.categories?.[0]?.macro.accuracy).toBeCloseTo(5 / 6, 12);
    // Overall: micro 4/8 = 0.5, macro (2/3 + 1 + 1/2 + 0)/4 = 0.541667.
    expect(summary?.micro.accuracy).toBe(0.5);
    expect(summary?.macro.accuracy).toBeCloseTo(13 / 24, 12);
    expect(summary?.micro.interval?.lower).toBeCloseTo(0.215216, 5);
  });
});

describe('macro intervals that cannot be resampled', () => {
  it('use the Wilson interval of the pooled counts rather than collapse to a point', () => {
    // One group: the macro average is the micro one. Every group all right or all wrong: resampling never varies.
    const [single] = summariseGroups([result('A', false), result('A', false)], { by: 'topic' });
    expect(single?.macro).toMatchObject({ method: 'wilson', accuracy: 0 });
    expect(single?.macro.interval).toEqual(single?.micro.interval);
    expect(single?.macro.interval?.upper).toBeCloseTo(0.657620, 5);
    const [extremes] = summariseGroups([result('A', true), result('A', true), result('B', false)], { by: 'topic' });
    // Macro (1 + 0)/2 = 0.5; pooled 2 of 3: Wilson [0.207660, 0.938508].
    expect(extremes?.macro).toMatchObject({ method: 'wilson', accuracy: 0.5 });
    expect(extremes?.macro.interval?.lower).toBeCloseTo(0.20766, 5);
    expect(extremes?.macro.interval?.upper).toBeCloseTo(0.938508, 5);
  });
});
