/**
 * The statistics against published worked examples (each cited), and their own algebra.
 */
import { describe, expect, it } from '@jest/globals';
import {
  adjustPValues,
  benjaminiHochbergAdjust,
  binomialCdf,
  clusteredTTest,
  differenceSums,
  formatPValue,
  holmAdjust,
  mcnemarMinimumDetectableEffect,
  mcnemarPower,
  mcnemarSampleSize,
  mcnemarTest,
  pairedBootstrap,
  pairedProportionInterval,
  pairedTTest,
  passAtKWithInterval,
  planSampleSize,
  studentTQuantile,
  verdictOf,
  wilsonInterval,
} from '../src/index.js';

describe('McNemar', () => {
  // Fagerland, Lydersen & Laake, "The McNemar test for binary matched-pairs data: mid-p and
  // asymptotic are better than exact conditional", BMC Medical Research Methodology 13:91 (2013),
  // worked example (airway hyper-responsiveness before and after treatment, Bentur et al. 2009):
  // 1 and 7 discordant pairs; exact conditional p = 0.070, mid-p = 0.039.
  it('matches Fagerland et al. (2013): 1 vs 7 discordant pairs', () => {
    expect(mcnemarTest(1, 7, { method: 'exact' }).pValue).toBeCloseTo(0.0703, 4);
    expect(mcnemarTest(1, 7, { method: 'mid-p' }).pValue).toBeCloseTo(0.0391, 4);
    // 8 discordant pairs is below the mid-p threshold: the exact test is the default there.
    expect(mcnemarTest(1, 7).method).toBe('exact');
  });

  // Agresti, "An Introduction to Categorical Data Analysis" (2nd ed., §8.1.1), presidential approval
  // of 1,600 people in two surveys: 150 approve→disapprove, 86 disapprove→approve; McNemar
  // z = 4.17 (χ² = 17.4), p < 0.001. The mid-p binomial agrees with the large-sample test there.
  it('matches Agresti’s presidential-approval example (150 vs 86)', () => {
    const result = mcnemarTest(150, 86);
    expect(result.method).toBe('mid-p');
    expect(result.pValue).toBeLessThan(0.001);
    // χ²₁ = 17.36 ↔ p = 3.1e-5; the exact tails sit within a factor of 1.5 of it.
    expect(result.pValue).toBeGreaterThan(2e-5);
    expect(result.pValue).toBeLessThan(5e-5);
  });

  it('is symmetric, gives 1 with no discordant pairs, and refuses bad counts', () => {
    expect(mcnemarTest(12, 30).pValue).toBeCloseTo(mcnemarTest(30, 12).pValue, 12);
    expect(mcnemarTest(0, 0).pValue).toBe(1);
    expect(mcnemarTest(20, 20).pValue).toBe(1);
    expect(() => mcnemarTest(-1, 3)).toThrow(/aOnly must be a whole number/);
  });

  it('binomial tails stay exact for a million trials', () => {
    // P(X ≤ n/2) for n even = ½ + ½·P(X = n/2).
    const n = 1_000_000;
    expect(binomialCdf(n / 2, n, 0.5)).toBeCloseTo(0.5 + 0.5 * 7.978845e-4, 7);
  });

  it('Agresti–Min interval: add ½ to every cell, then Wald', () => {
    // By hand: b = 7.5, a = 1.5, n' = 23 → centre 6/23, se = √(9 − 36/23)/23.
    const interval = pairedProportionInterval(1, 7, 21);
    const se = Math.sqrt(9 - 36 / 23) / 23;
    expect(interval.difference).toBeCloseTo(6 / 21, 12);
    expect(interval.lower).toBeCloseTo(6 / 23 - 1.959964 * se, 5);
    expect(interval.upper).toBeCloseTo(6 / 23 + 1.959964 * se, 5);
  });
});

describe('Wilson interval (the evaluation package’s, re-exported)', () => {
  // Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
  // methods", Statistics in Medicine 17:857 (1998), Table II, method 3 (score, no continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i → [%f, %f]', (successes, trials, lower, upper) => {
    const interval = wilsonInterval(successes, trials);
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });
});

