import { isAbsolute, join, relative, resolve } from 'node:path';
import type { EvaluatorSummary, Lab, ProviderSummary, RunOptions, RunReport } from '@llm-lab/lab';
import { findLabHome } from '@llm-lab/storage/lab-home';
import { ExitCode } from '../errors.js';
import { bold, dim, formatCount, formatInterval, formatMs, formatPercent, formatUsd, green, printable, red, renderTable, shellWord, useColour, yellow } from '../output/format.js';
import { renderGroups } from '../output/group-table.js';
import { ProgressReporter } from '../output/progress.js';
import { accuracyCell, answeredByLines, errorsCell } from '../output/summary-cells.js';
import { exportFormatOf, exportResults } from '../output/export-results.js';
import { configSourceOf, type ConfigFormat } from './promptfoo-source.js';
import { recordAudit } from './audit.js';
import { openLab, type StorageFlags } from './shared.js';

export interface RunFlags extends StorageFlags {
  json?: boolean;
  concurrency?: number;
  limit?: number;
  repeat?: number;
  cache?: boolean;
  stream?: boolean;
  /** Through the vendors' batch APIs (`--batch`). */
  batch?: boolean;
  resume?: string;
  progress?: boolean;
  /** Files to write the results to when the run ends, in the format their extension names (`--output`). */
  output?: string[];
  /** The config's format (`--from`); detected when absent. */
  from?: ConfigFormat;
}

/** `llm-lab run <config>`: runs a benchmark, shows progress, prints the results table. */
export async function runCommand(configPath: string, flags: RunFlags): Promise<number> {
  const source = await configSourceOf(configPath, flags.from);
  return runAndReport(await openLab(flags), source, flags, { resumeCommand: `llm-lab run ${shellWord(configPath)}` });
}


/**
 * The command that finishes stopped run `runId`: `command` (naming the config, or the suite and
 * its options) with `--resume <id>` and the storage flags given to this process, since a resume
 * looking in another database would not find the run. The run recorded its limit, repeat,
 * stream and cache options when it started, and a resume applies them, so they are not repeated.
 * A password in a database URL is not printed: the hint names where it goes instead.
 */
export function resumeHint(command: string, runId: string, flags: StorageFlags): string {
  return [command, '--resume', runId, ...storageWords(flags)].join(' ');
}

/** `--database-url <url>` (password hidden) and `--data-dir <dir>`, as given, quoted for a shell. */
function storageWords(flags: StorageFlags): string[] {
  const words: string[] = [];
  if (flags.databaseUrl) words.push('--database-url', shellWord(withoutPassword(flags.databaseUrl)));
  if (flags.dataDir) words.push('--data-dir', shellWord(flags.dataDir));
  return words;
}

/**
 * The storage flags that find `report`'s run again: those given to this process, plus the
 * embedded folder when the run went to another one than the default (a config's
 * `storage.dataDir`), which `runs show` and a resume, reading no config, would not look in.
 */
export function storageFlagsOf(report: RunReport, flags: StorageFlags, cwd = process.cwd()): StorageFlags {
  // An embedded run's storage is its folder; a server's is its described URL.
  if (flags.databaseUrl || flags.dataDir || !isAbsolute(report.storage)) return flags;
  // Where `runs show` and a resume from this folder look by default (a module of its own: --version loads nothing more).
  if (resolve(report.storage) === join(findLabHome(cwd).home, 'db')) return flags;
  const inside = relative(cwd, report.storage);
  return { ...flags, dataDir: inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : report.storage };
}

/** `url` with its password, in the user part or a `password` parameter, shown as `<password>` to fill in. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = 'llm-lab-hidden-password';
    if (parsed.password) parsed.password = hidden;
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', hidden);
    return parsed.toString().replaceAll(hidden, '<password>');
  } catch {
    return '<database-url>';
  }
}

/** Invalid dataset rows shown one by one; the rest are counted in one line at the end. */
const SKIPS_SHOWN = 5;

/** Extra run options for {@link runAndReport}. */
export interface RunAndReportOptions {
  /** Row preparation of a benchmark suite. */
  prepareCase?: RunOptions['prepareCase'];
  /** Its name, stored in the run's plan (`suite:<name>`). */
  preparation?: string;
  /** The command that resumes a cancelled run, without `--resume <id>` and storage flags. Default `llm-lab run <config>`. */
  resumeCommand?: string;
}

/**
 * Runs `source` through `lab.run` as `llm-lab run` does: progress on stderr, Ctrl-C stops and
 * keeps finished results, then the results table (or JSON with `--json`). Closes the lab.
 * Returns the exit code: 0, 1 (threshold missed), 130 (cancelled).
 */
