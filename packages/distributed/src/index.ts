export {
  DEFAULT_MAINTENANCE_SECONDS,
  DEFAULT_QUEUE,
  DEFAULT_SHARD_ATTEMPTS,
  DEFAULT_SHARD_TIMEOUT_SECONDS,
  SHARD_DONE_CHANNEL,
  defaultShardSize,
  openQueue,
  parseShardJob,
  queueSchemaOf,
  schemaOfQueue,
  requireDatabaseUrl,
  shardSlices,
  type QueueOptions,
  type ShardJob,
  type ShardOutput,
} from './queue.js';
export { labVersion, readConfigAsWritten, withoutLiteralSecrets, loadShardConfig } from './job-config.js';
export { submitRun, type SubmitOptions, type SubmittedRun } from './submit.js';
export { followRun, cancelRun, distributedProgress, type CancelledRun, type DistributedProgress, type FollowOptions, type FollowOutcome, type WorkerProgress } from './follow.js';
export { startWorker, type Worker, type WorkerEvent, type WorkerOptions, type WorkerSummary } from './worker.js';
export { sharedRateLimitsFromEnv } from './shared-rate-limits.js';
