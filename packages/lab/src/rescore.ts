import { resolve } from 'node:path';
import {
  ConfigError,
  evaluatorEntrySchema,
  LLMLabError,
  loadEvaluatorEntries,
  messageToolCalls,
  type ChatMessage,
  type EvaluatorEntry,
  type LabConfig,
  type LanguageModelProvider,
  type LoadedConfig,
  type ToolCall,
} from '@llm-lab/core';
import {
  BatchedResultWriter,
  isTemplateError,
  loadEvaluators,
  parsePlan,
  summariseStoredRun,
  type EvaluationInput,
  type EvaluationProgress,
  type Evaluator,
  type NewResult,
  type ScoreRecord,
} from '@llm-lab/evaluation';
import { eachResult, generateRunId, type ResultRecord, type RunRecord, type Storage } from '@llm-lab/storage';
import { markFailed, providerReferencesIn, recordOutcome, redactConfig, safeUserName, type RunHost, type RunReport } from './run-orchestrator.js';
import type { KeyManager } from '@llm-lab/security';
import { createWithSecrets, readProviderSecrets } from './provider-secrets.js';

// Re-scoring a stored run: its outputs, read page by page, go through new or changed evaluators
// and are stored as a new run that names the original. The evaluated models are never called; a
// model-graded evaluator calls its judge, which is scoring, as in any run.

/** Where a rescore's evaluators come from. */
export type RescoreEvaluators =
  /** An evaluators file: a YAML or JSON list of entries, or `evaluators:` with optional `providers:` (judges), `plugins:`, `thresholds:`. */
  | { file: string }
  /** Entries built in code, as a config's `evaluators:` list. */
  | { entries: readonly unknown[] }
  /** A whole config: its evaluators, providers (for judges), plugins, thresholds and groups. */
  | { config: LoadedConfig };

export interface RescoreOptions {
  /** Evaluations in flight at once (judges are calls). Default 8. */
  concurrency?: number;
  /** Stops reading: the results scored so far are stored and the new run is `cancelled`. */
  signal?: AbortSignal;
  /** Called once the new run is stored, before any result is scored. */
  onStart?: (run: { id: string; rescoreOf: string; storage: string }) => void;
  onProgress?: (progress: EvaluationProgress) => void;
  onWarning?: (message: string) => void;
}

/** What a rescore reports: a run report, and the run it re-scored. */
export interface RescoreReport extends RunReport {
  rescoreOf: string;
}

/** The link a re-scored run keeps to its original, in its resolved config (see {@link rescoredFrom}). */
export interface RescoreLink {
  /** The original run's id. */
  of: string;
  /** The evaluators file or config the scores came from; null for entries built in code. */
  evaluatorsFrom: string | null;
}

/** The run a stored run re-scored, or undefined for a run that ran its models. */
export function rescoredFrom(run: Pick<RunRecord, 'resolvedConfig'>): RescoreLink | undefined {
  const link = (run.resolvedConfig as { rescore?: unknown } | null | undefined)?.rescore;
  if (link === null || typeof link !== 'object' || typeof (link as { of?: unknown }).of !== 'string') return undefined;
  const from = (link as { evaluatorsFrom?: unknown }).evaluatorsFrom;
  return { of: (link as { of: string }).of, evaluatorsFrom: typeof from === 'string' ? from : null };
}

/** Results read from the original run per page. */
const PAGE_SIZE = 500;

interface ScoringSetup {
  entries: EvaluatorEntry[];
  providers: LabConfig['providers'];
  plugins: LabConfig['plugins'];
  thresholds: LabConfig['thresholds'] | undefined;
  groups: LabConfig['groups'];
  storage: { url?: string; dataDir?: string };
  file: string | undefined;
  baseDir: string;
  /** The config's `security:` block: where the judges' secret references are read. */
  security?: LabConfig['security'];
}

async function scoringSetup(host: RunHost, source: RescoreEvaluators): Promise<ScoringSetup> {
  if ('config' in source) {
    const { config, file, baseDir } = source.config;
    if (config.evaluators.length === 0) {
      throw new ConfigError({ ...(file ? { file } : {}), path: 'evaluators', message: 'this config has no evaluators to re-score with. List some under evaluators:.' });
    }
    return {
      entries: config.evaluators,
      providers: config.providers,
      plugins: config.plugins,
      thresholds: config.thresholds,
      groups: config.groups,
      storage: {
        ...(config.storage.url ? { url: config.storage.url } : {}),
        ...(config.storage.dataDir ? { dataDir: resolve(baseDir, config.storage.dataDir) } : {}),
      },
      file,
      baseDir,
      ...(config.security ? { security: config.security } : {}),
    };
  }
  if ('file' in source) {
    const loaded = await loadEvaluatorEntries(resolve(host.cwd, source.file));
    return { entries: loaded.evaluators, providers: loaded.providers, plugins: loaded.plugins, thresholds: loaded.thresholds, groups: undefined, storage: {}, file: loaded.file, baseDir: loaded.baseDir };
  }
  if (source.entries.length === 0) throw new ConfigError({ path: 'evaluators', message: 'give at least one evaluator to re-score with.' });
  const entries = source.entries.map((entry, index) => {
    const parsed = evaluatorEntrySchema.safeParse(entry);
    if (!parsed.success) throw new ConfigError({ path: `evaluators[${index}]`, message: 'an evaluator entry is an object with a type, e.g. { type: equals, value: "{{answer}}" }.' });
    return parsed.data;
  });
  return { entries, providers: [], plugins: [], thresholds: undefined, groups: undefined, storage: {}, file: undefined, baseDir: host.cwd };
}

