import type { ProviderSummary } from '@llm-lab/lab';
import { dim, formatCount, formatInterval, formatPercent, red } from './format.js';

// The cells and lines every view of a run's per-provider figures shares (the end-of-run table and
// `runs show`), so that errors and who answered read the same everywhere.

/** A provider's name in a summary line: its label, with the prompt when it is not the only one. */
function nameOf(summary: ProviderSummary): string {
  return summary.promptId === 'default' ? summary.providerId : `${summary.providerId} (${summary.promptId})`;
}

/** Errors, with their share of the provider's results when there are any: `290 (96.7%)`. */
export function errorsCell(summary: ProviderSummary, colour: boolean): string {
  if (summary.errors === 0) return '0';
  return red(`${formatCount(summary.errors)} (${formatPercent(summary.errorRate)})`, colour);
}

/**
 * Accuracy with its interval. Errors are not scored, so when there were some the cell says how
 * many results the figure rests on: `100.0% of 10 scored [72.2%, 100.0%]` cannot pass for a
 * run that answered 10 cases of 300. The interval takes as many decimals as it needs not to collapse
 * (see `formatInterval`).
 */
export function accuracyCell(summary: ProviderSummary, colour: boolean): string {
  if (summary.accuracy === null) return summary.errors > 0 ? red('- (none scored)', colour) : '-';
  const scored = summary.passed + summary.failed;
  const basis = summary.errors > 0 ? ` of ${formatCount(scored)} scored` : '';
  const interval = dim(formatInterval(summary.accuracyInterval), colour);
  return `${formatPercent(summary.accuracy)}${basis} ${interval}`;
}

/**
 * One line per provider some of whose answers came from a fallback: who answered, and how often
 * (`mock:flaky: answered by mock:backup (fallback) 290, mock:flaky 10`). None when every answer
 * came from the provider asked. Summaries stored before answerers were counted have none.
 */
export function answeredByLines(summaries: readonly ProviderSummary[]): string[] {
  return summaries
    .filter((summary) => (summary.answeredBy ?? []).some((answerer) => answerer.fallback))
    .map(
      (summary) =>
        `${nameOf(summary)}: answered by ${summary.answeredBy
          .map((answerer) => `${answerer.name}${answerer.fallback ? ' (fallback)' : ''} ${formatCount(answerer.answers)}`)
          .join(', ')}`,
    );
}

/** Per provider label, the answerers that were fallbacks: what marks a single result as answered by one. */
export function fallbackAnswerers(summaries: readonly ProviderSummary[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const summary of summaries) {
    for (const answerer of summary.answeredBy ?? []) {
      if (!answerer.fallback) continue;
      const names = found.get(summary.providerId) ?? new Set<string>();
      names.add(answerer.name);
      found.set(summary.providerId, names);
    }
  }
  return found;
}
