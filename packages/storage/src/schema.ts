/**
 * The LLM Lab database schema (PostgreSQL, shared by embedded PGlite and a real server).
 *
 * Tables are declared without a PostgreSQL schema name: which schema they live in is decided at
 * connection time through `search_path` (see `openStorage({ schema })`), so the same migrations
 * serve the default `public` schema, a team's shared schema and a throw-away test schema.
 *
 * Change this file, then run `pnpm run db:generate` to write a new migration into `migrations/`.
 * Later tables (metric points, alerts, audit log, secrets) go here too, each with its own migration.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { RequestStatus, RunStatus, RunTotals, ScoreRecord } from './types.js';

/** One evaluation run: its configuration, lifecycle and totals. */
export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    description: text('description'),
    status: text('status').$type<RunStatus>().notNull().default('running'),
    configFile: text('config_file'),
    config: jsonb('config').$type<unknown>(),
    resolvedConfig: jsonb('resolved_config').$type<unknown>(),
    createdBy: text('created_by'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    durationMs: doublePrecision('duration_ms'),
    totals: jsonb('totals').$type<RunTotals>(),
    summary: jsonb('summary').$type<unknown>(),
    error: text('error'),
  },
  (table) => [index('runs_started_at_idx').on(table.startedAt.desc())],
);

