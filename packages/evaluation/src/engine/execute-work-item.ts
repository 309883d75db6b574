import {
  isProviderError,
  ProviderError,
  type CallOptions,
  type ChatMessage,
  type GenerateRequest,
  type GenerateResponse,
  type SamplingConfig,
} from '@llm-lab/core';
import type { DatasetCase } from '../datasets/types.js';
import { isTemplateError } from '../errors.js';
import { casePassed, type CaseChecks, type RowChecks } from '../evaluators/row-checks.js';
import type { Evaluator } from '../evaluators/types.js';
import type { CompiledPrompt } from '../prompts/compile-prompts.js';
import type { NewResult, ScoreRecord } from '../storage-contract.js';
import { answerCase, type AnsweredCase } from './tool-loop.js';
import type { EngineProvider } from './types.js';

/** One unit of work: a case, sent with a prompt to a provider, for one repeat. */
export interface WorkItem {
  datasetCase: DatasetCase;
  prompt: CompiledPrompt;
  provider: EngineProvider;
  repeat: number;
}

/** What every work item of a run shares. */
export interface WorkContext {
  runId: string;
  defaults: SamplingConfig;
  evaluators: readonly Evaluator[];
  stream: boolean;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
  /** The checks rows carry themselves (`assert`, `__expected` columns), run after `evaluators`. */
  rowChecks?: RowChecks | undefined;
  /** Turns a case's raw row into the fields prompts and evaluators use (see RunEvaluationOptions.prepareCase). */
  prepareCase?: ((vars: Record<string, unknown>) => Record<string, unknown>) | undefined;
}

/** `defaults` overridden by `overrides`; fields set to undefined do not erase a default. */
export function mergeSampling(defaults: SamplingConfig, overrides: SamplingConfig): SamplingConfig {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged as SamplingConfig;
}

/** mergeSampling of run defaults and each provider's settings, made once per provider (both are fixed for a run). */
const mergedSampling = new WeakMap<SamplingConfig, { defaults: SamplingConfig; merged: SamplingConfig }>();
function samplingFor(defaults: SamplingConfig, settings: SamplingConfig): SamplingConfig {
  const known = mergedSampling.get(settings);
  if (known?.defaults === defaults) return known.merged;
  const merged = mergeSampling(defaults, settings);
  mergedSampling.set(settings, { defaults, merged });
  return merged;
}

