import { resultOutcome, type ResultRecord } from '@llm-lab/storage';

/**
 * One stored result as a flat row: the columns of CSV and Parquet exports (and of `run --output
 * x.csv`), in order. The first fourteen are the ones `--output` always wrote; the rest were added
 * after them so existing spreadsheets keep their columns.
 */
export const RESULT_COLUMNS = [
  'case_id',
  'provider',
  'prompt',
  'repeat',
  'outcome',
  'score',
  'output',
  'reasons',
  'latency_ms',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'error_kind',
  'error_message',
  'case_index',
  'provider_id',
  'model',
  'answered_by',
  'time_to_first_token_ms',
  'queue_ms',
  'cached',
  'attempts',
  'scores',
] as const;

export type ResultColumn = (typeof RESULT_COLUMNS)[number];
export type FlatValue = string | number | boolean | null;
export type FlatRow = Record<string, FlatValue>;

/** The reasons of the evaluators that failed, one per line (`name: reason`). */
export function failureReasons(result: Pick<ResultRecord, 'scores'>): string {
  return result.scores
    .filter((score) => !score.passed)
    .map((score) => `${score.name}: ${score.reason ?? 'failed'}`)
    .join('\n');
}

/** Per-evaluator columns: `eval.<name>.score` and `eval.<name>.passed`, for each evaluator name given. */
export function evaluatorColumns(names: readonly string[]): string[] {
  return names.flatMap((name) => [`eval.${name}.score`, `eval.${name}.passed`]);
}

/**
 * A result as a flat row: {@link RESULT_COLUMNS} (`scores` as JSON: every evaluator's name,
 * verdict, score and reason), then a score and a verdict column per evaluator in `evaluators`.
 * `prompt` is the prompt variant's id; the rendered prompt and the case's row are in JSON lines.
 */
export function flattenResult(result: ResultRecord, evaluators: readonly string[] = []): FlatRow {
  const row: FlatRow = {
    case_id: result.caseId,
    provider: result.providerId,
    prompt: result.promptId,
    repeat: result.repeat,
    outcome: resultOutcome(result),
    score: result.score,
    output: result.output,
    reasons: failureReasons(result),
    latency_ms: result.latencyMs,
    input_tokens: result.inputTokens,
    output_tokens: result.outputTokens,
    cost_usd: result.costUsd,
    error_kind: result.errorKind,
    error_message: result.errorMessage,
    case_index: result.caseIndex,
    provider_id: result.provider,
    model: result.model,
    answered_by: result.answeredBy ?? null,
    time_to_first_token_ms: result.timeToFirstTokenMs,
    queue_ms: result.queueMs ?? null,
    cached: result.cached,
    attempts: result.attempts,
    scores: JSON.stringify(result.scores),
  };
  for (const name of evaluators) {
    const score = result.scores.find((candidate) => candidate.name === name);
    row[`eval.${name}.score`] = score ? score.score : null;
    row[`eval.${name}.passed`] = score ? score.passed : null;
  }
  return row;
}

/** One CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value as number | boolean);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line (with its newline) for these evaluators. */
export function csvHeader(evaluators: readonly string[] = []): string {
  return `${[...RESULT_COLUMNS, ...evaluatorColumns(evaluators)].map(csvField).join(',')}\n`;
}

/** A result as one CSV line (with its newline), columns as {@link csvHeader}. */
export function csvLine(result: ResultRecord, evaluators: readonly string[] = []): string {
  const row = flattenResult(result, evaluators);
  return `${[...RESULT_COLUMNS, ...evaluatorColumns(evaluators)].map((column) => csvField(row[column])).join(',')}\n`;
}

/** A result as one JSON line (with its newline): every stored field but the row id, and its outcome. */
export function jsonLine(result: ResultRecord): string {
  const { id: _id, ...rest } = result;
  return `${JSON.stringify({ ...rest, outcome: resultOutcome(result) })}\n`;
}