export async function runAndReport(lab: Lab, source: Parameters<Lab['run']>[0], flags: RunFlags, extra: RunAndReportOptions = {}): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.cancelled);
    process.stderr.write('\nStopping: finishing calls in flight and saving results (Ctrl-C again to quit now)…\n');
    controller.abort(new Error('cancelled by the user'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // A bad --output is refused before anything runs.
  for (const file of flags.output ?? []) exportFormatOf(file);
  const progress = flags.progress === false ? undefined : new ProgressReporter(process.stderr);
  const colour = useColour(process.stderr);
  let skipped = 0;
  /** The last status line shown per vendor batch. */
  const batchLines = new Map<string, string>();
  /** One line for the invalid rows not shown, and `where` they are recorded (then the count is forgotten: said once). */
  const summariseSkipped = (where = '') => {
    if (skipped > SKIPS_SHOWN) process.stderr.write(`${yellow('skipped', colour)} … and ${formatCount(skipped - SKIPS_SHOWN)} more invalid rows${where}\n`);
    skipped = 0;
  };
  try {
    const report = await lab.run(source, {
      signal: controller.signal,
      ...(extra.prepareCase ? { prepareCase: extra.prepareCase } : {}),
      ...(extra.preparation ? { preparation: extra.preparation } : {}),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      ...(flags.repeat !== undefined ? { repeat: flags.repeat } : {}),
      ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
      // Only what was given: on resume, an option left out means the run's recorded one.
      ...(flags.stream ? { stream: true } : {}),
      ...(flags.batch ? { batch: true } : {}),
      ...(flags.cache === false ? { noCache: true } : {}),
      onStart: (run) => {
        if (!flags.json) process.stderr.write(dim(`run ${run.id} · ${run.providers.join(', ')} · stored in ${run.storage}\n`, useColour(process.stderr)));
        progress?.start();
      },
      ...(progress ? { onProgress: (state) => progress.update(state) } : {}),
      onBatchStatus: (providerId, status) => {
        // One line per change of a vendor batch's state, not per poll.
        const line = `${dim('batch', colour)} ${printable(providerId, { max: 80, oneLine: true })} ${status.batchId}: ${status.status} ${formatCount(status.completed)}/${formatCount(status.total)}${status.failed > 0 ? ` (${formatCount(status.failed)} failed)` : ''}\n`;
        if (batchLines.get(`${providerId}/${status.batchId}`) === line) return;
        batchLines.set(`${providerId}/${status.batchId}`, line);
        if (flags.json) return;
        if (progress) progress.print(line);
        else process.stderr.write(line);
      },
      onInvalidRow: (row) => {
        // The reason quotes the row, which may be binary: escaped, cut, and only the first few.
        if (++skipped <= SKIPS_SHOWN) {
          const line = `${yellow('skipped', colour)} ${printable(`${row.file ?? 'dataset.rows'}:${row.line}: ${row.reason}`, { max: 240, oneLine: true })}\n`;
          if (progress) progress.print(line);
          else process.stderr.write(line);
        }
      },
      // On a line of its own, clearing a progress bar being drawn (it is redrawn on the next update).
      onWarning: (message) => {
        const line = `${yellow('warning', colour)} ${printable(message)}\n`;
        if (progress) progress.print(line);
        else process.stderr.write(line);
      },
    });
    progress?.finish();
    await recordAudit(await lab.openStorage(), { action: 'run', target: report.runId, costUsd: report.totals.costUsd, details: { status: report.status, results: report.totals.results } });
    const found = storageFlagsOf(report, flags);
    const details = ['llm-lab runs show', report.runId, ...storageWords(found)].join(' ');
    summariseSkipped(` (the first 100 are recorded with the run: ${details} --json)`);
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${renderReport(report, resumeHint(extra.resumeCommand ?? 'llm-lab run <config>', report.runId, found), details, flags.resume !== undefined)}\n`);
    for (const file of flags.output ?? []) {
      await exportResults(lab, report, file);
      if (!flags.json) process.stderr.write(dim(`wrote ${file}\n`, colour));
    }
    if (report.status === 'cancelled') return ExitCode.cancelled;
    const unscored = whyNothingScored(report, details);
    if (unscored) {
      process.stderr.write(`${red('error', useColour(process.stderr))} the run ${report.runId} scored nothing: ${unscored}\n`);
      return ExitCode.failed;
    }
    // The table says which threshold was missed; with --json, standard error says it.
    if (flags.json) {
      for (const failure of report.thresholds.failures) process.stderr.write(`${red('threshold missed', useColour(process.stderr))} ${failure}\n`);
    }
    return report.thresholds.met ? ExitCode.ok : ExitCode.failed;
  } finally {
    progress?.finish();
    summariseSkipped();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await lab.close();
  }
}

/**
 * Why a finished run has no answer to score (it failed, though no threshold says so), or
 * undefined when at least one case was answered: every call errored (a wrong key, a server
 * down, a template naming a missing field), every dataset row was invalid, or there were none.
 */
export function whyNothingScored(report: RunReport, details = `llm-lab runs show ${report.runId}`): string | undefined {
  const { results, errors, invalidRows } = report.totals;
  if (results === 0) {
    return invalidRows > 0 ? `every dataset row (${formatCount(invalidRows)}) was skipped as invalid; see the reasons above.` : 'the dataset has no rows.';
  }
  if (errors < results) return undefined;
  const kinds = report.providers.flatMap((summary) => Object.entries(summary.errorKinds ?? {}));
  const byKind = new Map<string, number>();
  for (const [kind, count] of kinds) byKind.set(kind, (byKind.get(kind) ?? 0) + count);
  const shown = [...byKind].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${formatCount(count)} ${kind}`).join(', ');
  return `every call failed (${shown || `${formatCount(errors)} errors`}); see why with '${details} --failures'.`;
}

/**
 * Each evaluator's own pass rate, a line per provider, when results are scored by more than one
 * evaluator (a case passes only when every one passes: TruthfulQA's truthful and informative).
 */
export function renderEvaluatorRates(summaries: ReadonlyArray<Pick<ProviderSummary, 'providerId' | 'promptId'> & { evaluators?: EvaluatorSummary[] }>, colour: boolean): string | undefined {
  const several = summaries.filter((summary) => (summary.evaluators?.length ?? 0) > 1);
  if (several.length === 0) return undefined;
  const rate = (entry: EvaluatorSummary) => `${printable(entry.name, { oneLine: true })} ${formatPercent(entry.accuracy)} ${dim(formatInterval(entry.accuracyInterval), colour)}`;
  const prompts = new Set(summaries.map((summary) => summary.promptId)).size > 1;
  const lines = several.map((summary) => `  ${printable(summary.providerId, { oneLine: true })}${prompts ? ` (${printable(summary.promptId, { oneLine: true })})` : ''}: ${(summary.evaluators ?? []).map(rate).join(' · ')}`);
  return ['Passed per evaluator (a case passes when every evaluator passes):', ...lines].join('\n');
}

/**
 * The human-readable end-of-run summary: a table per provider, who answered when a fallback
 * did, and any threshold failures. `resume` is the whole command that finishes a cancelled run,
 * or runs a run's errored results again (see {@link resumeHint}); `details` the one that shows
 * the run; `resumed` says this process resumed it (its duration then spans from its first start).
 */
export function renderReport(
  report: RunReport,
  resume = `llm-lab run <config> --resume ${report.runId}`,
  details = `llm-lab runs show ${report.runId}`,
  resumed = false,
): string {
  const colour = useColour(process.stdout);
  const rows = report.providers.map((summary) => {
    return [
      summary.promptId && report.providers.some((other) => other.promptId !== summary.promptId)
        ? `${summary.providerId} ${dim(`(${summary.promptId})`, colour)}`
        : summary.providerId,
      formatCount(summary.results),
      formatCount(summary.passed),
      errorsCell(summary, colour),
      accuracyCell(summary, colour),
      formatMs(summary.latencyMs?.p50),
      formatMs(summary.latencyMs?.p95),
      `${formatCount(summary.inputTokens)} / ${formatCount(summary.outputTokens)}`,
      formatUsd(summary.costUsd),
    ];
  });
  const table = renderTable(
    ['Provider', 'Cases', 'Passed', 'Errors', 'Accuracy (95% CI)', 'p50', 'p95', 'Tokens in / out', 'Cost'],
    rows,
    { right: [1, 2, 3, 5, 6, 7, 8] },
  );
  const lines = [''];
  if (report.description) lines.push(bold(report.description, colour));
  lines.push(table, ...answeredByLines(report.providers), '');
  const rates = renderEvaluatorRates(report.providers, colour);
  if (rates) lines.push(rates, '');
  const groups = renderGroups(report.groups ?? [], colour);
  if (groups) lines.push(groups, '');
  const status =
    report.status === 'completed' ? green('completed', colour) : yellow(report.status, colour);
  lines.push(
    `Run ${report.runId} ${status} ${resumed ? `${formatMs(report.durationMs)} after it first started` : `in ${formatMs(report.durationMs)}`} · ${formatCount(report.totals.results)} results` +
      (report.totals.invalidRows > 0 ? ` · ${report.totals.invalidRows} invalid dataset rows skipped` : ''),
  );
  const notes = new Set(report.providers.flatMap((summary) => (summary.sampleSizeNote ? [summary.sampleSizeNote] : [])));
  for (const note of notes) lines.push(dim(`note: ${note}`, colour));
  for (const failure of report.thresholds.failures) lines.push(red(`threshold missed: ${failure}`, colour));
  if (report.status === 'cancelled') {
    const errors = report.totals.errors > 0 ? ` (its ${formatCount(report.totals.errors)} errored results are run again too)` : '';
    lines.push(yellow(`Resume with: ${resume}${errors}`, colour));
  } else if (report.totals.errors > 0) {
    lines.push(yellow(`Retry the ${formatCount(report.totals.errors)} errored results with: ${resume}`, colour));
  }
  lines.push(dim(`Details: ${details}`, colour));
  return lines.join('\n');
}
