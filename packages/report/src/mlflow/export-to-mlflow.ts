import { LLMLabError } from '@llm-lab/core';
import type { GroupSummary, ProviderSummary } from '@llm-lab/evaluation';
import type { RunRecord } from '@llm-lab/storage';
import type { CollectOptions, ReportSource } from '../collect.js';
import { buildReport } from '../write-report.js';
import { MAX_PARAM_VALUE, MlflowClient, type MlflowClientOptions, type MlflowKeyValue, type MlflowMetric } from './mlflow-client.js';

export interface MlflowExportOptions extends MlflowClientOptions {
  /** The experiment to log to, created when missing (default `llm-lab`). */
  experiment?: string;
  /** Options of the HTML report uploaded as an artifact. */
  report?: CollectOptions;
}

export interface MlflowExportSummary {
  experimentId: string;
  /** The MLflow run's id. */
  mlflowRunId: string;
  metrics: number;
  params: number;
  /** log-batch requests made (MLflow caps what one may carry). */
  batches: number;
  /** Artifact paths uploaded. */
  artifacts: string[];
  /** The run's page on the tracking server. */
  url: string;
}

/** An MLflow key: letters, digits, `_ - . / ` and spaces only (a provider label's `:` becomes `_`). */
export const mlflowKey = (text: string): string => text.replace(/[^A-Za-z0-9_\-. /]/g, '_').slice(0, 250);

const seriesKey = (summary: Pick<ProviderSummary, 'providerId' | 'promptId'>) => mlflowKey(summary.promptId === 'default' ? summary.providerId : `${summary.providerId}/${summary.promptId}`);

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The metrics of a run: totals, then per provider (and prompt) with interval bounds, then per group. */
export function runMetrics(run: RunRecord, timestamp: number): MlflowMetric[] {
  const metrics: MlflowMetric[] = [];
  const add = (key: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) metrics.push({ key: mlflowKey(key), value, timestamp, step: 0 });
  };
  const totals = run.totals;
  if (totals) {
    add('results', totals.results);
    add('passed', totals.passed);
    add('failed', totals.failed);
    add('errors', totals.errors);
    add('accuracy', totals.passed + totals.failed === 0 ? null : totals.passed / (totals.passed + totals.failed));
    add('cost_usd', totals.costUsd);
    add('input_tokens', totals.inputTokens);
    add('output_tokens', totals.outputTokens);
  }
  const summary = (run.summary ?? {}) as { providers?: ProviderSummary[]; groups?: GroupSummary[] };
  for (const provider of summary.providers ?? []) {
    const key = seriesKey(provider);
    add(`${key}.accuracy`, provider.accuracy);
    add(`${key}.accuracy_lower`, provider.accuracyInterval?.lower);
    add(`${key}.accuracy_upper`, provider.accuracyInterval?.upper);
    add(`${key}.results`, provider.results);
    add(`${key}.passed`, provider.passed);
    add(`${key}.failed`, provider.failed);
    add(`${key}.errors`, provider.errors);
    add(`${key}.error_rate`, provider.errorRate);
    add(`${key}.latency_p50_ms`, provider.latencyMs?.p50);
    add(`${key}.latency_p95_ms`, provider.latencyMs?.p95);
    add(`${key}.latency_mean_ms`, provider.latencyMeanMs?.mean);
    add(`${key}.latency_mean_ms_lower`, provider.latencyMeanMs?.lower);
    add(`${key}.latency_mean_ms_upper`, provider.latencyMeanMs?.upper);
    add(`${key}.cost_usd`, provider.costUsd);
    add(`${key}.cost_per_result_usd`, provider.costPerCaseUsd?.mean);
    add(`${key}.cost_per_result_usd_lower`, provider.costPerCaseUsd?.lower);
    add(`${key}.cost_per_result_usd_upper`, provider.costPerCaseUsd?.upper);
    add(`${key}.input_tokens`, provider.inputTokens);
    add(`${key}.output_tokens`, provider.outputTokens);
    for (const evaluator of provider.evaluators ?? []) {
      add(`${key}.eval.${evaluator.name}.accuracy`, evaluator.accuracy);
      add(`${key}.eval.${evaluator.name}.accuracy_lower`, evaluator.accuracyInterval?.lower);
      add(`${key}.eval.${evaluator.name}.accuracy_upper`, evaluator.accuracyInterval?.upper);
    }
  }
  for (const groups of summary.groups ?? []) {
    const key = seriesKey(groups);
    add(`${key}.macro_accuracy`, groups.macro.accuracy);
    add(`${key}.macro_accuracy_lower`, groups.macro.interval?.lower);
    add(`${key}.macro_accuracy_upper`, groups.macro.interval?.upper);
    for (const group of [...groups.groups, ...(groups.categories ?? [])]) {
      add(`${key}.${groups.by}.${group.name}.accuracy`, group.accuracy);
      add(`${key}.${groups.by}.${group.name}.accuracy_lower`, group.interval?.lower);
      add(`${key}.${groups.by}.${group.name}.accuracy_upper`, group.interval?.upper);
    }
  }
  return metrics;
}

