import type { GroupAccuracy, GroupSummary, MacroAverage } from '@llm-lab/lab';
import { bold, dim, formatCount, formatInterval, formatPercent, printable, renderTable } from './format.js';

const cell = (text: string, max = 48) => printable(text, { max, oneLine: true });

function accuracy(entry: Pick<GroupAccuracy, 'accuracy' | 'interval'>, colour: boolean): string {
  return `${formatPercent(entry.accuracy)} ${dim(formatInterval(entry.interval), colour)}`;
}

function macro(entry: MacroAverage, colour: boolean): string {
  return `${formatPercent(entry.accuracy)} ${dim(formatInterval(entry.interval), colour)}`;
}

/**
 * Per-group results of a run (a suite's subjects, a task file's `group_by`), one block per
 * provider and prompt: each group's accuracy with its Wilson interval, each category's micro and
 * macro accuracy, and the overall micro average (every question counts once; the run's own
 * accuracy) and macro average (every group counts once, stratified bootstrap interval).
 */
export function renderGroups(summaries: readonly GroupSummary[], colour: boolean): string | undefined {
  if (summaries.length === 0) return undefined;
  const prompts = new Set(summaries.map((summary) => summary.promptId)).size > 1;
  const blocks = summaries.map((summary) => {
    const who = `${cell(summary.providerId, 80)}${prompts ? ` (${cell(summary.promptId)})` : ''}`;
    const lines = [bold(`${who} by ${cell(summary.by)}`, colour)];
    lines.push(
      renderTable(
        [cell(summary.by), 'Passed', 'Scored', 'Accuracy (95% CI)'],
        summary.groups.map((group) => [cell(group.name), formatCount(group.passed), formatCount(group.scored), accuracy(group, colour)]),
        { right: [1, 2] },
      ),
    );
    if (summary.categories?.length) {
      lines.push(
        '',
        renderTable(
          ['Category', 'Groups', 'Passed', 'Scored', 'Micro (95% CI)', 'Macro (95% CI)'],
          summary.categories.map((category) => [
            cell(category.name),
            formatCount(category.members.length),
            formatCount(category.passed),
            formatCount(category.scored),
            accuracy(category, colour),
            macro(category.macro, colour),
          ]),
          { right: [1, 2, 3] },
        ),
      );
    }
    lines.push(
      `Micro average ${accuracy(summary.micro, colour)} over ${formatCount(summary.micro.scored)} scored results (Wilson)` +
        ` · macro average ${macro(summary.macro, colour)} over ${formatCount(summary.macro.groups)} groups` +
        (summary.macro.method === 'wilson'
          ? ' (Wilson of the pooled counts: every group all right or all wrong, nothing to resample)'
          : ` (stratified bootstrap, ${formatCount(summary.macro.resamples)} resamples, seed ${summary.macro.seed})`),
    );
    if (summary.ungrouped > 0) lines.push(dim(`${formatCount(summary.ungrouped)} results have no ${cell(summary.by)} and are counted under (none).`, colour));
    return lines.join('\n');
  });
  return ['Per-group results (micro: every result counts once; macro: every group counts once):', ...blocks].join('\n\n');
}