/** Judges: an entry of the setup's providers by label or id (its keys and base URL apply), else a provider from the registry. */
function judgeFactory(host: RunHost, providers: LabConfig['providers'], keys: KeyManager) {
  return (id: string, providerConfig: Record<string, unknown>): LanguageModelProvider => {
    if (Object.keys(providerConfig).length === 0) {
      const entry = providers.find((candidate) => (typeof candidate === 'string' ? candidate === id : candidate.label === id || candidate.id === id));
      if (entry !== undefined) {
        return typeof entry === 'string'
          ? host.registry.create(entry, {}, host.logger)
          : createWithSecrets(entry.config, keys, (config) => host.registry.create(entry.id, config, host.logger));
      }
    }
    return host.registry.create(id, providerConfig, host.logger);
  };
}

/**
 * Re-scores the stored run `idOrPrefix` with `source`'s evaluators, as a new run linked to it.
 * The original's outputs are read page by page (memory stays at a page and the writer's batch);
 * a result whose call failed is copied with its error (there is no output to score). Summaries,
 * intervals, groups and thresholds are computed from the new run's stored results, as for any run.
 */
export async function rescoreRun(host: RunHost, idOrPrefix: string, source: RescoreEvaluators, options: RescoreOptions = {}): Promise<RescoreReport> {
  const setup = await scoringSetup(host, source);
  const storage = await host.openStorage(setup.storage);
  const original = await storage.getRun(idOrPrefix);
  if (!original) throw new LLMLabError('run_not_found', `No run '${idOrPrefix}' to re-score. List runs with 'llm-lab runs list'.`);
  const warn = options.onWarning ?? ((message: string) => host.logger?.warn(message));
  if (original.status === 'running' && (await storage.heldRuns([original.id])).has(original.id)) {
    throw new LLMLabError('run_in_progress', `Run ${original.id} is still running; re-score it once it has finished.`);
  }
  if (original.status !== 'completed') warn(`Run ${original.id} is ${original.status}: only the results it stored are re-scored.`);

  for (const plugin of setup.plugins) await host.registry.loadPlugin(plugin, { cwd: setup.baseDir });
  await host.registry.load(providerReferencesIn({ evaluators: setup.entries, providers: setup.providers }));
  const keys = host.keysFor(setup.security, setup.baseDir);
  await readProviderSecrets(setup.providers, keys);
  const evaluators = await loadEvaluators(setup.entries, {
    baseDir: setup.baseDir,
    ...(setup.file ? { file: setup.file } : {}),
    createProvider: judgeFactory(host, setup.providers, keys),
  });

  const originalConfig = (original.resolvedConfig ?? {}) as Partial<LabConfig> & { plan?: unknown };
  const thresholds = setup.thresholds ?? originalConfig.thresholds ?? { maxErrorRate: 0.1 };
  const groups = setup.groups ?? originalConfig.groups;
  const description = original.description ?? undefined;
  const link: RescoreLink = { of: original.id, evaluatorsFrom: setup.file ?? null };
  const startedAt = new Date();
  const runId = generateRunId(startedAt);
  // No plan is stored: this run is made of stored outputs, and nothing may execute it again.
  const { plan: _plan, ...kept } = originalConfig;
  await storage.createRun({
    id: runId,
    description: original.description,
    configFile: setup.file ?? null,
    config: redactConfig({ rescore: link.of, evaluators: setup.entries }),
    resolvedConfig: { ...(redactConfig({ ...kept, evaluators: setup.entries, thresholds, ...(groups ? { groups } : {}) }) as Record<string, unknown>), rescore: link },
    createdBy: safeUserName(),
    startedAt,
  });
  const hold = await storage.holdRun(runId);
  try {
    options.onStart?.({ id: runId, rescoreOf: original.id, storage: storage.location });
    let status: 'completed' | 'cancelled';
    try {
      status = await scoreInto(storage, original, runId, evaluators, options);
    } catch (error) {
      await markFailed(storage, runId, startedAt, error);
      throw error;
    }
    const plan = parsePlan(originalConfig.plan);
    const summary = original.summary as { providers?: Array<{ providerId: string; promptId: string }> } | null;
    const providers = plan?.providers ?? [...new Set(summary?.providers?.map((entry) => entry.providerId) ?? [])];
    const prompts = plan?.prompts ?? [...new Set(summary?.providers?.map((entry) => entry.promptId) ?? [])];
    const stored = await summariseStoredRun(storage, runId, {
      providers,
      prompts,
      repeat: plan?.repeat ?? 1,
      answerers: answerersOf(originalConfig.providers ?? []),
      ...(original.totals ? { cases: original.totals.cases, invalidRows: original.totals.invalidRows } : {}),
    });
    const report = await recordOutcome(
      storage,
      { thresholds, groups, description },
      runId,
      startedAt,
      { status, ...stored, invalidRows: [], warnings: [] },
    );
    return { ...report, rescoreOf: original.id };
  } finally {
    await hold.release();
  }
}

