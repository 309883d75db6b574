import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Lab, RunOptions, RunPlan } from '@llm-lab/lab';
import { labVersion, readConfigAsWritten, withoutLiteralSecrets } from './job-config.js';
import { DEFAULT_SHARD_ATTEMPTS, defaultShardSize, DEFAULT_SHARD_TIMEOUT_SECONDS, shardSlices, type ShardJob } from './queue.js';

export interface SubmitOptions {
  /** The config file. */
  config: string;
  /** The queue (see `openQueue`). */
  queue: string;
  /** Cases per shard. Default {@link defaultShardSize} of the plan's cases. */
  shardSize?: number;
  /** A shard's lease: how long a worker may hold it before another takes it over. Default 15 minutes. */
  shardTimeoutSeconds?: number;
  /** Attempts of a shard (its first and retries, a hand-back counted) before the run fails. Default 3. */
  attempts?: number;
  /** Seconds before a failed or handed-back shard is offered again. Default 1. */
  retryDelaySeconds?: number;
  run?: Pick<RunOptions, 'limit' | 'repeat' | 'stream' | 'noCache'>;
  /** Told what was left out of the queued config (keys written into it). */
  onWarning?: (message: string) => void;
}

export interface SubmittedRun {
  runId: string;
  plan: RunPlan;
  /** Where the results are stored. */
  storage: string;
  /** The shards' job ids, in case order. */
  jobIds: string[];
}

/**
 * Plans a run (stored as `planned`, see `Lab.plan`) and queues it in shards of `shardSize`
 * cases, each a pg-boss job any worker may take.
 */
export async function submitRun(lab: Lab, boss: PgBoss, options: SubmitOptions): Promise<SubmittedRun> {
  const written = await readConfigAsWritten(options.config);
  const { config: queued, removed } = withoutLiteralSecrets(written.config);
  if (removed.length > 0) {
    options.onWarning?.(
      `${removed.join(', ')} ${removed.length === 1 ? 'is' : 'are'} written into the config and not sent to the workers (the queue would store ${removed.length === 1 ? 'it' : 'them'} in plain text): ` +
        'each worker uses its own environment instead. Write keys as ${ENV_NAME} references.',
    );
  }
  const { runId, plan, storage } = await lab.plan(options.config, options.run ?? {});
  const slices = shardSlices(plan.cases, options.shardSize ?? defaultShardSize(plan.cases));
  const version = await labVersion();
  const jobs: PgBoss.JobInsert<ShardJob>[] = slices.map((slice, shard) => ({
    id: randomUUID(),
    name: options.queue,
    data: {
      kind: 'llm-lab-shard',
      version: 1,
      runId,
      shard,
      shards: slices.length,
      slice,
      labVersion: version,
      config: queued,
      configFile: written.file,
      baseDir: written.baseDir,
    },
    retryLimit: (options.attempts ?? DEFAULT_SHARD_ATTEMPTS) - 1,
    retryDelay: options.retryDelaySeconds ?? 1,
    expireInSeconds: options.shardTimeoutSeconds ?? DEFAULT_SHARD_TIMEOUT_SECONDS,
  }));
  // In batches: one statement per thousand shards.
  for (let start = 0; start < jobs.length; start += 1000) await boss.insert(jobs.slice(start, start + 1000));
  return { runId, plan, storage, jobIds: jobs.map((job) => job.id as string) };
}
