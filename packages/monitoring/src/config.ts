import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { secretReferenceSchema, securitySchema } from '@llm-lab/core';
import { METRIC_NAMES } from './metrics.js';
import { parseDuration } from './duration.js';
import { probesSchema } from './probes/schema.js';

/**
 * The monitor config (`llm-lab monitor start <config>`, `llm-lab gateway --monitor <config>`):
 * alert rules, channels, an optional daily digest, and probes (see docs/monitoring.md).
 */

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/**
 * A secret: `${VAR}` (an environment variable) or a key-manager reference, as in a run config:
 * `{ from: env, name }`, `{ from: dotenv, name, file? }`, `{ from: vault, path, field }`,
 * `{ from: aws, id, field? }`. A secret written in clear in the config is refused: configs get
 * committed and shared.
 */
export const secretSchema = z.union([
  z.string().refine((text) => /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text.trim()), {
    message: 'a secret must not be written in the config: put it in an environment variable and write ${VAR_NAME} (or { from: env, name: VAR_NAME })',
  }),
  secretReferenceSchema,
]);
export type SecretRef = z.infer<typeof secretSchema>;

const match = z
  .object({
    source: z.enum(['gateway', 'run', 'probe']).optional(),
    providerId: z.string().optional(),
    provider: z.string().optional(),
    model: z.string().optional(),
    route: z.string().optional(),
    key: z.string().optional(),
  })
  .strict();
export type SeriesMatch = z.infer<typeof match>;

const common = {
  name: z.string().min(1),
  /** Which series the rule watches (every field given must be equal). */
  match: match.optional(),
  /** How long the condition must hold before the alert fires (pending meanwhile). */
  for: duration.optional(),
  /** How long the condition must be clear before the alert resolves. */
  resolveAfter: duration.optional(),
  /** Channels (names under `channels:`); default every channel. */
  channels: z.array(z.string()).optional(),
  /** `page` (default) sends each firing and resolved message; `digest` only lists it in the daily digest. */
  notify: z.enum(['page', 'digest']).optional(),
  severity: z.enum(['critical', 'warning', 'info']).optional(),
};

const seriesRule = {
  ...common,
  /** One alert per `provider` (default: every series of a provider and every rule on it make one incident), per `series`, or per `rule`. */
  groupBy: z.enum(['provider', 'series', 'rule']).optional(),
  /** Buckets with fewer calls than this are not judged (a quiet night pages nobody). Default 10. */
  minCount: z.number().int().min(0).optional(),
};

export const ruleSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('anomaly'),
      ...seriesRule,
      metric: z.enum(METRIC_NAMES),
      /** Judged points a series needs before it can alert (the baseline learns meanwhile). Default 30. */
      warmup: z.number().int().min(1).optional(),
      /** Detector score from which a point is anomalous, in (0, 1). Default 0.5. */
      threshold: z.number().gt(0).lt(1).optional(),
      /** The least relative change from the baseline median that can alert (0.5: 50% above or below). Default 0.5. */
      minChange: z.number().min(0).optional(),
      /** The least absolute change from the baseline median that can alert (in the metric's unit). Default 0. */
      minDelta: z.number().min(0).optional(),
      /** Which way counts: `up` (default for latency, errors, cost), `down`, or `both`. */
      direction: z.enum(['up', 'down', 'both']).optional(),
    })
    .strict(),
  z
    .object({ type: z.literal('threshold'), ...seriesRule, metric: z.enum(METRIC_NAMES), above: z.number().optional(), below: z.number().optional() })
    .strict()
    .refine((rule) => rule.above !== undefined || rule.below !== undefined, { message: 'a threshold rule needs `above` or `below`' }),
  z
    .object({
      type: z.literal('budget'),
      ...common,
      limitUsd: z.number().positive(),
      /** The budget's period: a calendar `day`, `week` (from Monday) or `month`, in UTC. */
      period: z.enum(['day', 'week', 'month']),
    })
    .strict(),
  z.object({ type: z.literal('breaker'), ...common, members: z.array(z.string()).optional() }).strict(),
  z
    .object({
      type: z.literal('probe'),
      ...seriesRule,
      /** Fire when the score falls this much below the median of the previous `baseline` scores. Default 0.1. */
      drop: z.number().min(0).max(1).optional(),
      /** Fire when the score is under this, whatever came before. */
      below: z.number().min(0).max(1).optional(),
      baseline: z.number().int().min(1).optional(),
    })
    .strict(),
]);
export type AlertRule = z.infer<typeof ruleSchema>;

