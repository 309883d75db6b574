import { ProviderError, isProviderError } from '../errors.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import type {
  BatchItemResult,
  BatchOptions,
  CallOptions,
  CostBreakdown,
  GenerateRequest,
  GenerateResponse,
  LanguageModelProvider,
  ModelCapabilities,
  ModelInfo,
  ProviderWarning,
  StreamPart,
  TokenUsage,
  ToolCall,
} from './types.js';
import { CONTRACT_VERSION } from './version.js';
import { capabilityWarnings, validateMessage, validateTools, withoutCoveredWarnings } from './validate-request.js';

/**
 * The common half of every provider: request validation, batching as bounded concurrent calls,
 * cost from the model's prices, and collecting a stream into a whole response. A provider
 * extends it and implements `generate`, `streamGenerate` and `getModelInfo`.
 */
export abstract class BaseProvider implements LanguageModelProvider {
  readonly contractVersion: string = CONTRACT_VERSION;
  abstract readonly provider: string;
  abstract readonly model: string;

  // Not a #private field: providers are often wrapped in a Proxy (plugins, tests), and a Proxy
  // cannot reach a wrapped object's #private fields.
  private idText: string | undefined;

  /** `provider:model` (made once: provider and model do not change). */
  get id(): string {
    this.idText ??= `${this.provider}:${this.model}`;
    return this.idText;
  }

  abstract generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse>;
  abstract streamGenerate(request: GenerateRequest, options?: CallOptions): AsyncIterable<StreamPart>;
  abstract getModelInfo(): ModelInfo;

  /** Runs the requests as concurrent calls (bounded by `options.concurrency`, default 8). */
  async batchGenerate(requests: GenerateRequest[], options: BatchOptions = {}): Promise<BatchItemResult[]> {
    return batchThroughGenerate(requests, options, (request, callOptions) => this.generate(request, callOptions));
  }

  estimateCost(usage: TokenUsage): CostBreakdown | undefined {
    return costFromPricing(this.getModelInfo().pricing, usage);
  }

  /**
   * Throws a `bad-request` ProviderError naming the setting when a request is invalid, and
   * returns warnings for settings this provider cannot honour (listed in `unsupported`).
   */
  protected validateRequest(
    request: GenerateRequest,
    unsupported: ReadonlyArray<keyof GenerateRequest> = [],
  ): ProviderWarning[] {
    const invalid = (setting: string, expected: string, value: unknown): never => {
      throw new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `Invalid request setting '${setting}': expected ${expected}, got ${JSON.stringify(value)}.`,
      });
    };
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      invalid('messages', 'at least one message', request.messages);
    }
    request.messages.forEach((message, index) => validateMessage(message, index, invalid));
    validateTools(request, invalid);
    if (request.n !== undefined && (!Number.isInteger(request.n) || request.n < 1 || request.n > 128)) {
      invalid('n', 'a whole number from 1 to 128', request.n);
    }
    const range = (setting: keyof GenerateRequest, min: number, max: number) => {
      const value = request[setting];
      if (value === undefined) return;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        invalid(setting, `a number from ${min} to ${max}`, value);
      }
    };
    range('temperature', 0, 2);
    range('topP', 0, 1);
    range('presencePenalty', -2, 2);
    range('frequencyPenalty', -2, 2);
    for (const setting of ['maxTokens', 'topK'] as const) {
      const value = request[setting];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) invalid(setting, 'a positive integer', value);
    }
    if (request.seed !== undefined && !Number.isInteger(request.seed)) invalid('seed', 'an integer', request.seed);
    if (request.logprobs !== undefined && (!Number.isInteger(request.logprobs) || request.logprobs < 0 || request.logprobs > 20)) {
      invalid('logprobs', 'a whole number from 0 to 20', request.logprobs);
    }
    if (request.stop !== undefined && (!Array.isArray(request.stop) || request.stop.some((s) => typeof s !== 'string'))) {
      invalid('stop', 'an array of strings', request.stop);
    }
    const warnings = unsupported
      .filter((setting) => request[setting] !== undefined)
      .map((setting) => ({
        type: 'unsupported-setting' as const,
        setting,
        message: `${this.id} does not support '${setting}'; it was ignored.`,
      }));
    return [...warnings, ...capabilityWarnings(request, this.capabilitiesOrUndefined(), this.id, new Set<string>(unsupported))];
  }

  private capabilitiesOrUndefined(): ModelCapabilities | undefined {
    try {
      return this.getModelInfo().capabilities;
    } catch {
      return undefined;
    }
  }

  /**
   * Assembles a response from what a call produced. Without usage from the server, counts are 0,
   * cost is unknown and a warning says so; with it, cost comes from the model's prices.
   * `timeToFirstTokenMs` is set when `firstTokenAt` is given (streamed calls).
   */
  protected assembleResponse(parts: AssembledResponseParts): GenerateResponse {
    const { usage, startedAt, firstTokenAt, extra } = parts;
    const warnings = withoutCoveredWarnings(parts.warnings);
    const now = performance.now();
    // Built field by field (no rest/spread of the parts): this runs once per call.
    const response: GenerateResponse = {
      text: parts.text,
      finishReason: parts.toolCalls && parts.toolCalls.length > 0 && parts.finishReason === 'stop' ? 'tool-calls' : parts.finishReason,
      usage: usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      latencyMs: now - startedAt,
      warnings: usage
        ? warnings
        : [...warnings, { type: 'other', message: `${this.id}: the server reported no token usage; usage counts are 0 and cost is unknown.` }],
      providerId: this.id,
      model: parts.model || this.model,
    };
    if (firstTokenAt !== undefined) response.timeToFirstTokenMs = (firstTokenAt ?? now) - startedAt;
    const cost = usage ? this.estimateCost(usage) : undefined;
    if (cost) response.cost = cost;
    if (parts.rawId !== undefined) response.rawId = parts.rawId;
    if (parts.toolCalls && parts.toolCalls.length > 0) response.toolCalls = parts.toolCalls;
    if (parts.reasoning) response.reasoning = parts.reasoning;
    return extra ? Object.assign(response, extra) : response;
  }

  /** The last parts of a stream: the usage, then `finish` with the whole response. */
  protected streamEnd(parts: AssembledResponseParts): StreamPart[] {
    const response = this.assembleResponse({ ...parts, firstTokenAt: parts.firstTokenAt ?? null });
    return [
      { type: 'usage', usage: response.usage },
      { type: 'finish', response },
    ];
  }

  /** The error for a stream that ended before the vendor said it was finished (`what`: e.g. `a finish reason`). */
  protected streamCutShort(characters: number, what = 'a finish reason'): ProviderError {
    return new ProviderError({
      kind: 'invalid-response',
      providerId: this.id,
      message: `${this.id}: the stream ended without ${what} (after ${characters} characters), so the answer may be cut short. Retrying usually helps.`,
    });
  }

  /** Collects a stream into a whole response (for providers whose `generate` streams). */
  protected async collectStream(parts: AsyncIterable<StreamPart>): Promise<GenerateResponse> {
    for await (const part of parts) {
      if (part.type === 'finish') return part.response;
    }
    throw new ProviderError({
      kind: 'invalid-response',
      providerId: this.id,
      message: `${this.id} ended its stream without a finish part.`,
    });
  }

  /** Turns a cancelled or timed-out call into the matching ProviderError; passes others through. */
  protected normaliseAbort(error: unknown, options: CallOptions | undefined): unknown {
    if (isProviderError(error)) return error;
    if (options?.signal?.aborted) {
      return new ProviderError({ kind: 'cancelled', providerId: this.id, message: `${this.id}: the call was cancelled.`, cause: error });
    }
    return error;
  }
}