describe('paired t-test', () => {
  // Student (1908), "The probable error of a mean", Biometrika 6:1: Cushny & Peebles' sleep data,
  // extra hours of sleep of 10 patients under two drugs. R's documented
  // `t.test(extra ~ group, data = sleep, paired = TRUE)` gives t = −4.0621, df = 9,
  // p = 0.002833, 95% CI of the mean difference [−2.4598858, −0.7001142]; here as B − A.
  const differences = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4];
  it('matches Student’s sleep data', () => {
    const result = pairedTTest(differenceSums(differences));
    expect(result.estimate).toBeCloseTo(1.58, 10);
    expect(result.df).toBe(9);
    expect(result.estimate / result.standardError).toBeCloseTo(4.0621, 4);
    expect(result.pValue).toBeCloseTo(0.002833, 6);
    expect(result.lower).toBeCloseTo(0.7001142, 6);
    expect(result.upper).toBeCloseTo(2.4598858, 6);
  });

  it('t quantiles match the tables (df 9: 2.262157; df 1: 12.7062)', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 5);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
  });

  it('clustered t with one case per cluster has the paired standard error', () => {
    const paired = pairedTTest(differenceSums(differences));
    const clustered = clusteredTTest(differences.map((sum) => ({ n: 1, sum })));
    expect(clustered.standardError).toBeCloseTo(paired.standardError, 12);
    expect(clustered.df).toBe(9);
  });

  it('clustered standard error grows when clusters move together', () => {
    // Two clusters of identical differences: the naive SE sees 20 cases, the clustered one 2.
    const clusters = [
      { n: 10, sum: 10 },
      { n: 10, sum: -6 },
    ];
    const clustered = clusteredTTest(clusters);
    const naive = pairedTTest({ n: 20, sum: 4, sumSquares: 16 });
    expect(clustered.standardError).toBeGreaterThan(2 * naive.standardError);
  });
});

describe('paired bootstrap', () => {
  it('is seeded: the same histogram and seed give the same interval, another seed another', () => {
    const histogram = [
      { value: -1, count: 30 },
      { value: 0, count: 150 },
      { value: 1, count: 45 },
    ];
    const one = pairedBootstrap(histogram, { seed: 7 });
    expect(pairedBootstrap(histogram, { seed: 7 })).toEqual(one);
    expect(pairedBootstrap(histogram, { seed: 8 }).lower).not.toBe(one.lower);
    expect(one.estimate).toBeCloseTo(15 / 225, 12);
    // Agrees with the t interval to within a point on 225 cases.
    const t = pairedTTest({ n: 225, sum: 15, sumSquares: 75 });
    expect(Math.abs(one.lower - t.lower)).toBeLessThan(0.01);
    expect(Math.abs(one.upper - t.upper)).toBeLessThan(0.01);
  });

  it('falls back to the normal limit past its work budget, and says so', () => {
    const result = pairedBootstrap([{ value: 1, count: 10 }, { value: 0, count: 10 }], { workBudget: 10 });
    expect(result.approximation).toBe('normal');
  });
});

describe('power and planning', () => {
  it('sample size and power invert each other', () => {
    const n = mcnemarSampleSize(0.2, 0.04);
    expect(mcnemarPower(n, 0.2, 0.04)).toBeGreaterThanOrEqual(0.8);
    expect(mcnemarPower(n - 1, 0.2, 0.04)).toBeLessThan(0.8);
    expect(mcnemarMinimumDetectableEffect(n, 0.2)).toBeLessThanOrEqual(0.04);
  });

  it('plans a 70% baseline and a 3-point effect; models that agree need far fewer cases', () => {
    const plan = planSampleSize({ baseline: 0.7, mde: 0.03 });
    // By hand: p2 = 0.73, ψ = 0.7·0.27 + 0.73·0.3 = 0.408; n = (1.96·√0.408 + 0.8416·√(0.408 − 0.0009))² / 0.0009.
    const expected = Math.ceil((1.959964 * Math.sqrt(0.408) + 0.841621 * Math.sqrt(0.408 - 0.0009)) ** 2 / 0.0009);
    expect(plan.discordance).toBeCloseTo(0.408, 10);
    expect(plan.pairedCases).toBe(expected);
    // Independent models gain nothing from pairing: as many cases as each arm of an unpaired design.
    expect(Math.abs(plan.unpairedCasesPerModel - plan.pairedCases)).toBeLessThan(plan.pairedCases * 0.01);
    // Models that agree more need fewer cases.
    expect(planSampleSize({ baseline: 0.7, mde: 0.03, discordance: 0.15 }).pairedCases).toBeLessThan(plan.pairedCases / 2);
    expect(() => planSampleSize({ baseline: 70, mde: 0.03 })).toThrow(/--baseline must be an accuracy between 0 and 1/);
  });
});

