/**
 * The stored-result shapes this package produces, from `@llm-lab/storage`. The engine needs only
 * two methods of a `Storage`, named here as {@link ResultStore}, so tests and other callers can
 * pass any object that has them.
 */
import type { Storage } from '@llm-lab/storage';

export type { NewResult, RunTotals, ScoreRecord } from '@llm-lab/storage';
export { resultKey } from '@llm-lab/storage';

/** The part of `Storage` the engine writes through. Any `Storage` satisfies it. */
export type ResultStore = Pick<Storage, 'insertResults' | 'completedKeys'>;

/** What a batch run (`run.batch`) needs of storage: where its vendor batches are recorded and found again. */
export type RunBatchStore = Pick<Storage, 'recordBatch' | 'listBatches' | 'updateBatchStatus'>;