/** One (case, provider, prompt, repeat) of a run. Written once, never rewritten. */
export const results = pgTable(
  'results',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    caseId: text('case_id').notNull(),
    caseIndex: integer('case_index').notNull(),
    /** The provider's label (its id unless the config gave it a label). */
    providerId: text('provider_id').notNull(),
    /** The provider's id (`openai:gpt-4o-mini`), whatever its label; null for results stored before it was kept. */
    provider: text('provider'),
    /** The model the vendor reported having used (a dated snapshot, say); null when the call failed or for older results. */
    model: text('model'),
    promptId: text('prompt_id').notNull(),
    repeat: integer('repeat').notNull().default(0),
    prompt: jsonb('prompt').$type<unknown>(),
    vars: jsonb('vars').$type<unknown>(),
    output: text('output'),
    passed: boolean('passed'),
    scores: jsonb('scores').$type<ScoreRecord[]>().notNull().default(sql`'[]'::jsonb`),
    /** The mean of the evaluators' scores (0–1), for sorting; null when nothing scored the result. */
    score: doublePrecision('score'),
    /** The provider call alone (not the wait before it could start: that is queue_ms). */
    latencyMs: doublePrecision('latency_ms'),
    timeToFirstTokenMs: doublePrecision('ttft_ms'),
    /** Milliseconds the call waited before it could start (concurrency slot, rate limiter, breaker, a local model's turn); null when not measured. */
    queueMs: doublePrecision('queue_ms'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costUsd: doublePrecision('cost_usd'),
    cached: boolean('cached').notNull().default(false),
    attempts: integer('attempts').notNull().default(1),
    /** The provider or load-balanced member that produced the answer (after a fallback, not the one asked). */
    answeredBy: text('answered_by'),
    errorKind: text('error_kind'),
    errorMessage: text('error_message'),
    warnings: jsonb('warnings').$type<unknown>(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('results_identity_idx').on(table.runId, table.caseId, table.providerId, table.promptId, table.repeat),
    // Pages in case order (the default listing), read by keyset from this index.
    index('results_run_order_idx').on(table.runId, table.caseIndex, table.providerId, table.promptId, table.repeat, table.id),
    // The failed and errored results only (a tenth of a run, typically): `--failures` pages and their count.
    index('results_run_unpassed_idx')
      .on(table.runId, table.caseIndex, table.providerId, table.promptId, table.repeat, table.id)
      .where(sql`(${table.passed} IS NOT TRUE OR ${table.errorKind} IS NOT NULL)`),
    // Sorting by latency or score; a result without one sorts as the slowest / the lowest.
    index('results_run_latency_idx').on(table.runId, sql`coalesce(${table.latencyMs}, 'Infinity'::float8)`, table.id),
    index('results_run_score_idx').on(table.runId, sql`coalesce(${table.score}, '-Infinity'::float8)`, table.id),
    // Also `results_side_case_idx` (run, provider, prompt, repeat, case id) INCLUDE (case index, passed,
    // error kind, score, latency, cost): written as custom SQL in its migrations (0007, reordered in
    // 0009), drizzle having no INCLUDE.
  ],
);

/**
 * One call to a provider made outside a run: gateway traffic, health probes. Written in
 * batches by whoever made the calls; never rewritten.
 */
export const requests = pgTable(
  'requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The caller's id for the call (unique): a retry of a write does not store it twice. */
    requestId: text('request_id').notNull(),
    /** When the call started. */
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** What made the call: `gateway`, `probe`, a run id, ... */
    source: text('source').notNull(),
    /** The gateway route or endpoint that received it, when there was one. */
    route: text('route'),
    /** The provider's id (`openai:gpt-4o-mini`); null when no provider was called (a refused call). */
    provider: text('provider'),
    /** The provider's label, when the config gave one. */
    label: text('label'),
    /** The model the vendor reported having used. */
    model: text('model'),
    latencyMs: doublePrecision('latency_ms'),
    timeToFirstTokenMs: doublePrecision('ttft_ms'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    /** Input tokens the vendor served from its prompt cache. */
    cachedTokens: integer('cached_tokens'),
    costUsd: doublePrecision('cost_usd'),
    /** Answered from LLM Lab's own response cache. */
    cacheHit: boolean('cache_hit').notNull().default(false),
    attempts: integer('attempts').notNull().default(1),
    /** The ProviderError kind (`rate-limit`, `timeout`, ...) when the call failed. */
    errorClass: text('error_class'),
    status: text('status').$type<RequestStatus>().notNull(),
    /** The HTTP status answered to the caller (gateway), when there was one. */
    httpStatus: integer('http_status'),
    /** The gateway's virtual key that made the call (`gateway_keys.id`), when there was one. */
    keyId: text('key_id'),
    /** The request and response bodies, kept only for routes that switch them on (off by default). */
    requestBody: jsonb('request_body').$type<unknown>(),
    responseBody: jsonb('response_body').$type<unknown>(),
  },
  (table) => [
    uniqueIndex('requests_request_id_idx').on(table.requestId),
    // Read backwards: newest first.
    index('requests_at_idx').on(table.at, table.id),
    index('requests_source_at_idx').on(table.source, table.at, table.id),
  ],
);

/**
 * The gateway's virtual keys. Only a hash of each key is kept (the key is shown once, when it is
 * made); `prefix` is its first characters, for people to tell keys apart. `spend_usd` is what the
 * key has spent, added to in batches by the gateway processes that served it.
 */
export const gatewayKeys = pgTable(
  'gateway_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 of the key, hex. */
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** Null: no budget. */
    budgetUsd: doublePrecision('budget_usd'),
    /** Requests per minute; null: no limit. */
    rpm: integer('rpm'),
    /** The routes the key may call; null: every route. */
    models: jsonb('models').$type<string[]>(),
    spendUsd: doublePrecision('spend_usd').notNull().default(0),
  },
  (table) => [
    uniqueIndex('gateway_keys_hash_idx').on(table.keyHash),
    // One live key per name; a revoked key's name can be used again.
    uniqueIndex('gateway_keys_live_name_idx').on(table.name).where(sql`${table.revokedAt} IS NULL`),
  ],
);

/**
 * A vendor batch (OpenAI Batch API, Anthropic Message Batches) a run submitted: recorded as soon
 * as the vendor holds it, so a stopped run that is resumed attaches to it instead of paying for
 * the same requests twice.
 */
export const batches = pgTable(
  'batches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** The label of the run's provider that submitted it (a result's `providerId`). */
    providerId: text('provider_id').notNull(),
    /** The vendor's id of the batch (`batch_...`, `msgbatch_...`). */
    vendorBatchId: text('vendor_batch_id').notNull(),
    /** The item ids the batch was submitted with, in order (the vendor's custom ids). */
    itemKeys: jsonb('item_keys').$type<string[]>().notNull(),
    /** `submitted` until its results were read, then `ended`. */
    status: text('status').$type<'submitted' | 'ended'>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('batches_run_vendor_idx').on(table.runId, table.vendorBatchId), index('batches_run_status_idx').on(table.runId, table.status)],
);

