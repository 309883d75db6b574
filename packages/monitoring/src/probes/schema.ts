import { providerEntrySchema } from '@llm-lab/core';
import { Cron } from 'croner';
import { z } from 'zod';

/** A cron expression croner accepts (5 fields, or 6 with seconds), checked without scheduling anything. */
const cronSchema = z.string().superRefine((pattern, context) => {
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `schedule "${pattern}" is not a cron expression (${(error as Error).message.replace(/^CronPattern: /, '')}); write e.g. "*/15 * * * *" for every 15 minutes`,
    });
  }
});

/**
 * One probe: a small eval run against a provider on a schedule, its score recorded as a series.
 * The eval is either a run config file (`config:`, whose own `providers:` are replaced by this
 * probe's `provider`) or a slice of a `bench` suite (`suite:` with `limit:`, and `data:` for a
 * local copy of its dataset).
 */
export const probeSchema = z
  .object({
    /** Names the probe in logs and in its series (the `route` of its score). */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'a probe name of letters, digits, ".", "_" and "-"'),
    /** A `providers:` entry, as in a run config: an id (`openai:gpt-4o-mini`) or `{ id, label, config, ... }`. */
    provider: providerEntrySchema,
    /** A run config file (YAML or JSON), relative to the monitor config's folder. */
    config: z.string().min(1).optional(),
    /** A `llm-lab bench` suite (`gsm8k`, `mmlu`, ...) or a task file. */
    suite: z.string().min(1).optional(),
    /** The suite's data: a local file or folder instead of the Hugging Face dataset. */
    data: z.string().min(1).optional(),
    /** Only the first N cases of the eval (a probe is small: a few dozen calls). */
    limit: z.number().int().positive().optional(),
    /** When to run, in cron syntax (croner): `*\/15 * * * *` every 15 minutes, `0 * * * *` hourly. */
    schedule: cronSchema,
    /** The schedule's time zone (IANA, e.g. `Europe/Berlin`); default the process's. */
    timezone: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((probe, context) => {
    if ((probe.config === undefined) === (probe.suite === undefined)) {
      context.addIssue({ code: 'custom', message: `probe "${probe.name}" needs exactly one eval: config: <run config file> or suite: <bench suite> (with limit:)`, path: ['config'] });
    }
    if (probe.timezone !== undefined) {
      try {
        new Cron(probe.schedule, { paused: true, timezone: probe.timezone }).nextRun();
      } catch {
        context.addIssue({ code: 'custom', message: `probe "${probe.name}": timezone "${probe.timezone}" is not an IANA time zone; write e.g. Europe/Berlin or UTC`, path: ['timezone'] });
      }
    }
    if (probe.data !== undefined && probe.suite === undefined) {
      context.addIssue({ code: 'custom', message: `probe "${probe.name}": data: goes with suite:; a run config file names its own dataset`, path: ['data'] });
    }
  });

/** `probes:` of a monitor config: probes with distinct names. */
export const probesSchema = z.array(probeSchema).superRefine((probes, context) => {
  const seen = new Set<string>();
  probes.forEach((probe, index) => {
    if (seen.has(probe.name)) context.addIssue({ code: 'custom', message: `two probes are named "${probe.name}"; give each its own name`, path: [index, 'name'] });
    seen.add(probe.name);
  });
});

export type ProbeConfig = z.output<typeof probeSchema>;
export type ProbeConfigInput = z.input<typeof probeSchema>;
