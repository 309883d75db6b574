import { ExitCode, UsageError } from '../errors.js';
import { bold, red, useColour } from '../output/format.js';
import { recordAudit } from './audit.js';
import { openLab, type StorageFlags } from './shared.js';

export interface CompareFlags extends StorageFlags {
  by?: string;
  cluster?: string;
  json?: boolean;
  format?: 'md' | 'text';
  failOnRegression?: boolean;
  minEffect?: number;
  correction?: 'holm' | 'bh';
  metric?: 'passed' | 'score';
}

/**
 * `llm-lab compare <run-a> [<run-b>]`: paired comparisons with verdicts. With
 * `--fail-on-regression`, exits 1 only when B is significantly worse than A after correction (and
 * by at least `--min-effect`), printing why on standard error; 0 otherwise.
 */
export async function compareCommand(runA: string, runB: string | undefined, flags: CompareFlags): Promise<number> {
  if (flags.minEffect !== undefined && !flags.failOnRegression) throw new UsageError('--min-effect goes with --fail-on-regression (the smallest drop that fails the check).');
  if (flags.json && flags.format) throw new UsageError('--json and --format are two outputs: give one.');
  const { compareRuns, renderComparisonMarkdown, renderComparisonText } = await import('@llm-lab/analysis');
  const lab = await openLab(flags);
  try {
    const storage = await lab.openStorage();
    const comparison = await compareRuns(storage, {
      runA,
      ...(runB !== undefined ? { runB } : {}),
      ...(flags.by !== undefined ? { by: flags.by } : {}),
      ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
      ...(flags.correction !== undefined ? { correction: flags.correction } : {}),
      ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
      minEffect: flags.minEffect ?? 0,
    });
    await recordAudit(storage, { action: 'compare', target: comparison.runB ? `${comparison.runA.id} ${comparison.runB.id}` : comparison.runA.id });
    if (flags.json) process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
    else process.stdout.write(flags.format === 'md' ? renderComparisonMarkdown(comparison) : renderComparisonText(comparison));
    if (!flags.failOnRegression) return ExitCode.ok;
    const colour = useColour(process.stderr);
    const regressions = comparison.pairs.filter((pair) => pair.verdict.outcome === 'b-worse');
    if (regressions.length === 0) {
      process.stderr.write(`${bold('no regression', colour)}: no comparison finds B significantly worse than A (${comparison.correctionDescription}${comparison.minEffect > 0 ? `, minimum effect ${(comparison.minEffect * 100).toFixed(1)} points` : ''})\n`);
      return ExitCode.ok;
    }
    for (const pair of regressions) process.stderr.write(`${red('regression', colour)}: ${pair.verdict.text}\n`);
    return ExitCode.failed;
  } catch (error) {
    if (error instanceof Error && error.name === 'ComparisonError') throw new UsageError(error.message);
    throw error;
  } finally {
    await lab.close();
  }
}
