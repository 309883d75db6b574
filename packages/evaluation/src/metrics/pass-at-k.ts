/**
 * Repeated-sampling estimators. With n samples of which c passed:
 * - pass@k: the chance that at least one of k samples drawn without replacement passes,
 *   1 − C(n−c, k) / C(n, k) (the unbiased estimator of Chen et al., 2021, "Evaluating Large
 *   Language Models Trained on Code");
 * - pass^k: the chance that all k drawn samples pass, C(c, k) / C(n, k) (a consistency measure).
 * Both are computed as running products, so they stay exact for large n without overflow.
 */

function checkArguments(n: number, c: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs whole numbers with 0 ≤ c ≤ n and 1 ≤ k ≤ n; got n=${n}, c=${c}, k=${k}.`);
  }
}

/** Unbiased pass@k for one problem with `n` samples of which `c` passed. */
export function passAtK(n: number, c: number, k: number): number {
  checkArguments(n, c, k);
  if (n - c < k) return 1;
  // C(n−c, k) / C(n, k) = Π_{i=n−c+1}^{n} (1 − k/i)
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

/** pass^k for one problem: the chance that k samples drawn without replacement all pass. */
export function passHatK(n: number, c: number, k: number): number {
  checkArguments(n, c, k);
  if (c < k) return 0;
  // C(c, k) / C(n, k) = Π_{i=0}^{k−1} (c − i) / (n − i)
  let product = 1;
  for (let i = 0; i < k; i++) product *= (c - i) / (n - i);
  return product;
}
