/**
 * Proof by simulation (seeded, so every run sees the same numbers): under the null — two
 * identical providers — each test rejects at α = 0.05 between 4% and 6% of 10,000 simulated
 * comparisons, including clustered data with a high intra-cluster correlation, where the naive
 * test is shown to fail; under a known effect the rejection rate (power) matches the formula
 * within 2 points. The comparisons run in a worker thread on the built package
 * (simulation-scenarios.mjs says why).
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from '@jest/globals';
import { mcnemarPower, mcnemarSampleSize, meanDifferencePower } from '../src/index.js';

const SIMULATIONS = 10_000;

function rejectionRate(scenario: string, simulations = SIMULATIONS): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./simulation-scenarios.mjs', import.meta.url), { workerData: { scenario, simulations } });
    worker.once('message', (message: { rate: number }) => {
      resolve(message.rate);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('under the null (two identical providers, 300 cases of mixed difficulty)', () => {
  it('McNemar (mid-p, ~100 discordant pairs) rejects 4–6% of the time', async () => {
    const rate = await rejectionRate('null-mcnemar');
    expect(rate).toBeGreaterThanOrEqual(0.04);
    expect(rate).toBeLessThanOrEqual(0.06);
  });

  it('the exact McNemar test (40 cases, few discordant pairs) never rejects more than α: it is conservative', async () => {
    expect(await rejectionRate('null-mcnemar-exact-small')).toBeLessThanOrEqual(0.05);
  });

  it('the paired t-test rejects 4–6% of the time', async () => {
    const rate = await rejectionRate('null-paired-t');
    expect(rate).toBeGreaterThanOrEqual(0.04);
    expect(rate).toBeLessThanOrEqual(0.06);
  });

  it('the paired bootstrap rejects 4–6% of the time', async () => {
    const rate = await rejectionRate('null-paired-bootstrap');
    expect(rate).toBeGreaterThanOrEqual(0.04);
    expect(rate).toBeLessThanOrEqual(0.06);
  });
});

describe('under the null with clustered data (100 clusters of 10, high intra-cluster correlation)', () => {
  it('the naive paired t-test rejects far too often (false wins): the reason for clustering', async () => {
    expect(await rejectionRate('clustered-null-naive-t', 2_000)).toBeGreaterThan(0.2);
  });

  it('the clustered t-test rejects 4–6% of the time', async () => {
    const rate = await rejectionRate('clustered-null-clustered-t');
    expect(rate).toBeGreaterThanOrEqual(0.04);
    expect(rate).toBeLessThanOrEqual(0.06);
  });

  it('the cluster bootstrap rejects 4–6% of the time', async () => {
    const rate = await rejectionRate('clustered-null-cluster-bootstrap');
    expect(rate).toBeGreaterThanOrEqual(0.04);
    expect(rate).toBeLessThanOrEqual(0.06);
  });
});

describe('under a known effect (ψ = 0.2, δ = 0.04, n for 80% power), power matches the formula within 2 points', () => {
  const n = mcnemarSampleSize(0.2, 0.04);

  it('McNemar', async () => {
    const expected = mcnemarPower(n, 0.2, 0.04);
    expect(expected).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs((await rejectionRate('effect-mcnemar')) - expected)).toBeLessThanOrEqual(0.02);
  });

  it('paired t', async () => {
    const expected = meanDifferencePower(n, Math.sqrt(0.2 - 0.04 ** 2), 0.04);
    expect(Math.abs((await rejectionRate('effect-paired-t')) - expected)).toBeLessThanOrEqual(0.02);
  });
});
