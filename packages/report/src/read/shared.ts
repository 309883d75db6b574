import type { ProviderSummary } from '@llm-lab/evaluation';
import type { ResultOutcome, ResultRecord, Storage } from '@llm-lab/storage';
import { caseText, promptText } from '../case-text.js';
import type { EmbeddedCase } from '../types.js';

/** What a report reads: runs and their results, never a provider. */
export type ReportSource = Pick<Storage, 'getRun' | 'listResults'>;

/** Results read per page when a run is read whole. */
export const PAGE_SIZE = 5_000;

export const seriesKey = (providerId: string, promptId: string) => `${providerId}\u0000${promptId}`;
export const seriesName = (providerId: string, promptId: string) => (promptId === 'default' ? providerId : `${providerId} (${promptId})`);

/** The value at quantile `q` of `n` sorted values, by nearest rank (an index into them). */
export const quantileIndex = (q: number, n: number) => Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));

/** Scored results of a summary (passed + failed). */
export const scoredOf = (summary: Pick<ProviderSummary, 'passed' | 'failed'>) => summary.passed + summary.failed;

/** A result as the page embeds it: its texts cut to `maxText` characters. */
export function embed(result: ResultRecord, series: number, outcome: ResultOutcome, category: string | null, flip: EmbeddedCase['flip'], maxText: number): EmbeddedCase {
  return {
    caseId: caseText(result.caseId, 200),
    caseIndex: result.caseIndex,
    series,
    repeat: result.repeat,
    outcome,
    category,
    flip,
    prompt: caseText(promptText(result.prompt), maxText),
    output: caseText(result.output ?? '', maxText),
    scores: result.scores.map((score) => ({ name: score.name, passed: score.passed, score: score.score, reason: caseText(score.reason ?? '', maxText) })),
    error: result.errorKind ? caseText(`${result.errorKind}: ${result.errorMessage ?? ''}`, maxText) : null,
    latencyMs: result.latencyMs,
    costUsd: result.costUsd,
  };
}

/** Keeps a uniform sample of `size` items seen one at a time (reservoir sampling, seeded). */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}
  /** Offers an item; `make` is called only when it is kept (so unkept rows cost nothing). */
  offer(make: () => T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(make());
    else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.size) this.items[slot] = make();
    }
  }
}
