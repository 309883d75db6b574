import { rescoredFrom, type Lab, type ProviderSummary, type RunResultCounts, type RunView } from '@llm-lab/lab';
import { formatCount, formatInterval, formatMs, formatPercent, formatUsd } from './format.js';

// A run as GitHub-flavoured markdown: what a CI job writes to its summary ($GITHUB_STEP_SUMMARY)
// and a pull-request comment. Plain text only: no colour, every cell escaped.

/** Failed and errored results listed under the table, at most. */
const FAILURES_SHOWN = 10;

/** A cell of a markdown table: one line, pipes and markup escaped, cut at `max` characters. */
export function markdownCell(text: string, max = 120): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
  const cut = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  return cut.replace(/([\\|`*_[\]<>#])/g, '\\$1');
}

interface StoredSummary {
  providers?: ProviderSummary[];
  thresholds?: { met: boolean; failures: string[] };
  warnings?: string[];
}

/**
 * The run's markdown summary: status, a table per provider and prompt (accuracy with its 95%
 * interval, errors, latency, cost), missed thresholds, and the first failed cases (read from
 * storage, one page).
 */
export async function renderRunMarkdown(lab: Lab, run: RunView, counts: RunResultCounts): Promise<string> {
  const summary = (run.summary ?? {}) as StoredSummary;
  const met = summary.thresholds?.met;
  const verdict = run.status !== 'completed' ? run.status : met === false ? 'thresholds missed' : 'passed';
  const icon = verdict === 'passed' ? '✅' : verdict === 'thresholds missed' || run.status === 'failed' ? '❌' : '⚠️';
  const lines = [`### ${icon} LLM Lab run \`${run.id}\`: ${verdict}`, ''];
  if (run.description) lines.push(markdownCell(run.description, 300), '');
  const rescore = rescoredFrom(run);
  const facts = [
    `${formatCount(counts.results)} results`,
    `${formatCount(counts.passed)} passed`,
    `${formatCount(counts.failed)} failed`,
    `${formatCount(counts.errors)} errors`,
    `duration ${formatMs(run.durationMs)}`,
    ...(run.configFile ? [`config \`${markdownCell(run.configFile.split(/[\\/]/).at(-1) ?? run.configFile, 80)}\``] : []),
    ...(rescore ? [`re-scored from \`${rescore.of}\` (no model called)`] : []),
  ];
  lines.push(facts.join(' · '), '');
  const providers = summary.providers ?? [];
  if (providers.length > 0) {
    lines.push('| Provider | Prompt | Results | Passed | Errors | Accuracy (95% CI) | p50 | p95 | Cost |', '|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const provider of providers) {
      const accuracy = provider.accuracy === null ? 'n/a' : `${formatPercent(provider.accuracy)} ${formatInterval(provider.accuracyInterval)}`;
      lines.push(
        `| ${markdownCell(provider.providerId, 60)} | ${markdownCell(provider.promptId, 40)} | ${formatCount(provider.results)} | ${formatCount(provider.passed)} | ${formatCount(provider.errors)} | ${accuracy} | ${formatMs(provider.latencyMs?.p50)} | ${formatMs(provider.latencyMs?.p95)} | ${formatUsd(provider.costUsd)} |`,
      );
    }
    lines.push('');
  }
  for (const failure of summary.thresholds?.failures ?? []) lines.push(`- ❌ threshold missed: ${markdownCell(failure, 300)}`);
  for (const warning of summary.warnings ?? []) lines.push(`- ⚠️ ${markdownCell(warning, 300)}`);
  if ((summary.thresholds?.failures.length ?? 0) + (summary.warnings?.length ?? 0) > 0) lines.push('');
  const unpassed = counts.failed + counts.errors;
  if (unpassed > 0) {
    const page = await lab.listResults({ runId: run.id, filter: { outcome: ['failed', 'errored'] }, limit: FAILURES_SHOWN });
    lines.push(
      `<details><summary>${unpassed > FAILURES_SHOWN ? `First ${FAILURES_SHOWN} of ${formatCount(unpassed)}` : formatCount(unpassed)} failed or errored results</summary>`,
      '',
      '| Case | Provider | Output | Why |',
      '|---|---|---|---|',
    );
    for (const result of page.results) {
      const why = result.errorKind !== null ? `${result.errorKind}: ${result.errorMessage ?? ''}` : result.scores.filter((score) => !score.passed).map((score) => score.reason ?? `${score.name} failed`).join('; ');
      lines.push(`| ${markdownCell(result.caseId, 40)} | ${markdownCell(result.providerId, 40)} | ${markdownCell(result.output ?? '', 80)} | ${markdownCell(why, 160)} |`);
    }
    lines.push('', '</details>', '');
  }
  lines.push(`<sub>Details: \`llm-lab runs show ${run.id} --failures\`</sub>`);
  return `${lines.join('\n')}\n`;
}