/** Calls the provider, streaming when asked; fills in time to first token if the provider did not. */
async function call(item: WorkItem, request: GenerateRequest, callOptions: CallOptions, stream: boolean): Promise<GenerateResponse> {
  const { provider } = item.provider;
  if (!stream) return provider.generate(request, callOptions);
  const startedAt = performance.now();
  let firstTokenAt: number | undefined;
  for await (const part of provider.streamGenerate(request, callOptions)) {
    if (part.type === 'text-delta' && firstTokenAt === undefined) firstTokenAt = performance.now();
    if (part.type === 'finish') {
      const measured = firstTokenAt === undefined ? undefined : firstTokenAt - startedAt;
      const timeToFirstTokenMs = part.response.timeToFirstTokenMs ?? measured;
      return timeToFirstTokenMs === undefined ? part.response : { ...part.response, timeToFirstTokenMs };
    }
  }
  throw new ProviderError({
    kind: 'invalid-response',
    providerId: provider.id,
    message: `${provider.id} ended its stream without a finish part.`,
  });
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * What a run can do about a rate-limited call, added to the result's message. Providers do not
 * name the engine's settings (they also answer gateway and library calls); the engine does.
 */
export const RATE_LIMIT_ADVICE =
  'For this run: lower run.concurrency (or --concurrency), or set a rateLimit or concurrency limit on the provider entry.';

/**
 * Runs one work item: renders the prompt, calls the provider, scores the output. Every failure
 * becomes part of the result (`errorKind`: the ProviderError kind, `template`, `evaluator` or
 * `unknown`; `passed: null`), so one bad case never stops the run. With no evaluators, a
 * successful call counts as passed. Returns undefined when the call failed because the run was
 * cancelled: that item was not really done, and a resume must redo it.
 */
export async function executeWorkItem(item: WorkItem, context: WorkContext): Promise<NewResult | undefined> {
  const { prompt, provider, repeat } = item;
  let { datasetCase } = item;
  let preparationError: unknown;
  if (context.prepareCase) {
    try {
      datasetCase = { ...datasetCase, vars: context.prepareCase(datasetCase.vars) };
    } catch (error) {
      preparationError = error;
    }
  }
  const result: NewResult = {
    runId: context.runId,
    caseId: datasetCase.id,
    caseIndex: datasetCase.index,
    providerId: provider.label,
    provider: provider.provider.id,
    model: null,
    promptId: prompt.id,
    repeat,
    prompt: null,
    vars: datasetCase.vars,
    output: null,
    passed: null,
    scores: [],
    latencyMs: null,
    timeToFirstTokenMs: null,
    queueMs: null,
    inputTokens: null,
    outputTokens: null,
    costUsd: null,
    cached: false,
    attempts: 0,
    errorKind: null,
    errorMessage: null,
    warnings: [],
  };

  if (preparationError !== undefined) {
    return { ...result, errorKind: 'template', errorMessage: `could not prepare case ${datasetCase.id}: ${messageOf(preparationError)}` };
  }
  let rowChecks: CaseChecks | undefined;
  try {
    rowChecks = context.rowChecks?.forCase(datasetCase);
  } catch (error) {
    return { ...result, errorKind: 'evaluator', errorMessage: messageOf(error) };
  }
  const evaluators = rowChecks && rowChecks.evaluators.length > 0 ? [...context.evaluators, ...rowChecks.evaluators] : context.evaluators;
  let messages: ChatMessage[];
  let promptFields: ReturnType<CompiledPrompt['requestFields']>;
  try {
    messages = prompt.render(datasetCase.vars);
    promptFields = prompt.requestFields(datasetCase.vars);
  } catch (error) {
    return { ...result, errorKind: isTemplateError(error) ? 'template' : 'unknown', errorMessage: messageOf(error) };
  }
  result.prompt = messages;

  const request: GenerateRequest = {
    ...samplingFor(context.defaults, provider.settings),
    messages,
    ...promptFields,
    context: { caseId: datasetCase.id, vars: datasetCase.vars, repeat, runId: context.runId },
  };
  const callOptions: CallOptions = {
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.timeoutMs !== undefined ? { timeoutMs: context.timeoutMs } : {}),
  };

  const startedAt = performance.now();
  let response: GenerateResponse;
  let answered: AnsweredCase;
  try {
    answered = await answerCase(prompt.toolLoop, request, (next) => call(item, next, callOptions, context.stream), datasetCase, context.signal);
    response = answered.response;
  } catch (error) {
    if (context.signal?.aborted) return undefined;
    const failure = isProviderError(error) ? error : undefined;
    return {
      ...result,
      latencyMs: performance.now() - startedAt,
      // The calls a retrying layer (the provider manager) made before giving up; else the one that failed.
      attempts: failure?.attempts ?? 1,
      errorKind: failure ? failure.kind : 'unknown',
      errorMessage: failure?.kind === 'rate-limit' ? `${messageOf(error)} ${RATE_LIMIT_ADVICE}` : messageOf(error),
    };
  }
  // Set field by field on the one result object (this runs once per case).
  result.output = response.text;
  result.latencyMs = response.latencyMs;
  result.timeToFirstTokenMs = response.timeToFirstTokenMs ?? null;
  result.queueMs = response.queueMs ?? null;
  result.inputTokens = response.usage.inputTokens;
  result.outputTokens = response.usage.outputTokens;
  result.costUsd = response.cost?.totalUsd ?? null;
  result.cached = response.cached ?? false;
  result.attempts = response.attempts ?? 1;
  result.answeredBy = response.answeredBy ?? null;
  result.model = response.model || null;
  result.warnings = response.warnings;
  if (answered.transcript) result.prompt = answered.transcript;

  const scores: ScoreRecord[] = [];
  for (const evaluator of evaluators) {
    try {
      scores.push(
        await evaluator.evaluate({
          output: response.text,
          vars: datasetCase.vars,
          case: datasetCase,
          prompt: messages,
          toolCalls: answered.toolCalls,
          ...(answered.transcript ? { transcript: answered.transcript } : {}),
          ...(request.responseFormat ? { responseFormat: request.responseFormat } : {}),
          response: {
            latencyMs: response.latencyMs,
            usage: response.usage,
            ...(response.timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs: response.timeToFirstTokenMs } : {}),
            ...(response.cost ? { costUsd: response.cost.totalUsd } : {}),
            ...(response.logprobs ? { logprobs: response.logprobs } : {}),
          },
          provider: provider.provider,
          ...(context.signal ? { signal: context.signal } : {}),
        }),
      );
    } catch (error) {
      return {
        ...result,
        scores,
        errorKind: isTemplateError(error) ? 'template' : 'evaluator',
        errorMessage: `evaluator '${evaluator.name}' (${evaluator.type}) could not score the output: ${messageOf(error)}`,
      };
    }
  }
  result.scores = scores;
  result.passed = casePassed(scores, evaluators, rowChecks?.threshold);
  return result;
}
