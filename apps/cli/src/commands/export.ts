import { extname } from 'node:path';
import { UsageError, ExitCode } from '../errors.js';
import { formatCount } from '../output/format.js';
import { recordAudit } from './audit.js';
import { openLab, type StorageFlags } from './shared.js';

export interface ExportFlags extends StorageFlags {
  format?: string;
  out?: string;
  to?: string;
  trackingUri?: string;
  experiment?: string;
}

/** The format from --format, else from --out's extension, else JSON lines. */
function formatName(flags: ExportFlags): string {
  if (flags.format) return flags.format;
  const extension = flags.out ? extname(flags.out).slice(1).toLowerCase() : '';
  return ['csv', 'jsonl', 'json', 'parquet'].includes(extension) ? extension : 'jsonl';
}

/**
 * `llm-lab export <run>`: every result of a stored run as CSV, JSON lines or Parquet (to --out,
 * or standard output), or with `--to mlflow` the run logged to an MLflow tracking server.
 */
export async function exportCommand(run: string, flags: ExportFlags): Promise<number> {
  const report = await import('@llm-lab/report');
  if (flags.to !== undefined && flags.to !== 'mlflow') throw new UsageError(`--to '${flags.to}': the one destination is mlflow (or give --format and --out for a file).`);
  if (flags.to === 'mlflow') {
    const trackingUri = flags.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
    if (!trackingUri) throw new UsageError('--to mlflow needs the tracking server: --tracking-uri http://host:5000 (or MLFLOW_TRACKING_URI).');
    report.trackingBase(trackingUri);
  } else {
    report.exportFormatNamed(formatName(flags));
    if (flags.trackingUri || flags.experiment) throw new UsageError('--tracking-uri and --experiment go with --to mlflow.');
  }
  const lab = await openLab(flags);
  try {
    const storage = await lab.openStorage();
    if (flags.to === 'mlflow') {
      const env = process.env;
      const logged = await report.exportToMlflow(storage, run, {
        trackingUri: (flags.trackingUri ?? env.MLFLOW_TRACKING_URI)!,
        ...(flags.experiment ? { experiment: flags.experiment } : {}),
        ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
        ...(env.MLFLOW_TRACKING_USERNAME ? { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' } : {}),
      });
      await recordAudit(storage, { action: 'export', target: run, details: { to: 'mlflow', experiment: logged.experimentId } });
      process.stdout.write(
        `Logged run ${run} to MLflow: experiment ${logged.experimentId}, run ${logged.mlflowRunId} (${formatCount(logged.metrics)} metrics, ${formatCount(logged.params)} params, ${logged.artifacts.length} artifacts)\n${logged.url}\n`,
      );
      return ExitCode.ok;
    }
    const format = report.exportFormatNamed(formatName(flags));
    // A reader that stops early (`| head`) closes the pipe: the export ends quietly, as `runs show` does.
    let closed = false;
    if (!flags.out) {
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        closed = true;
      });
    }
    const written = await report.exportRun(storage, run, { format, ...(flags.out ? { out: flags.out } : { stream: process.stdout }) }).catch((error: unknown) => {
      if (closed || (error as NodeJS.ErrnoException).code === 'EPIPE') return undefined;
      throw error;
    });
    if (!written) return ExitCode.ok;
    await recordAudit(storage, { action: 'export', target: written.runId, details: { format, ...(written.path ? { out: written.path } : {}), rows: written.rows } });
    if (written.path) process.stderr.write(`Exported ${formatCount(written.rows)} results of run ${written.runId} to ${written.path} (${format}).\n`);
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}