/**
 * A batch as concurrent `generate` calls (at most `options.concurrency`, default 8, at once); each
 * item says how its call went. What a provider without a vendor batch API offers as `batchGenerate`.
 */
export function batchThroughGenerate<O extends CallOptions>(
  requests: GenerateRequest[],
  options: O & { concurrency?: number },
  generate: (request: GenerateRequest, options: O) => Promise<GenerateResponse>,
): Promise<BatchItemResult[]> {
  // The batch-API options mean nothing to single calls.
  const { concurrency = 8, mode: _mode, itemIds: _itemIds, batchId: _batchId, onSubmitted: _onSubmitted, keepOnAbort: _keep, onBatchStatus: _status, ...callOptions } =
    options as O & BatchOptions;
  return mapConcurrent(requests, concurrency, async (request): Promise<BatchItemResult> => {
    try {
      return { ok: true, response: await generate(request, callOptions as unknown as O) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  });
}

/** What {@link BaseProvider.assembleResponse} builds a response from. */
export interface AssembledResponseParts {
  text: string;
  finishReason: GenerateResponse['finishReason'];
  /** Undefined when the server reported none. */
  usage: TokenUsage | undefined;
  /** The tool calls the model made (a `stop` finish becomes `tool-calls` when there are some). */
  toolCalls?: ToolCall[] | undefined;
  /** Reasoning text, where the vendor returns it. */
  reasoning?: string | undefined;
  /** `performance.now()` when the call started. */
  startedAt: number;
  /** `performance.now()` of the first text delta; `null` for a stream that produced none; absent for a whole answer. */
  firstTokenAt?: number | null;
  warnings: ProviderWarning[];
  /** The model the vendor reported (default: the provider's). */
  model?: string | undefined;
  rawId?: string | undefined;
  /** More response fields (e.g. `logprobs`). */
  extra?: Partial<GenerateResponse>;
}

/** Cost of `usage` at `pricing` (US dollars per million tokens); undefined without pricing. */
export function costFromPricing(pricing: ModelInfo['pricing'], usage: TokenUsage): CostBreakdown | undefined {
  if (!pricing) return undefined;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cachedPrice = pricing.cachedInputPerMillion ?? pricing.inputPerMillion;
  const inputUsd = ((usage.inputTokens - cached) * pricing.inputPerMillion + cached * cachedPrice) / 1_000_000;
  const outputUsd = (usage.outputTokens * pricing.outputPerMillion) / 1_000_000;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
}
