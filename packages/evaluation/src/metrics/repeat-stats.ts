import { bootstrapMean, type MeanEstimate } from './bootstrap.js';
import { passAtK, passHatK } from './pass-at-k.js';

/** Consistency of a provider across repeated samples of the same cases (`run.repeat` > 1). */
export interface RepeatSummary {
  /** Samples per case (the largest seen; cases with errors may have fewer scored). */
  repeats: number;
  /** Cases with at least one scored sample. */
  cases: number;
  /** pass@k averaged over cases, for k = 1 … repeats (keys are k). */
  passAtK: Record<number, number>;
  /** pass^k averaged over cases: all k samples right. */
  passHatK: Record<number, number>;
  /** Mean over cases of the per-case pass-rate variance p(1 − p): 0 when every case is stable. */
  meanCaseVariance: number;
  /** Per-case pass rate, with a bootstrap interval across cases. */
  caseAccuracy: MeanEstimate | null;
  /** Cases that passed some samples and failed others (up to 50 ids), and how many in all. */
  flakyCases: string[];
  flakyCount: number;
}

const MAX_FLAKY_LISTED = 50;

/** Collects per-case pass counts across repeats and summarises them. */
export class RepeatTracker {
  private readonly cases = new Map<string, { samples: number; passed: number }>();

  /** Counts one scored sample of a case (errors are not samples of the model's ability). */
  add(caseId: string, passed: boolean): void {
    const entry = this.cases.get(caseId);
    if (entry) {
      entry.samples++;
      if (passed) entry.passed++;
    } else {
      this.cases.set(caseId, { samples: 1, passed: passed ? 1 : 0 });
    }
  }

  /** The summary, or null when no case was sampled more than once. */
  summary(): RepeatSummary | null {
    let repeats = 0;
    for (const entry of this.cases.values()) repeats = Math.max(repeats, entry.samples);
    if (repeats < 2) return null;
    const at: Record<number, number> = {};
    const hat: Record<number, number> = {};
    const rates: number[] = [];
    let variance = 0;
    const flaky: string[] = [];
    let flakyCount = 0;
    for (let k = 1; k <= repeats; k++) {
      at[k] = 0;
      hat[k] = 0;
    }
    const counted = new Map<number, number>();
    for (const [caseId, { samples, passed }] of this.cases) {
      const rate = passed / samples;
      rates.push(rate);
      variance += rate * (1 - rate);
      if (passed > 0 && passed < samples) {
        flakyCount++;
        if (flaky.length < MAX_FLAKY_LISTED) flaky.push(caseId);
      }
      for (let k = 1; k <= samples; k++) {
        at[k] = (at[k] ?? 0) + passAtK(samples, passed, k);
        hat[k] = (hat[k] ?? 0) + passHatK(samples, passed, k);
        counted.set(k, (counted.get(k) ?? 0) + 1);
      }
    }
    for (let k = 1; k <= repeats; k++) {
      const count = counted.get(k) ?? 0;
      at[k] = count === 0 ? 0 : (at[k] ?? 0) / count;
      hat[k] = count === 0 ? 0 : (hat[k] ?? 0) / count;
    }
    return {
      repeats,
      cases: this.cases.size,
      passAtK: at,
      passHatK: hat,
      meanCaseVariance: variance / this.cases.size,
      caseAccuracy: bootstrapMean(rates),
      flakyCases: flaky,
      flakyCount,
    };
  }
}
