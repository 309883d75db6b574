import type { WorkerEvent } from '@llm-lab/distributed';
import { ExitCode } from '../errors.js';
import { dim, formatCount, printable, red, useColour, yellow } from '../output/format.js';
import { distributedDatabaseUrl } from './run-distributed.js';

export interface WorkerFlags {
  databaseUrl?: string;
  concurrency?: number;
  queue?: string;
  baseDir?: string;
}

function eventLine(event: WorkerEvent, colour: boolean): string {
  const shard = 'shards' in event ? `${event.runId} shard ${event.shard + 1}/${event.shards}` : `${event.runId} shard ${event.shard + 1}`;
  switch (event.type) {
    case 'shard-start':
      return dim(`took ${shard}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`, colour);
    case 'shard-done':
      return `done ${shard}: ${formatCount(event.output.executed)} results computed, ${formatCount(event.output.skipped)} already stored`;
    case 'shard-handed-back':
      return yellow(`handed back ${shard} after ${formatCount(event.executed)} results`, colour);
    case 'shard-withdrawn':
      return yellow(`stopped ${shard}: the run was cancelled (after ${formatCount(event.executed)} results)`, colour);
    case 'shard-failed':
      return `${red('failed', colour)} ${shard}: ${printable(event.message)}`;
    case 'refused':
      return `${red('refused', colour)} ${shard}: ${printable(event.message)}`;
  }
}

/**
 * `llm-lab worker`: takes shards of distributed runs from the queue and executes them until
 * stopped. SIGTERM or Ctrl-C: the calls in flight finish, the rest of the shard goes back to the queue.
 */
export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const databaseUrl = distributedDatabaseUrl(flags, 'llm-lab worker');
  const { DEFAULT_QUEUE, openQueue, sharedRateLimitsFromEnv, startWorker } = await import('@llm-lab/distributed');
  const { createLab } = await import('@llm-lab/lab');
  const colour = useColour(process.stderr);
  // With REDIS_URL, one rate-limit budget per provider for every worker (and the shared response cache).
  const sharedRateLimits = sharedRateLimitsFromEnv();
  const { commandLogger } = await import('../logging.js');
  const lab = createLab({ databaseUrl, logger: await commandLogger(), ...(sharedRateLimits ? { sharedRateLimits } : {}) });
  const queue = flags.queue ?? DEFAULT_QUEUE;
  const boss = await openQueue({ databaseUrl }, queue).catch(async (error: unknown) => {
    await lab.close();
    await sharedRateLimits?.close();
    throw error;
  });
  const worker = startWorker(lab, boss, {
    queue,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.baseDir !== undefined ? { baseDir: flags.baseDir } : {}),
    onEvent: (event) => process.stderr.write(`${eventLine(event, colour)}\n`),
  });
  process.stderr.write(
    dim(
      `worker ${worker.name} waiting for shards on queue '${queue}'${sharedRateLimits ? ' · rate limits shared through Redis' : ' · rate limits per worker (set REDIS_URL to share them)'} (stop with Ctrl-C or SIGTERM)\n`,
      colour,
    ),
  );
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(ExitCode.cancelled);
    process.stderr.write('Stopping: finishing calls in flight, then handing the shard back (again to quit now)…\n');
    void worker.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await worker.done;
    process.stderr.write(dim(`worker ${summary.name} stopped: ${summary.completed} shards done, ${summary.handedBack} handed back, ${summary.failed} failed${summary.withdrawn > 0 ? `, ${summary.withdrawn} stopped by a cancel` : ''}\n`, colour));
    if (summary.refused) {
      process.stderr.write(`${red('error', colour)} ${printable(summary.refused)}\n`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  } finally {
    // The handlers stay until the queue and the lab are closed: a signal during the close is
    // counted (a second one quits at once) instead of killing the process half-closed.
    try {
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      await lab.close();
      await sharedRateLimits?.close();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
