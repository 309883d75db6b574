import type { DistributedProgress } from '@llm-lab/distributed';
import { ExitCode, UsageError } from '../errors.js';
import { dim, formatCount, printable, red, useColour, yellow } from '../output/format.js';
import { renderReport, whyNothingScored, type RunFlags } from './run.js';
import { openLab } from './shared.js';

export interface DistributedRunFlags extends RunFlags {
  shardSize?: number;
  queue?: string;
  shardTimeout?: number;
  shardAttempts?: number;
}

/** The environment a distributed run needs, or a usage error naming what to set. */
export function distributedDatabaseUrl(flags: { databaseUrl?: string }, what: string): string {
  const url = flags.databaseUrl ?? process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) {
    throw new UsageError(
      `${what} needs PostgreSQL: the shards are queued and the results stored there. Set DATABASE_URL (or --database-url) to postgres://user:password@host:5432/db, the same on the submitting machine and every worker.`,
    );
  }
  return url;
}

/** `--shard-size`, `--shard-timeout`, `--shard-attempts` and `--queue` mean nothing without `--distributed`: refused rather than ignored. */
export function refuseShardFlags(flags: DistributedRunFlags): void {
  const given = (
    [
      ['--shard-size', flags.shardSize],
      ['--shard-timeout', flags.shardTimeout],
      ['--shard-attempts', flags.shardAttempts],
      ['--queue', flags.queue],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length > 0) {
    throw new UsageError(`${given.map(([name]) => name).join(', ')} only ${given.length === 1 ? 'applies' : 'apply'} to a distributed run: add --distributed, or leave ${given.length === 1 ? 'it' : 'them'} out.`);
  }
}

function progressLine(progress: DistributedProgress): string {
  const percent = progress.planned > 0 ? ` (${Math.floor((100 * progress.results) / progress.planned)}%)` : '';
  const rate = progress.perSecond !== undefined ? ` · ${progress.perSecond.toFixed(1)}/s` : '';
  const eta = progress.etaSeconds !== undefined ? ` · ETA ${Math.ceil(progress.etaSeconds)} s` : '';
  const { shards } = progress;
  const workers = progress.workers
    .map((worker) => `${worker.worker} ${formatCount(worker.executed)} results, ${worker.shards} shards done${worker.active > 0 ? `, ${worker.active} running` : ''}`)
    .join('; ');
  return (
    `cases ${formatCount(progress.casesDone)}/${formatCount(progress.cases)} · results ${formatCount(progress.results)}/${formatCount(progress.planned)}${percent}${rate}${eta}` +
    ` · shards ${shards.completed}/${shards.total} done, ${shards.active} running, ${shards.queued} queued` +
    (workers ? ` · by worker: ${workers}` : '')
  );
}

/**
 * `llm-lab run <config> --distributed`: plans the run, queues it in shards, follows the workers
 * that take them, then records it and prints the same table as a local run.
 */
export async function runDistributedCommand(configPath: string, flags: DistributedRunFlags): Promise<number> {
  const databaseUrl = distributedDatabaseUrl(flags, 'run --distributed');
  if (flags.resume !== undefined) throw new UsageError('--resume and --distributed do not go together: resume a stopped distributed run on one machine with --resume, or start it again with --distributed.');
  const { DEFAULT_QUEUE, openQueue, submitRun, followRun } = await import('@llm-lab/distributed');
  const lab = await openLab({ ...flags, databaseUrl });
  const colour = useColour(process.stderr);
  const queue = flags.queue ?? DEFAULT_QUEUE;
  const boss = await openQueue({ databaseUrl }, queue).catch(async (error: unknown) => {
    await lab.close();
    throw error;
  });
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.cancelled);
    process.stderr.write('\nCancelling: queued shards are withdrawn, workers stop the ones they execute after their calls in flight (Ctrl-C again to quit now)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true && flags.progress !== false;
  let lastLine = '';
  let lastShardsDone = -1;
  try {
    const submitted = await submitRun(lab, boss, {
      config: configPath,
      queue,
      ...(flags.shardSize !== undefined ? { shardSize: flags.shardSize } : {}),
      ...(flags.shardTimeout !== undefined ? { shardTimeoutSeconds: flags.shardTimeout } : {}),
      ...(flags.shardAttempts !== undefined ? { attempts: flags.shardAttempts } : {}),
      run: {
        ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        ...(flags.repeat !== undefined ? { repeat: flags.repeat } : {}),
        ...(flags.stream ? { stream: true } : {}),
        ...(flags.cache === false ? { noCache: true } : {}),
      },
      onWarning: (message) => process.stderr.write(`${yellow('warning', colour)} ${printable(message)}\n`),
    });
    if (!flags.json) {
      process.stderr.write(
        dim(
          `run ${submitted.runId} · ${submitted.plan.providers.join(', ')} · ${formatCount(submitted.plan.cases)} cases in ${submitted.jobIds.length} shards on queue '${queue}' · stored in ${submitted.storage}\n` +
            `start workers (any machine, same DATABASE_URL): llm-lab worker${queue === DEFAULT_QUEUE ? '' : ` --queue ${queue}`}\n`,
          colour,
        ),
      );
    }
    const outcome = await followRun(lab, boss, {
      runId: submitted.runId,
      plan: submitted.plan,
      config: configPath,
      queue,
      signal: controller.signal,
      onProgress: (progress) => {
        if (flags.progress === false || flags.json) return;
        const line = progressLine(progress);
        if (tty) {
          process.stderr.write(`\r\x1b[K${line}`);
        } else if (progress.shards.completed !== lastShardsDone && line !== lastLine) {
          process.stderr.write(`${line}\n`);
        }
        lastLine = line;
        lastShardsDone = progress.shards.completed;
      },
    });
    if (tty) process.stderr.write('\n');
    if (outcome.status === 'cancelled') {
      process.stderr.write(`${yellow('cancelled', colour)} run ${submitted.runId}; finish it on one machine with: llm-lab run ${configPath} --resume ${submitted.runId}\n`);
      return ExitCode.cancelled;
    }
    if (outcome.status === 'failed') {
      process.stderr.write(`${red('error', colour)} run ${submitted.runId} failed: ${printable(outcome.error)}\n`);
      return ExitCode.failed;
    }
    const { report } = outcome;
    const details = `llm-lab runs show ${report.runId}`;
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${renderReport(report, `llm-lab run ${configPath} --resume ${report.runId}`, details)}\n`);
    if (flags.output?.length) {
      const { exportResults } = await import('../output/export-results.js');
      for (const file of flags.output) await exportResults(lab, report, file);
    }
    const unscored = whyNothingScored(report, details);
    if (unscored) {
      process.stderr.write(`${red('error', colour)} the run ${report.runId} scored nothing: ${unscored}\n`);
      return ExitCode.failed;
    }
    return report.thresholds.met ? ExitCode.ok : ExitCode.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await lab.close();
  }
}
