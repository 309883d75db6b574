/**
 * The simulated comparisons of simulation.test.ts, run in a worker thread on the built package:
 * jest's VM contexts run tight numeric loops 50–100× slower than plain Node (measured here: 3e6
 * iterations of a seeded generator, 1.2 s under jest against 12 ms in Node), which would put
 * 10,000 simulated comparisons far past a CI budget. Each scenario returns a rejection rate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  clusterBootstrap,
  clusteredTTest,
  mcnemarSampleSize,
  mcnemarTest,
  pairedBootstrap,
  pairedTTest,
  seededRandom,
} from '../dist/index.js';

const ALPHA = 0.05;

function rejectionRate(draw, seed, simulations) {
  const random = seededRandom(seed);
  let rejected = 0;
  for (let s = 0; s < simulations; s++) if (draw(random, s)) rejected++;
  return rejected / simulations;
}

/**
 * Two identical providers on `n` cases of mixed difficulty: each case is easy (0.9), middling
 * (0.5) or hard (0.2) for both, and each provider answers it right with that probability.
 */
function identicalProviders(random, n) {
  let aOnly = 0;
  let bOnly = 0;
  for (let i = 0; i < n; i++) {
    const u = random();
    const p = u < 1 / 3 ? 0.9 : u < 2 / 3 ? 0.5 : 0.2;
    const a = random() < p;
    const b = random() < p;
    if (a && !b) aOnly++;
    else if (b && !a) bOnly++;
  }
  return { aOnly, bOnly, n };
}
const sumsOf = ({ aOnly, bOnly, n }) => ({ n, sum: bOnly - aOnly, sumSquares: aOnly + bOnly });
const histogramOf = ({ aOnly, bOnly, n }) => [
  { value: -1, count: aOnly },
  { value: 0, count: n - aOnly - bOnly },
  { value: 1, count: bOnly },
];

/**
 * Clustered data with a high intra-cluster correlation: `clusters` subjects of `size` questions.
 * Each subject has a difficulty and favours one provider by 0.25 (which one is a coin flip): the
 * providers are identical overall, but their differences move together inside a subject.
 */
function clusteredIdentical(random, clusters = 100, size = 10) {
  const totals = [];
  let sum = 0;
  let sumSquares = 0;
  for (let c = 0; c < clusters; c++) {
    const base = 0.3 + 0.4 * random();
    const tilt = random() < 0.5 ? 0.25 : -0.25;
    let clusterSum = 0;
    for (let i = 0; i < size; i++) {
      const d = (random() < base - tilt ? 1 : 0) - (random() < base + tilt ? 1 : 0);
      clusterSum += d;
      sumSquares += d * d;
    }
    totals.push({ n: size, sum: clusterSum });
    sum += clusterSum;
  }
  return { clusters: totals, n: clusters * size, sum, sumSquares };
}

/** B gains on 12% of cases and loses on 8% (ψ = 0.2, δ = 0.04), on the n the formula gives for 80% power. */
export const EFFECT = { aOnlyShare: 0.08, bOnlyShare: 0.12, n: mcnemarSampleSize(0.2, 0.04) };
function withEffect(random) {
  const { aOnlyShare, bOnlyShare, n } = EFFECT;
  let aOnly = 0;
  let bOnly = 0;
  for (let i = 0; i < n; i++) {
    const u = random();
    if (u < aOnlyShare) aOnly++;
    else if (u < aOnlyShare + bOnlyShare) bOnly++;
  }
  return { aOnly, bOnly, n };
}

const scenarios = {
  'null-mcnemar': (simulations) =>
    rejectionRate((random) => {
      const draw = identicalProviders(random, 300);
      return mcnemarTest(draw.aOnly, draw.bOnly).pValue < ALPHA;
    }, 11, simulations),
  'null-mcnemar-exact-small': (simulations) =>
    rejectionRate((random) => {
      const draw = identicalProviders(random, 40);
      return mcnemarTest(draw.aOnly, draw.bOnly, { method: 'exact' }).pValue < ALPHA;
    }, 12, simulations),
  'null-paired-t': (simulations) => rejectionRate((random) => pairedTTest(sumsOf(identicalProviders(random, 300))).pValue < ALPHA, 13, simulations),
  'null-paired-bootstrap': (simulations) =>
    rejectionRate((random, s) => pairedBootstrap(histogramOf(identicalProviders(random, 300)), { resamples: 400, seed: s + 1 }).pValue < ALPHA, 14, simulations),
  'clustered-null-naive-t': (simulations) => rejectionRate((random) => pairedTTest(clusteredIdentical(random)).pValue < ALPHA, 21, simulations),
  'clustered-null-clustered-t': (simulations) => rejectionRate((random) => clusteredTTest(clusteredIdentical(random).clusters).pValue < ALPHA, 22, simulations),
  'clustered-null-cluster-bootstrap': (simulations) =>
    rejectionRate((random, s) => clusterBootstrap(clusteredIdentical(random).clusters, { resamples: 400, seed: s + 1 }).pValue < ALPHA, 23, simulations),
  'effect-mcnemar': (simulations) =>
    rejectionRate((random) => {
      const draw = withEffect(random);
      return mcnemarTest(draw.aOnly, draw.bOnly).pValue < ALPHA;
    }, 31, simulations),
  'effect-paired-t': (simulations) => rejectionRate((random) => pairedTTest(sumsOf(withEffect(random))).pValue < ALPHA, 32, simulations),
};

if (parentPort && workerData) {
  const { scenario, simulations } = workerData;
  parentPort.postMessage({ rate: scenarios[scenario](simulations) });
}
