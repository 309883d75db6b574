import { ExitCode } from '../errors.js';
import { dim, printable, useColour, yellow } from '../output/format.js';
import { distributedDatabaseUrl } from './run-distributed.js';
import { openLab } from './shared.js';

export interface RunsCancelFlags {
  databaseUrl?: string;
  queue?: string;
}

/**
 * `llm-lab runs cancel <id>`: cancels a distributed run from any machine. Its queued shards are
 * withdrawn, workers executing one stop after their calls in flight, and the run is marked
 * cancelled: `llm-lab run <config> --resume <id>` finishes it, as a local run stopped with Ctrl-C.
 */
export async function runsCancelCommand(id: string, flags: RunsCancelFlags): Promise<number> {
  const databaseUrl = distributedDatabaseUrl(flags, 'llm-lab runs cancel');
  const { DEFAULT_QUEUE, cancelRun, openQueue } = await import('@llm-lab/distributed');
  const colour = useColour(process.stderr);
  const lab = await openLab({ databaseUrl });
  try {
    const found = await lab.getRun(id);
    if (!found) {
      process.stderr.write(`No run '${printable(id, { max: 80, oneLine: true })}'. List runs with: llm-lab runs list\n`);
      return ExitCode.badInput;
    }
    const { run } = found;
    if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled') {
      process.stderr.write(`Run ${run.id} is already ${run.status}: there is nothing to cancel.\n`);
      return ExitCode.badInput;
    }
    const queue = flags.queue ?? DEFAULT_QUEUE;
    const boss = await openQueue({ databaseUrl }, queue);
    try {
      const cancelled = await cancelRun(lab, boss, { runId: run.id, queue });
      if (cancelled.queued + cancelled.active === 0) {
        process.stderr.write(
          `${yellow('warning', colour)} no unfinished shard of run ${run.id} is on queue '${queue}' (give the run's --queue if it has another); the run is marked cancelled.\n`,
        );
      }
      process.stderr.write(
        `cancelled run ${run.id}: ${cancelled.queued} queued shard${cancelled.queued === 1 ? '' : 's'} withdrawn, ${cancelled.active} being executed stop after their calls in flight\n` +
          dim(`finish it on one machine with: llm-lab run ${run.configFile ?? '<config>'} --resume ${run.id}\n`, colour),
      );
      return ExitCode.ok;
    } finally {
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    }
  } finally {
    await lab.close();
  }
}
