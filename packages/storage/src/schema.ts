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
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { RunStatus, RunTotals, ScoreRecord } from './types.js';

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
    providerId: text('provider_id').notNull(),
    promptId: text('prompt_id').notNull(),
    repeat: integer('repeat').notNull().default(0),
    prompt: jsonb('prompt').$type<unknown>(),
    vars: jsonb('vars').$type<unknown>(),
    output: text('output'),
    passed: boolean('passed'),
    scores: jsonb('scores').$type<ScoreRecord[]>().notNull().default(sql`'[]'::jsonb`),
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
    index('results_run_case_idx').on(table.runId, table.caseIndex),
  ],
);

/** Every table, for drizzle-kit and for typed queries. */
export const schema = { runs, results };
