import { ExitCode } from '../errors.js';
import { formatCount } from '../output/format.js';
import { recordAudit } from './audit.js';
import { openLab, type StorageFlags } from './shared.js';

export interface ReportFlags extends StorageFlags {
  out?: string;
  compare?: string;
  maxCases?: number;
  maxText?: number;
  groupBy?: string;
}

const size = (bytes: number) => (bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`);

/** `llm-lab report <run>`: the run as one self-contained HTML file, read from storage (no provider is called). */
export async function reportCommand(run: string, flags: ReportFlags): Promise<number> {
  const lab = await openLab(flags);
  try {
    const { writeReport } = await import('@llm-lab/report');
    const storage = await lab.openStorage();
    // The other run is the baseline: the verdicts say how this run differs from it, paired case by case.
    const comparison = flags.compare ? await (await import('@llm-lab/analysis')).compareRuns(storage, { runA: flags.compare, runB: run }) : undefined;
    const { path, data, bytes } = await writeReport(storage, run, flags.out ?? 'report.html', {
      ...(flags.compare ? { compare: flags.compare } : {}),
      ...(comparison ? { comparison } : {}),
      ...(flags.maxCases !== undefined ? { maxCases: flags.maxCases } : {}),
      ...(flags.maxText !== undefined ? { maxTextChars: flags.maxText } : {}),
      ...(flags.groupBy ? { categoryField: flags.groupBy } : {}),
    });
    await recordAudit(storage, { action: 'report', target: data.run.id, details: { out: path, ...(flags.compare ? { compare: flags.compare } : {}) } });
    const embedded = data.cases.length === data.caseCounts.results ? 'every result' : `${formatCount(data.cases.length)} of ${formatCount(data.caseCounts.results)} results (not passed first; see --max-cases)`;
    process.stdout.write(`Wrote ${path} (${size(bytes)}): run ${data.run.id}, ${embedded}${data.compared ? `, compared with ${data.compared.runId} (${formatCount(data.compared.passToFail)} pass → fail, ${formatCount(data.compared.failToPass)} fail → pass)` : ''}.\n`);
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}