describe('multiple comparisons', () => {
  it('Holm and Benjamini–Hochberg by hand', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    // Holm: sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 → 0.02, 0.03, 0.06, max(0.06, 0.04).
    expect(holmAdjust(p).map((value) => +value.toFixed(10))).toEqual([0.03, 0.06, 0.06, 0.02]);
    // BH: 0.005·4/1, 0.01·4/2, 0.03·4/3, 0.04·4/4 → 0.02, 0.02, 0.04, 0.04 (running minimum from the top).
    expect(benjaminiHochbergAdjust(p).map((value) => +value.toFixed(10))).toEqual([0.02, 0.04, 0.04, 0.02]);
    expect(adjustPValues(p, 'none')).toEqual(p);
  });
});

describe('verdicts', () => {
  it('says who is better, by how much, with the interval and the test', () => {
    const verdict = verdictOf({ nameA: 'A', nameB: 'B', estimate: 0.041, lower: 0.012, upper: 0.07, pValue: 0.006, method: 'McNemar', n: 1319 });
    expect(verdict).toEqual({ outcome: 'b-better', text: 'B is better than A by 4.1 points [1.2, 7.0], p = 0.006 (McNemar, 1,319 paired cases)' });
  });

  it('says what it could have detected when nothing is significant', () => {
    const verdict = verdictOf({ nameA: 'A', nameB: 'B', estimate: 0.005, lower: -0.012, upper: 0.022, pValue: 0.54, method: 'McNemar', n: 1319, mde: 0.032 });
    expect(verdict.outcome).toBe('no-detectable-difference');
    expect(verdict.text).toMatch(/^no detectable difference between B and A \(could detect ≥ 3.2 points\)/);
  });

  it('a worse B, and a significant change below the minimum effect', () => {
    expect(verdictOf({ nameA: 'A', nameB: 'B', estimate: -0.05, lower: -0.08, upper: -0.02, pValue: 0.001, method: 'McNemar', n: 500 }).text).toMatch(/B is worse than A by 5.0 points \[2.0, 8.0\]/);
    expect(verdictOf({ nameA: 'A', nameB: 'B', estimate: -0.01, lower: -0.015, upper: -0.005, pValue: 0.001, method: 'paired t', n: 50_000, minEffect: 0.02 }).outcome).toBe('below-min-effect');
    expect(formatPValue(0.0004)).toBe('p < 0.001');
  });
});

describe('pass@k with intervals', () => {
  it('averages the unbiased per-case estimator and brackets it', () => {
    // 10 cases with 2 of 4 right, 10 with 4 of 4: pass@2 per case = 1 − C(2,2)/C(4,2) = 5/6, and 1.
    const estimate = passAtKWithInterval(
      [
        { samples: 4, passed: 2, count: 10 },
        { samples: 4, passed: 4, count: 10 },
      ],
      2,
    );
    expect(estimate.estimate).toBeCloseTo((5 / 6 + 1) / 2, 12);
    expect(estimate.lower).toBeLessThan(estimate.estimate);
    expect(estimate.upper).toBeGreaterThan(estimate.estimate);
    expect(estimate.cases).toBe(20);
  });
});
