import { recordedRunOptions, rescoredFrom, type GroupSummary, type ProviderSummary, type RunTotals, type RunView } from '@llm-lab/lab';
import { ExitCode } from '../errors.js';
import { bold, dim, formatCount, formatMs, formatPercent, formatUsd, printable, red, renderTable, shellWord, useColour, yellow } from '../output/format.js';
import { renderGroups } from '../output/group-table.js';
import { accuracyCell, answeredByLines, errorsCell, fallbackAnswerers } from '../output/summary-cells.js';
import { renderEvaluatorRates, resumeHint } from './run.js';
import { resultQueryOf, showResults, streamJson, type ResultPageFlags } from './runs-results.js';
import { openLab, type StorageFlags } from './shared.js';

export interface RunsListFlags extends StorageFlags {
  json?: boolean;
  limit?: number;
}

export interface RunsShowFlags extends StorageFlags, ResultPageFlags {
  json?: boolean;
  /** `md`: a markdown summary (CI job summaries, pull-request comments); `json` as --json. */
  format?: 'text' | 'json' | 'md';
}

function accuracyOf(totals: RunTotals | null): number | null {
  if (!totals || totals.passed + totals.failed === 0) return null;
  return totals.passed / (totals.passed + totals.failed);
}

// A run's status comes from the lab, the same in text and JSON: a run still marked running that
// no live process holds is `interrupted` (see `Lab.listRuns`).

function providersOf(run: RunView): string {
  const config = run.resolvedConfig as { providers?: Array<string | { id: string; label?: string }> } | null;
  return (config?.providers ?? []).map((entry) => (typeof entry === 'string' ? entry : (entry.label ?? entry.id))).join(', ');
}

/** The options a run recorded when it started, in words; undefined for runs stored before they were recorded. */
function runOptionsOf(run: RunView): string | undefined {
  const recorded = recordedRunOptions(run);
  if (!recorded) return undefined;
  return [
    `repeat ${recorded.repeat}`,
    recorded.limit !== null ? `limit ${recorded.limit}` : 'every case',
    ...(recorded.stream ? ['streamed'] : []),
    ...(recorded.noCache ? ['no cache'] : []),
  ].join(' · ');
}

/** `llm-lab runs list`: stored runs, newest first. */
export async function runsListCommand(flags: RunsListFlags): Promise<number> {
  const lab = await openLab(flags);
  try {
    const runs = await lab.listRuns({ limit: flags.limit ?? 20 });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return ExitCode.ok;
    }
    if (runs.length === 0) {
      process.stdout.write('No runs yet. Start one with: llm-lab run <config>\n');
      return ExitCode.ok;
    }
    const rows = runs.map((run) => [
      run.id,
      run.status,
      run.startedAt.toISOString().replace('T', ' ').slice(0, 19),
      formatMs(run.durationMs),
      formatCount(run.totals?.results),
      formatCount(run.totals?.errors),
      formatPercent(accuracyOf(run.totals)),
      printable(providersOf(run), { max: 60, oneLine: true }),
      printable(`${rescoredFrom(run) ? `rescore of ${rescoredFrom(run)?.of}${run.description ? ': ' : ''}` : ''}${run.description ?? ''}`, { max: 60, oneLine: true }),
    ]);
    process.stdout.write(
      `${renderTable(['Run', 'Status', 'Started (UTC)', 'Duration', 'Results', 'Errors', 'Accuracy', 'Providers', 'Description'], rows, { right: [3, 4, 5, 6] })}\n`,
    );
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}

interface StoredSummary {
  providers?: ProviderSummary[];
  groups?: GroupSummary[];
  thresholds?: { met: boolean; failures: string[] };
  warnings?: string[];
}

