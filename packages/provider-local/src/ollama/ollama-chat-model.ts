import {
  BaseProvider,
  ProviderError,
  startCallDeadline,
  type CallDeadline,
  type CallOptions,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type ProviderWarning,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import { convertToOllamaMessages } from './convert-to-ollama-messages.js';
import { readNdjson, type OllamaApi, type OllamaChatBody, type OllamaChatChunk } from './ollama-api.js';
import { mapOllamaError, OllamaStreamError } from './ollama-error.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { OLLAMA_DEFAULT_CONTEXT_WINDOW, ollamaRequestOptionsSchema, type ResolvedOllamaSettings } from './ollama-options.js';

/** What an {@link OllamaChatModel} is made from; `createOllama` supplies it. */
export interface OllamaChatModelOptions {
  api: OllamaApi;
  settings: ResolvedOllamaSettings;
  /** The provider name in ids. Default `ollama`. */
  provider?: string;
}

/** A chat-body without `stream`, and what could not be honoured. */
export interface BuiltOllamaRequest {
  body: Omit<OllamaChatBody, 'stream'>;
  warnings: ProviderWarning[];
}

/** Token counts from Ollama's final object (`prompt_eval_count` is absent when the whole prompt came from its cache). */
export function mapOllamaUsage(chunk: OllamaChatChunk): TokenUsage {
  const inputTokens = typeof chunk.prompt_eval_count === 'number' ? chunk.prompt_eval_count : 0;
  const outputTokens = typeof chunk.eval_count === 'number' ? chunk.eval_count : 0;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * A model served by Ollama, behind the LLM Lab provider contract, on Ollama's native
 * `POST /api/chat` (NDJSON streaming or one JSON answer). Make it with `createOllama()`.
 */
export class OllamaChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  private readonly api: OllamaApi;
  private readonly settings: ResolvedOllamaSettings;

  constructor(model: string, options: OllamaChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'ollama';
    this.api = options.api;
    this.settings = options.settings;
  }

  /** The server that answers: Ollama's base URL and its chat endpoint (contract 1.2). */
  cacheIdentity(): Record<string, unknown> {
    return { baseURL: this.settings.baseURL, endpoint: 'api/chat' };
  }

  getModelInfo(): ModelInfo {
    const pricing = this.settings.pricing;
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.settings.numCtx ?? this.settings.contextWindow ?? OLLAMA_DEFAULT_CONTEXT_WINDOW,
      capabilities: { streaming: true, batch: true, embeddings: false, logprobs: false, tools: false, jsonMode: true, vision: false },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  /**
   * Validates the request and builds the `/api/chat` body (exposed for inspection and tests):
   * sampling settings go in `options` under Ollama's names (`top_p`, `top_k`, `num_predict`, …),
   * a JSON response format becomes `format: 'json'` or the schema itself.
   */
  buildRequest(request: GenerateRequest): BuiltOllamaRequest {
    const warnings = this.validateRequest(request);
    const parsed = ollamaRequestOptionsSchema.safeParse(request.providerOptions ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : ((issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '');
      throw new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${this.id}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: keepAlive, think, options.`,
      });
    }
    const vendor = parsed.data;
    const options: Record<string, unknown> = {};
    if (request.temperature !== undefined) options.temperature = request.temperature;
    if (request.topP !== undefined) options.top_p = request.topP;
    if (request.topK !== undefined) options.top_k = request.topK;
    if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
    if (request.stop !== undefined) options.stop = request.stop;
    if (request.seed !== undefined) options.seed = request.seed;
    if (request.presencePenalty !== undefined) options.presence_penalty = request.presencePenalty;
    if (request.frequencyPenalty !== undefined) options.frequency_penalty = request.frequencyPenalty;
    if (this.settings.numCtx !== undefined) options.num_ctx = this.settings.numCtx;
    Object.assign(options, vendor.options);

    const body: BuiltOllamaRequest['body'] = { model: this.model, messages: convertToOllamaMessages(request.messages) };
    const format = request.responseFormat;
    if (format?.type === 'json') body.format = format.schema ?? 'json';
    if (Object.keys(options).length > 0) body.options = options;
    const keepAlive = vendor.keepAlive ?? this.settings.keepAlive;
    if (keepAlive !== undefined) body.keep_alive = keepAlive;
    if (vendor.think !== undefined) body.think = vendor.think;
    if (request.messages.some((message) => 'name' in message && message.name !== undefined)) {
      warnings.push({ type: 'unsupported-setting', setting: 'messages[].name', message: `${this.id}: Ollama messages have no author name; 'name' was ignored.` });
    }
    return { body, warnings };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    try {
      const response = await this.api.chat({ ...body, stream: false }, call.signal);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await response.text());
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      const chunk = this.checkChunk(parsed);
      if (chunk.error !== undefined) throw new OllamaStreamError(chunk.error);
      const usage = mapOllamaUsage(chunk);
      const cost = this.estimateCost(usage);
      return {
        text: chunk.message?.content ?? '',
        finishReason: mapOllamaFinishReason(chunk.done_reason),
        usage,
        latencyMs: performance.now() - startedAt,
        ...(cost ? { cost } : {}),
        warnings,
        providerId: this.id,
        model: chunk.model || this.model,
      };
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let text = '';
    let final: OllamaChatChunk | undefined;
    let firstTokenAt: number | undefined;
    let model: string | undefined;
    try {
      let response: Response;
      try {
        response = await this.api.chat({ ...body, stream: true }, call.signal);
      } catch (error) {
        throw this.mapError(error, call, 'request');
      }
      if (!response.body) throw this.invalid('the answer has no body');
      try {
        for await (const line of readNdjson(response.body)) {
          const chunk = this.checkChunk(line);
          if (chunk.error !== undefined) throw new OllamaStreamError(chunk.error);
          if (chunk.model) model = chunk.model;
          const delta = chunk.message?.content;
          if (typeof delta === 'string' && delta !== '') {
            firstTokenAt ??= performance.now();
            text += delta;
            yield { type: 'text-delta', text: delta };
          }
          if (chunk.done === true) {
            final = chunk;
            break;
          }
        }
      } catch (error) {
        throw this.mapError(error, call, 'stream');
      }
      if (call.signal.aborted) throw this.mapError(new Error('aborted'), call, 'stream');
      if (!final) {
        throw new ProviderError({
          kind: 'invalid-response',
          providerId: this.id,
          message: `${this.id}: Ollama's stream ended without its final "done": true object (after ${text.length} characters), so the answer may be cut short. Retrying usually helps.`,
        });
      }
    } finally {
      call.dispose();
    }
    const usage = mapOllamaUsage(final);
    const cost = this.estimateCost(usage);
    yield { type: 'usage', usage };
    yield {
      type: 'finish',
      response: {
        text,
        finishReason: mapOllamaFinishReason(final.done_reason),
        usage,
        latencyMs: performance.now() - startedAt,
        timeToFirstTokenMs: (firstTokenAt ?? performance.now()) - startedAt,
        ...(cost ? { cost } : {}),
        warnings,
        providerId: this.id,
        model: model ?? this.model,
      },
    };
  }

  private checkChunk(value: unknown): OllamaChatChunk {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.invalid('a line of the answer is not a JSON object');
    const chunk = value as OllamaChatChunk;
    if (chunk.error === undefined && chunk.done !== true && (typeof chunk.message !== 'object' || chunk.message === null)) {
      throw this.invalid('an object of the answer has neither "message" nor "done"');
    }
    return chunk;
  }

  private invalid(what: string): ProviderError {
    return new ProviderError({
      kind: 'invalid-response',
      providerId: this.id,
      message: `${this.id}: Ollama at ${this.settings.baseURL} answered 200 but ${what}. Retrying may help; if it persists, check that baseURL points at Ollama's native API (not its /v1 OpenAI-compatible one).`,
    });
  }

  private mapError(error: unknown, call: CallDeadline, phase: 'request' | 'stream'): ProviderError {
    return mapOllamaError(error, {
      providerId: this.id,
      model: this.model,
      baseURL: this.settings.baseURL,
      ...call.abortState(),
      phase,
    });
  }
}