/** A PostgreSQL bytea column, read back as a Uint8Array on both drivers. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * The columns of a metric point: what one series (source, provider, model, route, key) did in one
 * time bucket. Latency and time-to-first-token sketches are DDSketch protobufs, opaque here: a
 * point written again (two processes, a restart) keeps every part, and readers merge them.
 */
function metricPointColumns() {
  return {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    providerId: text('provider_id').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    route: text('route').notNull(),
    key: text('key').notNull(),
    start: timestamp('start', { withTimezone: true, mode: 'date' }).notNull(),
    count: integer('count').notNull(),
    /** Failed calls by error class. */
    errors: jsonb('errors').$type<Record<string, number>>().notNull(),
    /** DDSketch protobufs (`toProto()`), one per write; their merge is the point's sketch. */
    latency: bytea('latency').array().notNull(),
    ttft: bytea('ttft').array().notNull(),
    tokensIn: doublePrecision('tokens_in').notNull(),
    tokensOut: doublePrecision('tokens_out').notNull(),
    costUsd: doublePrecision('cost_usd').notNull(),
    cacheHits: integer('cache_hits').notNull(),
    probeScoreSum: doublePrecision('probe_score_sum').notNull(),
    probeScoreCount: integer('probe_score_count').notNull(),
    /** Bumped by every write; `rolled_up` is the revision the hourly roll-up last read (minute points). */
    revision: integer('revision').notNull().default(1),
    rolledUp: integer('rolled_up'),
  };
}

/** 1-minute metric points (kept 14 days by default), written in batches by the monitoring sink. */
export const metricPointsMinute = pgTable('metric_points_1m', metricPointColumns(), (table) => [
  uniqueIndex('metric_points_1m_series_idx').on(table.source, table.providerId, table.provider, table.model, table.route, table.key, table.start),
  // One metric of one provider over a time range (`llm-lab monitor series --provider`): by id or family.
  index('metric_points_1m_provider_id_start_idx').on(table.providerId, table.start),
  index('metric_points_1m_provider_start_idx').on(table.provider, table.start),
  // Retention deletes by age.
  index('metric_points_1m_start_idx').on(table.start),
  // Points the hourly roll-up has not read yet (a small set).
  index('metric_points_1m_pending_idx').on(table.start).where(sql`${table.rolledUp} IS DISTINCT FROM ${table.revision}`),
]);

/** 1-hour metric points (kept a year by default): the roll-up of the minute points, sketches merged. */
export const metricPointsHour = pgTable('metric_points_1h', metricPointColumns(), (table) => [
  uniqueIndex('metric_points_1h_series_idx').on(table.source, table.providerId, table.provider, table.model, table.route, table.key, table.start),
  index('metric_points_1h_provider_id_start_idx').on(table.providerId, table.start),
  index('metric_points_1h_provider_start_idx').on(table.provider, table.start),
  index('metric_points_1h_start_idx').on(table.start),
]);

/** Every table, for drizzle-kit and for typed queries. */

/**
 * The audit log: who did what, when, from where, at what cost. Append-only and tamper-evident:
 * each entry's `hash` is SHA-256 over its canonical content and the previous entry's hash
 * (computed by @llm-lab/security's audit chain, which also verifies it). `seq` is the entry's
 * place in the chain: its primary key makes two processes that append at once after the same
 * entry collide, so the chain never forks (the loser appends again after the winner).
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** `cli`, `gateway-key` or `dashboard`. */
    actorKind: text('actor_kind').notNull(),
    /** The user name, or the gateway key's id and name. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    /** What it was done to: a run id, a key id, a secret's reference (never its value). */
    target: text('target'),
    host: text('host'),
    pid: integer('pid'),
    ip: text('ip'),
    costUsd: doublePrecision('cost_usd'),
    /** Canonical JSON text of further details (text, not jsonb: hashed as written). */
    details: text('details'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [index('audit_log_at_idx').on(table.at, table.seq)],
);

export const schema = { runs, results, requests, gatewayKeys, batches, metricPointsMinute, metricPointsHour, auditLog };