/** Per provider label, the names its own answers carry: its id and its members' (as the run counted them). */
function answerersOf(entries: LabConfig['providers']): Map<string, string[]> {
  const answerers = new Map<string, string[]>();
  for (const entry of entries) {
    if (typeof entry === 'string') answerers.set(entry, [entry]);
    else {
      const members = ((entry as { members?: unknown }).members as unknown[] | undefined) ?? [];
      const names = members.map((member) => (typeof member === 'string' ? member : ((member as { label?: string; id?: string }).label ?? (member as { id?: string }).id))).filter((name): name is string => typeof name === 'string');
      answerers.set(entry.label ?? entry.id, [entry.id, ...names]);
    }
  }
  return answerers;
}

/** Reads the original's results page by page, scores them `concurrency` at a time and writes them in batches. */
async function scoreInto(storage: Storage, original: RunRecord, runId: string, evaluators: readonly Evaluator[], options: RescoreOptions): Promise<'completed' | 'cancelled'> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const writer = new BatchedResultWriter(storage);
  writer.start();
  const total = original.totals?.results ?? (await storage.countResults(original.id));
  const progress: EvaluationProgress = { done: 0, total, passed: 0, failed: 0, errors: 0, skipped: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const result of eachResult(storage, { runId: original.id }, PAGE_SIZE)) {
      if (options.signal?.aborted || failure || writer.failure) break;
      const task = rescoreResult(result, runId, evaluators, options.signal)
        .then(async (rescored) => {
          if (options.signal?.aborted) return;
          await writer.add(rescored);
          progress.done += 1;
          if (rescored.errorKind !== null || rescored.passed === null) progress.errors += 1;
          else if (rescored.passed) progress.passed += 1;
          else progress.failed += 1;
          options.onProgress?.({ ...progress });
        })
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await writer.close();
  }
  if (failure) throw failure.error;
  return options.signal?.aborted ? 'cancelled' : 'completed';
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One stored result scored by `evaluators`, as a result of run `runId`. What the call produced
 * (output, tokens, latency, cost, who answered) is kept; scores and pass/fail are new. A result
 * whose call failed keeps its error; one whose old evaluator failed is scored afresh.
 */
export async function rescoreResult(result: ResultRecord, runId: string, evaluators: readonly Evaluator[], signal?: AbortSignal): Promise<NewResult> {
  const { id: _id, score: _score, createdAt: _createdAt, ...stored } = result;
  const copy: NewResult = { ...stored, runId };
  if (result.output === null || (result.errorKind !== null && result.errorKind !== 'evaluator')) return copy;
  const vars = (result.vars ?? {}) as Record<string, unknown>;
  const messages = Array.isArray(result.prompt) ? (result.prompt as ChatMessage[]) : undefined;
  const toolCalls: ToolCall[] = messages?.flatMap((message) => messageToolCalls(message)) ?? [];
  // A result of tool calls stores the whole conversation; the prompt is what came before the model's first turn.
  const firstTurn = messages?.findIndex((message) => message.role === 'assistant') ?? -1;
  const input: EvaluationInput = {
    output: result.output,
    vars,
    case: { id: result.caseId, index: result.caseIndex, vars, line: result.caseIndex + 1 },
    ...(messages ? { prompt: firstTurn >= 0 ? messages.slice(0, firstTurn) : messages } : {}),
    toolCalls,
    ...(toolCalls.length > 0 && messages ? { transcript: messages } : {}),
    response: {
      latencyMs: result.latencyMs ?? 0,
      usage: { inputTokens: result.inputTokens ?? 0, outputTokens: result.outputTokens ?? 0, totalTokens: (result.inputTokens ?? 0) + (result.outputTokens ?? 0) },
      ...(result.timeToFirstTokenMs !== null ? { timeToFirstTokenMs: result.timeToFirstTokenMs } : {}),
      ...(result.costUsd !== null ? { costUsd: result.costUsd } : {}),
    },
    ...(signal ? { signal } : {}),
  };
  const scores: ScoreRecord[] = [];
  for (const evaluator of evaluators) {
    try {
      scores.push(await evaluator.evaluate(input));
    } catch (error) {
      return {
        ...copy,
        scores,
        passed: null,
        errorKind: isTemplateError(error) ? 'template' : 'evaluator',
        errorMessage: `evaluator '${evaluator.name}' (${evaluator.type}) could not score the output: ${messageOf(error)}`,
      };
    }
  }
  return { ...copy, scores, passed: scores.every((score) => score.passed), errorKind: null, errorMessage: null };
}
