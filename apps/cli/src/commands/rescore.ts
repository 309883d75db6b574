import { existsSync } from 'node:fs';
import { ExitCode, UsageError } from '../errors.js';
import { exportFormatOf, exportResults } from '../output/export-results.js';
import { dim, printable, red, useColour, yellow } from '../output/format.js';
import { ProgressReporter } from '../output/progress.js';
import { renderReport, storageFlagsOf, whyNothingScored } from './run.js';
import { openLab, type StorageFlags } from './shared.js';

export interface RescoreFlags extends StorageFlags {
  evaluators?: string;
  config?: string;
  concurrency?: number;
  json?: boolean;
  progress?: boolean;
  output?: string[];
}

/**
 * `llm-lab rescore <run> --evaluators <file> | --config <file>`: scores a stored run's outputs
 * again with other evaluators, as a new run linked to it. No model is called (judges are).
 */
export async function rescoreCommand(runId: string, flags: RescoreFlags): Promise<number> {
  if ((flags.evaluators === undefined) === (flags.config === undefined)) {
    process.stderr.write(
      `${red('error', useColour(process.stderr))} rescore needs the evaluators to score with: --evaluators <file> (a YAML or JSON list of evaluator entries, or evaluators: with optional providers: for judges) or --config <file> (a config's evaluators, judges and thresholds), not both.\n`,
    );
    return ExitCode.badInput;
  }
  for (const file of flags.output ?? []) exportFormatOf(file);
  const evaluators = flags.config !== undefined ? { config: flags.config } : await evaluatorsOf(flags.evaluators as string);
  const lab = await openLab(flags);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('cancelled by the user'));
  process.on('SIGINT', onSigint);
  const progress = flags.progress === false ? undefined : new ProgressReporter(process.stderr);
  const colour = useColour(process.stderr);
  try {
    const report = await lab.rescore(runId, evaluators, {
      signal: controller.signal,
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      onStart: (run) => {
        if (!flags.json) process.stderr.write(dim(`run ${run.id} · re-scoring ${run.rescoreOf} (no model is called) · stored in ${run.storage}\n`, colour));
        progress?.start();
      },
      ...(progress ? { onProgress: (state) => progress.update(state) } : {}),
      onWarning: (message) => {
        const line = `${yellow('warning', colour)} ${printable(message)}\n`;
        if (progress) progress.print(line);
        else process.stderr.write(line);
      },
    });
    progress?.finish();
    const found = storageFlagsOf(report, flags);
    const storage = [found.databaseUrl ? `--database-url ${found.databaseUrl}` : '', found.dataDir ? `--data-dir ${found.dataDir}` : ''].filter(Boolean).join(' ');
    const details = `llm-lab runs show ${report.runId}${storage ? ` ${storage}` : ''}`;
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      // An errored result is a call that failed in the original run: resuming the original retries it.
      const retry = `llm-lab run <config> --resume ${report.rescoreOf}, then re-score`;
      process.stdout.write(`${renderReport(report, retry, details)}\n${dim(`Re-scored from run ${report.rescoreOf}; no model was called.`, useColour(process.stdout))}\n`);
    }
    for (const file of flags.output ?? []) {
      await exportResults(lab, report, file);
      if (!flags.json) process.stderr.write(dim(`wrote ${file}\n`, colour));
    }
    if (report.status === 'cancelled') return ExitCode.cancelled;
    const unscored = whyNothingScored(report, details);
    if (unscored) {
      process.stderr.write(`${red('error', colour)} the run ${report.runId} scored nothing: ${unscored}\n`);
      return ExitCode.failed;
    }
    if (flags.json) for (const failure of report.thresholds.failures) process.stderr.write(`${red('threshold missed', colour)} ${failure}\n`);
    return report.thresholds.met ? ExitCode.ok : ExitCode.failed;
  } finally {
    progress?.finish();
    process.off('SIGINT', onSigint);
    await lab.close();
  }
}

/**
 * `--evaluators`: a file, or evaluator entries written inline as YAML or JSON (`'[{type: contains,
 * value: "{{answer}}"}]'`, one entry `'{type: is-json}'`, or `'{evaluators: [...]}'`).
 */
async function evaluatorsOf(value: string): Promise<string | unknown[]> {
  if (existsSync(value) || !/^\s*[[{]/.test(value)) return value;
  const { parse } = (await import('yaml')).default;
  let parsed: unknown;
  try {
    parsed = parse(value);
  } catch (error) {
    throw new UsageError(`--evaluators is neither a file nor readable YAML/JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (Array.isArray(parsed)) return parsed;
  const listed = (parsed as { evaluators?: unknown }).evaluators;
  if (Array.isArray(listed)) return listed;
  return [parsed];
}