/** The run's settings as MLflow params (each value cut to MLflow's 6,000 characters). */
export function runParams(run: RunRecord): MlflowKeyValue[] {
  const config = (run.resolvedConfig ?? {}) as {
    providers?: Array<string | { id: string; label?: string }>;
    prompts?: unknown[];
    evaluators?: Array<{ type?: string; name?: string }>;
    dataset?: { path?: string; name?: string; huggingface?: unknown; rows?: unknown[] };
    runOptions?: Record<string, unknown>;
    run?: Record<string, unknown>;
  };
  const params: Record<string, string> = { 'llm_lab.run_id': run.id, status: run.status, started_at: run.startedAt.toISOString() };
  if (run.description) params.description = run.description;
  if (run.configFile) params.config_file = run.configFile;
  for (const entry of config.providers ?? []) {
    const id = typeof entry === 'string' ? entry : entry.id;
    const label = typeof entry === 'string' ? entry : (entry.label ?? entry.id);
    params[`provider.${mlflowKey(label)}`] = id;
  }
  if (config.prompts) params.prompts = String(config.prompts.length);
  if (config.evaluators) params.evaluators = config.evaluators.map((evaluator) => evaluator.name ?? evaluator.type ?? '?').join(', ');
  if (config.dataset) {
    const dataset = config.dataset;
    params.dataset = dataset.path ?? dataset.name ?? (dataset.huggingface ? JSON.stringify(dataset.huggingface) : dataset.rows ? `${dataset.rows.length} inline rows` : 'inline');
  }
  for (const [key, value] of Object.entries(config.runOptions ?? config.run ?? {})) {
    if (value !== undefined && value !== null && typeof value !== 'object') params[`run.${mlflowKey(key)}`] = String(value as string | number | boolean);
  }
  return Object.entries(params).map(([key, value]) => ({ key: mlflowKey(key), value: cut(value, MAX_PARAM_VALUE) }));
}

/**
 * Logs a stored run to an MLflow tracking server: a new MLflow run in the experiment (created
 * when missing) with the run's params, its metrics (totals, per provider with interval bounds,
 * per group), tags, and the HTML report and stored summary as artifacts; then marks it finished.
 * A failure after the MLflow run was created marks it FAILED before the error is thrown.
 */
export async function exportToMlflow(storage: ReportSource, runIdOrPrefix: string, options: MlflowExportOptions): Promise<MlflowExportSummary> {
  const client = new MlflowClient(options);
  const run = await storage.getRun(runIdOrPrefix);
  if (!run) throw new LLMLabError('run_not_found', `Run '${runIdOrPrefix}' is not a stored run. List runs with: llm-lab runs list`);
  const { html } = await buildReport(storage, run.id, options.report);
  const experimentId = await client.experimentId(options.experiment ?? 'llm-lab');
  const tags: MlflowKeyValue[] = [
    { key: 'mlflow.source.name', value: 'llm-lab' },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'llm_lab.run_id', value: run.id },
    ...(run.description ? [{ key: 'mlflow.note.content', value: cut(run.description, 8000) }] : []),
  ];
  const { runId: mlflowRunId, artifactUri } = await client.createRun(experimentId, run.description ? cut(`${run.description} (${run.id})`, 250) : run.id, run.startedAt.getTime(), tags);
  try {
    const timestamp = (run.finishedAt ?? run.startedAt).getTime();
    const metrics = runMetrics(run, timestamp);
    const params = runParams(run);
    const batches = await client.logBatch(mlflowRunId, { metrics, params });
    const artifacts = [
      await client.uploadArtifact(artifactUri, 'report.html', html, 'text/html; charset=utf-8'),
      await client.uploadArtifact(artifactUri, 'summary.json', JSON.stringify({ run: { id: run.id, status: run.status, totals: run.totals }, summary: run.summary }, null, 2), 'application/json'),
    ];
    await client.updateRun(mlflowRunId, run.status === 'completed' ? 'FINISHED' : run.status === 'cancelled' ? 'KILLED' : 'FAILED', (run.finishedAt ?? new Date()).getTime());
    return {
      experimentId,
      mlflowRunId,
      metrics: metrics.length,
      params: params.length,
      batches,
      artifacts,
      url: new URL(`#/experiments/${experimentId}/runs/${mlflowRunId}`, client.base).href,
    };
  } catch (error) {
    await client.updateRun(mlflowRunId, 'FAILED', Date.now()).catch(() => undefined);
    throw error;
  }
}
