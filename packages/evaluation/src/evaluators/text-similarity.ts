import { wordTokens } from './text.js';

/** Length of the longest common subsequence of two token lists (O(n·m) time, O(m) memory). */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const tokenA of a) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      current[j] = tokenA === b[j - 1] ? (previous[j - 1] as number) + 1 : Math.max(previous[j] as number, current[j - 1] as number);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * ROUGE-L F1 of a candidate against a reference: LCS over word tokens (lowercased letters and
 * digits), precision = LCS/|candidate|, recall = LCS/|reference|, F1 their harmonic mean.
 * 0 when either side has no tokens.
 */
export function rougeL(candidate: string, reference: string): number {
  const c = wordTokens(candidate);
  const r = wordTokens(reference);
  if (c.length === 0 || r.length === 0) return 0;
  const lcs = longestCommonSubsequence(c, r);
  if (lcs === 0) return 0;
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Sentence BLEU (Papineni et al. 2002) of a candidate against one or more references, over word
 * tokens, n-grams up to `maxOrder` (default 4) with uniform weights, clipped counts taking the
 * maximum count over references, and the brevity penalty against the reference closest in
 * length (ties: the shorter). Smoothing: add-one for orders n ≥ 2 (Lin & Och 2004; sacreBLEU's
 * `add-k` with k = 1), so a short sentence with no matching 4-gram does not score 0. A candidate
 * with no matching unigram scores 0. Returns 0–1.
 */
export function sentenceBleu(candidate: string, references: readonly string[], maxOrder = 4): number {
  const c = wordTokens(candidate);
  const refs = references.map(wordTokens);
  if (c.length === 0 || refs.length === 0) return 0;
  let logSum = 0;
  for (let n = 1; n <= maxOrder; n++) {
    const candidateCounts = ngramCounts(c, n);
    const maxReferenceCounts = new Map<string, number>();
    for (const ref of refs) {
      for (const [gram, count] of ngramCounts(ref, n)) maxReferenceCounts.set(gram, Math.max(maxReferenceCounts.get(gram) ?? 0, count));
    }
    let matches = 0;
    for (const [gram, count] of candidateCounts) matches += Math.min(count, maxReferenceCounts.get(gram) ?? 0);
    let total = Math.max(0, c.length - n + 1);
    if (n > 1) {
      matches += 1;
      total += 1;
    }
    if (matches === 0) return 0;
    logSum += Math.log(matches / total) / maxOrder;
  }
  const closest = refs.map((ref) => ref.length).reduce((best, length) => {
    const d = Math.abs(length - c.length);
    const bestD = Math.abs(best - c.length);
    return d < bestD || (d === bestD && length < best) ? length : best;
  });
  const brevity = c.length >= closest ? 1 : Math.exp(1 - closest / c.length);
  return brevity * Math.exp(logSum);
}

/** Levenshtein edit distance between two texts, counted in Unicode code points (insert, delete, substitute: 1 each). */
export function levenshteinDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const substitution = (previous[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[t.length] as number;
}

/** Normalised Levenshtein similarity: 1 − distance / length of the longer text (1 for two empty texts). */
export function levenshteinSimilarity(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  return longest === 0 ? 1 : 1 - levenshteinDistance(a, b) / longest;
}