/** `llm-lab runs show <id>`: one run's settings, per-provider figures, and (optionally) its results. */
export async function runsShowCommand(id: string, flags: RunsShowFlags): Promise<number> {
  const lab = await openLab(flags);
  try {
    const found = await lab.getRun(id);
    if (!found) {
      process.stderr.write(`No run '${printable(id, { max: 80, oneLine: true })}'. List runs with: llm-lab runs list\n`);
      return ExitCode.badInput;
    }
    const { run, counts } = found;
    // Which results are listed, checked before anything is printed (a bad --sort or --cursor is bad input).
    if (flags.format === 'md') {
      const { renderRunMarkdown } = await import('../output/run-markdown.js');
      process.stdout.write(await renderRunMarkdown(lab, run, counts));
      return ExitCode.ok;
    }
    const query = resultQueryOf(run.id, flags);
    if (flags.json || flags.format === 'json') {
      await streamJson(lab, { run, counts }, query, flags);
      return ExitCode.ok;
    }
    const colour = useColour(process.stdout);
    const lines = [
      `${bold(run.id, colour)}  ${run.status}${run.description ? `  ${printable(run.description, { oneLine: true })}` : ''}`,
      `started ${run.startedAt.toISOString()}${run.finishedAt ? ` · finished ${run.finishedAt.toISOString()}` : ''} · ${formatMs(run.durationMs)}`,
      `config ${run.configFile ? printable(run.configFile, { oneLine: true }) : '(built in code)'}${run.createdBy ? ` · by ${run.createdBy}` : ''}`,
    ];
    const rescore = rescoredFrom(run);
    if (rescore) lines.push(`rescore of ${rescore.of}${rescore.evaluatorsFrom ? ` · evaluators from ${printable(rescore.evaluatorsFrom, { oneLine: true })}` : ''} · no model was called`);
    const options = runOptionsOf(run);
    if (options) lines.push(`options ${options}`);
    if (run.error) lines.push(red(`error: ${printable(run.error)}`, colour));
    // The run's limit, repeat, stream and cache options were recorded with it: the config is enough.
    const resume = () => resumeHint(`llm-lab run ${run.configFile ? shellWord(run.configFile) : '<config>'}`, run.id, flags);
    // The run's totals when it finished, else counted in SQL: an interrupted run has no totals yet.
    const { errors } = counts;
    if (rescore) {
      if (run.status !== 'completed') lines.push(dim(`Re-score it again with: llm-lab rescore ${rescore.of} --evaluators <file>`, colour));
    } else if (run.status === 'interrupted' || run.status === 'cancelled') {
      lines.push(dim(`Finish it with: ${resume()}${errors > 0 ? ` (its ${formatCount(errors)} errored results are run again too)` : ''}`, colour));
    } else if (run.status === 'planned') {
      lines.push(dim(`Planned, waiting for its slices to be executed and recorded (Lab.execute, Lab.record); or run it whole with: ${resume()}`, colour));
    } else if (run.status !== 'running' && errors > 0) {
      lines.push(yellow(`Retry its ${formatCount(errors)} errored results with: ${resume()}`, colour));
    }
    const summary = (run.summary ?? {}) as StoredSummary;
    if (summary.providers?.length) {
      lines.push(
        '',
        renderTable(
          ['Provider', 'Prompt', 'Results', 'Passed', 'Errors', 'Accuracy (95% CI)', 'p50', 'p95', 'Cost'],
          summary.providers.map((provider) => [
            provider.providerId,
            provider.promptId,
            formatCount(provider.results),
            formatCount(provider.passed),
            errorsCell(provider, colour),
            accuracyCell(provider, colour),
            formatMs(provider.latencyMs?.p50),
            formatMs(provider.latencyMs?.p95),
            formatUsd(provider.costUsd),
          ]),
          { right: [2, 3, 4, 6, 7, 8] },
        ),
        ...answeredByLines(summary.providers),
      );
    }
    const rates = summary.providers?.length ? renderEvaluatorRates(summary.providers, colour) : undefined;
    if (rates) lines.push('', rates);
    const groups = renderGroups(summary.groups ?? [], colour);
    if (groups) lines.push('', groups);
    for (const failure of summary.thresholds?.failures ?? []) lines.push(red(`threshold missed: ${printable(failure)}`, colour));
    for (const warning of summary.warnings ?? []) lines.push(yellow(`warning: ${printable(warning)}`, colour));
    lines.push('', `${formatCount(counts.results)} results stored.`);
    if (!query && counts.results > counts.passed) {
      lines.push(dim('Show failed cases with --failures, results with --results (a page at a time; --all for every one), everything with --json.', colour));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (query) await showResults(lab, counts, query, flags, fallbackAnswerers(summary.providers ?? []), colour);
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}
