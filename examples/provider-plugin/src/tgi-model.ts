import {
  BaseProvider,
  ProviderError,
  StreamAccumulator,
  startCallDeadline,
  withErrorPart,
  type CallDeadline,
  type CallOptions,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ProviderWarning,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import { mapTgiFinishReason } from './map-tgi-finish-reason.js';
import { readSseData } from './read-sse.js';
import { mapTgiHttpError, mapTgiStreamError, mapTgiTransportError, type TgiErrorContext } from './tgi-error.js';
import type { ResolvedTgiSettings } from './tgi-options.js';
import { buildTgiRequest, type BuiltTgiRequest } from './tgi-request.js';
import type { TgiErrorBody, TgiFinishReason, TgiGenerateResponse, TgiInfo, TgiStreamEvent } from './tgi-wire.js';

/** Context window assumed until `contextWindow` is configured or `fetchInfo()` reads the server's. */
export const DEFAULT_TGI_CONTEXT_WINDOW = 4096;

/** What a {@link TgiModel} is made from; `createTgi` supplies it. */
export interface TgiModelOptions {
  settings: ResolvedTgiSettings;
  /** The provider name in ids. Default `tgi`. */
  provider?: string;
}

/** Reads a whole-number header such as `x-prompt-tokens`; undefined when absent or not a number. */
function countHeader(headers: Headers, name: string): number | undefined {
  const value = headers.get(name);
  if (value === null || value.trim() === '') return undefined;
  const count = Number(value);
  return Number.isInteger(count) && count >= 0 ? count : undefined;
}

/**
 * A model served by Hugging Face Text Generation Inference, behind the LLM Lab provider contract,
 * on TGI's native API: `POST /generate`, `POST /generate_stream` (SSE) and `GET /info`. The model
 * name in the id (`tgi:<model>`) is a label: a TGI server serves one model.
 */
export class TgiModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly settings: ResolvedTgiSettings;
  private serverInfo: TgiInfo | undefined;

  constructor(model: string, options: TgiModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'tgi';
    this.settings = options.settings;
  }

  /**
   * Static facts: the context window is TGI's `max_total_tokens` once {@link fetchInfo} has read
   * it, else the configured `contextWindow`, else 4096. TGI answers with JSON under a grammar
   * (`jsonMode`); it has no tools, vision or embeddings on this API.
   */
  getModelInfo(): ModelInfo {
    const info = this.serverInfo;
    const contextWindow = info?.max_total_tokens ?? this.settings.contextWindow ?? DEFAULT_TGI_CONTEXT_WINDOW;
    const maxOutput = info?.max_total_tokens !== undefined && info.max_input_tokens !== undefined ? info.max_total_tokens - info.max_input_tokens : undefined;
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow,
      ...(maxOutput !== undefined && maxOutput > 0 ? { maxOutputTokens: maxOutput } : {}),
      // TGI's grammar takes the JSON schema itself, so the schema is enforced, not only JSON.
      capabilities: { streaming: true, batch: false, embeddings: false, logprobs: false, tools: false, jsonMode: true, jsonSchema: true, vision: false },
      ...(this.settings.pricing ? { pricing: { ...this.settings.pricing } } : {}),
    };
  }

  /**
   * Asks the server what it serves (`GET /info`) and remembers it: later responses report its
   * `model_id` as their model, and {@link getModelInfo} its token limits. Rejects with a
   * ProviderError when the server cannot be reached or answers something else.
   */
  async fetchInfo(options: CallOptions = {}): Promise<TgiInfo> {
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const context = this.errorContext(options, call, 'request');
    try {
      let response: Response;
      try {
        response = await fetch(`${this.settings.baseURL}/info`, { headers: this.headers('application/json'), signal: call.signal });
      } catch (error) {
        throw mapTgiTransportError(error, context);
      }
      const text = await this.readText(response, context);
      if (!response.ok) throw mapTgiHttpError(response.status, response.headers, text, context);
      const info = this.parseJson(text, 'GET /info') as Partial<TgiInfo> | undefined;
      if (typeof info?.model_id !== 'string') throw this.invalid('GET /info answered without a model_id');
      this.serverInfo = info as TgiInfo;
      return { ...this.serverInfo };
    } finally {
      call.dispose();
    }
  }

  /** Validates the request and builds TGI's `{ inputs, parameters }` (exposed for inspection and tests). */
  buildRequest(request: GenerateRequest): BuiltTgiRequest {
    const warnings = this.validateRequest(request, ['presencePenalty']);
    return buildTgiRequest(request, this.settings, this.id, warnings);
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    try {
      const response = await this.post('/generate', body, call, options);
      const text = await this.readText(response, this.errorContext(options, call, 'stream'));
      const parsed = this.parseJson(text, 'POST /generate') as Partial<TgiGenerateResponse> | undefined;
      if (typeof parsed?.generated_text !== 'string') throw this.invalid('the body has no generated_text');
      const details = parsed.details ?? undefined;
      const inputTokens = countHeader(response.headers, 'x-prompt-tokens') ?? (details?.prefill?.length || undefined);
      const outputTokens = details?.generated_tokens ?? countHeader(response.headers, 'x-generated-tokens');
      const finishReason = details?.finish_reason;
      return this.toResponse({
        text: this.trimStop(parsed.generated_text, finishReason, request.stop),
        finishReason,
        inputTokens,
        outputTokens,
        warnings,
        startedAt,
      });
    } catch (error) {
      throw mapTgiTransportError(error, this.errorContext(options, call, 'stream'));
    } finally {
      call.dispose();
    }
  }

  streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    // A failure after the first part is reported in band (an `error` part), then thrown.
    return withErrorPart(this.streamParts(request, options));
  }

  private async *streamParts(request: GenerateRequest, options: CallOptions): AsyncGenerator<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const context = this.errorContext(options, call, 'stream');
    // A stop sequence at the end of the answer is removed, so the last characters are held back
    // until the finish reason says whether they are one.
    const stops = this.settings.trimStopSequence ? (request.stop ?? []).filter((stop) => stop !== '') : [];
    const holdBack = Math.max(0, ...stops.map((stop) => stop.length));
    const answer = new StreamAccumulator();
    let pending = '';
    let finish: TgiStreamEvent['details'] = null;
    try {
      const response = await this.post('/generate_stream', body, call, options);
      if (!response.body) throw this.invalid('the stream has no body');
      try {
        for await (const data of readSseData(response.body)) {
          const event = this.parseJson(data, 'a /generate_stream event') as Partial<TgiStreamEvent & TgiErrorBody> | undefined;
          if (typeof event?.error === 'string') throw mapTgiStreamError(event as TgiErrorBody, context);
          if (typeof event?.token !== 'object' || event.token === null) throw this.invalid('a stream event has no token');
          if (!event.token.special && typeof event.token.text === 'string' && event.token.text !== '') {
            answer.firstTokenAt ??= performance.now();
            pending += event.token.text;
            if (pending.length > holdBack) {
              const ready = pending.slice(0, pending.length - holdBack);
              pending = pending.slice(pending.length - holdBack);
              yield* answer.addText(ready);
            }
          }
          if (event.details) {
            finish = event.details;
            break;
          }
        }
      } catch (error) {
        throw mapTgiTransportError(error, context);
      }
      if (call.signal.aborted) throw mapTgiTransportError(new Error('aborted'), context);
      if (!finish) {
        throw new ProviderError({
          kind: 'invalid-response',
          providerId: this.id,
          message: `${this.id}: the stream from ${this.settings.baseURL} ended before its final event (after ${answer.characters + pending.length} characters), so the answer may be cut short. Retrying usually helps.`,
        });
      }
    } finally {
      call.dispose();
    }
    yield* answer.addText(this.trimStop(pending, finish.finish_reason, stops, answer.text + pending));
    const response = this.toResponse({
      text: answer.text,
      finishReason: finish.finish_reason,
      inputTokens: finish.input_length,
      outputTokens: finish.generated_tokens,
      warnings,
      startedAt,
    });
    yield { type: 'usage', usage: response.usage };
    yield { type: 'finish', response: { ...response, timeToFirstTokenMs: (answer.firstTokenAt ?? performance.now()) - startedAt } };
  }

  /**
   * With `trimStopSequence`, removes a stop sequence that ends the answer when TGI stopped on one.
   * `whole` is the full answer when `tail` is only its held-back end.
   */
  private trimStop(tail: string, reason: TgiFinishReason | undefined, stops: readonly string[] | undefined, whole: string = tail): string {
    if (!this.settings.trimStopSequence || reason !== 'stop_sequence' || !stops) return tail;
    const stop = stops.filter((candidate) => candidate !== '' && whole.endsWith(candidate)).sort((a, b) => b.length - a.length)[0];
    return stop === undefined ? tail : tail.slice(0, Math.max(0, tail.length - stop.length));
  }

  private toResponse(parts: {
    text: string;
    finishReason: TgiFinishReason | undefined;
    inputTokens: number | undefined;
    outputTokens: number | undefined;
    warnings: ProviderWarning[];
    startedAt: number;
  }): GenerateResponse {
    const warnings = [...parts.warnings];
    if (parts.inputTokens === undefined || parts.outputTokens === undefined) {
      warnings.push({
        type: 'other',
        message: `${this.id}: TGI did not report ${parts.inputTokens === undefined ? 'the prompt' : 'the generated'} token count; it is counted as 0 and cost is unknown. A TGI of version 2 or later reports both.`,
      });
    }
    const usage: TokenUsage = {
      inputTokens: parts.inputTokens ?? 0,
      outputTokens: parts.outputTokens ?? 0,
      totalTokens: (parts.inputTokens ?? 0) + (parts.outputTokens ?? 0),
    };
    const complete = parts.inputTokens !== undefined && parts.outputTokens !== undefined;
    const cost = complete ? this.estimateCost(usage) : undefined;
    return {
      text: parts.text,
      finishReason: mapTgiFinishReason(parts.finishReason),
      usage,
      latencyMs: performance.now() - parts.startedAt,
      ...(cost ? { cost } : {}),
      warnings,
      providerId: this.id,
      model: this.serverInfo?.model_id ?? this.model,
    };
  }

  private headers(accept: string): Record<string, string> {
    return {
      ...this.settings.headers,
      'content-type': 'application/json',
      accept,
      ...(this.settings.apiKey !== undefined ? { authorization: `Bearer ${this.settings.apiKey}` } : {}),
    };
  }

  /** POSTs the body; resolves with a 2xx response, rejects with a classified ProviderError otherwise. */
  private async post(path: string, body: unknown, call: CallDeadline, options: CallOptions): Promise<Response> {
    const context = this.errorContext(options, call, 'request');
    let response: Response;
    try {
      response = await fetch(`${this.settings.baseURL}${path}`, {
        method: 'POST',
        headers: this.headers(path.endsWith('_stream') ? 'text/event-stream' : 'application/json'),
        body: JSON.stringify(body),
        signal: call.signal,
      });
    } catch (error) {
      throw mapTgiTransportError(error, context);
    }
    if (response.ok) return response;
    const text = await this.readText(response, context);
    throw mapTgiHttpError(response.status, response.headers, text, context);
  }

  private async readText(response: Response, context: TgiErrorContext): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw mapTgiTransportError(error, context);
    }
  }

  private parseJson(text: string, what: string): unknown {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      return parsed;
    } catch {
      throw this.invalid(`${what} is not a JSON object (it starts ${JSON.stringify(text.slice(0, 60))})`);
    }
  }

  private invalid(what: string): ProviderError {
    return new ProviderError({
      kind: 'invalid-response',
      providerId: this.id,
      message: `${this.id}: the server at ${this.settings.baseURL} answered, but ${what}. Retrying may help; if it persists, check that baseURL points at a TGI server (its native API, not /v1).`,
    });
  }

  private errorContext(options: CallOptions, call: CallDeadline, phase: TgiErrorContext['phase']): TgiErrorContext {
    return {
      providerId: this.id,
      baseURL: this.settings.baseURL,
      signal: options.signal,
      get timedOut() {
        return call.deadline.aborted;
      },
      timeoutMs: call.timeoutMs,
      phase,
    };
  }
}