const slackChannel = z.object({ type: z.literal('slack'), url: secretSchema, username: z.string().optional(), iconEmoji: z.string().optional() }).strict();
const emailChannel = z
  .object({
    type: z.literal('email'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).optional(),
        /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
        secure: z.boolean().optional(),
        user: z.string().optional(),
        password: secretSchema.optional(),
        /** Accept a self-signed certificate (a test or in-house server). */
        allowSelfSigned: z.boolean().optional(),
      })
      .strict(),
    from: z.string().min(3),
    to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
  })
  .strict();
const webhookChannel = z
  .object({ type: z.literal('webhook'), url: z.string().url(), secret: secretSchema, headers: z.record(z.string(), z.string()).optional() })
  .strict();
export const channelSchema = z.discriminatedUnion('type', [slackChannel, emailChannel, webhookChannel]);
export type ChannelConfig = z.infer<typeof channelSchema>;
export type SlackChannelConfig = z.infer<typeof slackChannel>;
export type EmailChannelConfig = z.infer<typeof emailChannel>;
export type WebhookChannelConfig = z.infer<typeof webhookChannel>;

export const monitorConfigSchema = z
  .object({
    /** How often the monitor closes finished minutes and judges them (real time). Default 5s. */
    tick: duration.optional(),
    alerts: z
      .object({
        /** Defaults for every rule: `for` (default 2m), `resolveAfter` (default 3m), `cooldown` (default 15m: no second firing message for one incident key sooner). */
        for: duration.optional(),
        resolveAfter: duration.optional(),
        cooldown: duration.optional(),
        rules: z.array(ruleSchema).default([]),
        /** A daily summary of the day's incidents at `at` (HH:MM, UTC). */
        digest: z.object({ at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'write the time as HH:MM (UTC)'), channels: z.array(z.string()).optional() }).strict().optional(),
      })
      .strict()
      .default({ rules: [] }),
    channels: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'name channels with letters, digits, - and _'), channelSchema).default({}),
    /** Scheduled probes: small evals on a cron schedule, their scores a series (see docs/monitoring.md). */
    probes: probesSchema.optional(),
    /** Where `{ from: vault | aws | dotenv }` channel secrets are read (as a run config's `security:`; default the VAULT_* / AWS environment). */
    security: securitySchema.optional(),
    /** How long 1-minute and 1-hour points are kept (days; default 14 and 365). */
    retention: z.object({ minuteDays: z.number().positive().optional(), hourDays: z.number().positive().optional() }).strict().optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set(Object.keys(config.channels));
    const seen = new Set<string>();
    config.alerts.rules.forEach((rule, index) => {
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', index, 'name'], message: `two rules are named ${rule.name}; give each rule its own name` });
      seen.add(rule.name);
      for (const channel of rule.channels ?? []) {
        if (!names.has(channel)) ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', index, 'channels'], message: `no channel named ${channel} under channels: (have: ${[...names].join(', ') || 'none'})` });
      }
    });
    for (const channel of config.alerts.digest?.channels ?? []) {
      if (!names.has(channel)) ctx.addIssue({ code: 'custom', path: ['alerts', 'digest', 'channels'], message: `no channel named ${channel} under channels:` });
    }
  });

export type MonitorConfig = z.infer<typeof monitorConfigSchema>;
export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;

/** Validates a monitor config object; the error names the file and every wrong field. */
export function parseMonitorConfig(value: unknown, where = 'the monitor config'): MonitorConfig {
  const result = monitorConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  throw new Error(`${where} is not a valid monitor config:\n${lines.join('\n')}`);
}

/** Reads and validates a monitor config file (YAML or JSON). */
export async function loadMonitorConfig(file: string): Promise<MonitorConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the monitor config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give the path of a YAML file with alerts: and channels:.`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new Error(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  return parseMonitorConfig(value, file);
}
