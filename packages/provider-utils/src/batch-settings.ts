import { z } from '@llm-lab/core';

/**
 * The `batch:` block of a provider's config, shared by the vendors whose batch API LLM Lab drives
 * with the same knobs (OpenAI, Azure OpenAI, Google). It says how `batchGenerate` runs:
 * `concurrent` (the default) makes one call per request, bounded by the batch's `concurrency`:
 * answers in seconds, at the normal price. `api` uses the vendor's batch API (the Batch API of
 * OpenAI and Azure OpenAI, Gemini's Batch Mode): half the price and a separate rate limit, but
 * results arrive when the vendor finishes the job, within a 24-hour window (often minutes,
 * sometimes hours), so a run waits. A batch run (`run.batch`) always asks for the batch API.
 */
export const batchConfigSchema = z
  .object({
    mode: z.enum(['concurrent', 'api']).default('concurrent'),
    /** First wait between status polls of a Batch API job, in milliseconds. Default 5,000. */
    pollIntervalMs: z.number().int().positive().default(5_000),
    /** Longest wait between polls (the wait grows 1.5× per poll). Default 60,000. */
    maxPollIntervalMs: z.number().int().positive().default(60_000),
    /** How long to wait for a Batch API job before cancelling it. Default 86,400,000 (24 hours, the job's window). */
    maxWaitMs: z.number().int().positive().default(86_400_000),
    /** Factor applied to the list price of answers from the Batch API. Default 0.5 (the batch discount of OpenAI, Azure and Google). */
    priceFactor: z.number().min(0).max(1).default(0.5),
  })
  .strict();

/** Batch settings after defaults. */
export type BatchSettings = z.output<typeof batchConfigSchema>;

/** The defaults of {@link batchConfigSchema}, for a `config:` block's `.default()`. */
export const DEFAULT_BATCH_SETTINGS: BatchSettings = { mode: 'concurrent', pollIntervalMs: 5_000, maxPollIntervalMs: 60_000, maxWaitMs: 86_400_000, priceFactor: 0.5 };
