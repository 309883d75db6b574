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
  type ToolCall,
  StreamAccumulator,
  withErrorPart,
} from '@llm-lab/core';
import { convertToOllamaMessages, type OllamaToolCall } from './convert-to-ollama-messages.js';
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
 * The tool calls of an Ollama message as contract calls: arguments as JSON text, and the call's
 * `id` when Ollama sent one, else a stable one made from the call's position and name
 * (`call_<index>_<name>`), so the same answer always gets the same ids.
 */
export function mapOllamaToolCalls(calls: readonly OllamaToolCall[] | undefined, offset = 0): ToolCall[] {
  return (calls ?? []).map((call, position) => {
    const index = offset + position;
    return { id: call.id || `call_${index}_${call.function.name}`, name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) };
  });
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
      // jsonMode and jsonSchema work on every model (Ollama constrains the output with a grammar);
      // tools, images and thinking depend on the model, so the config says whether it has them.
      capabilities: {
        streaming: true,
        batch: true,
        embeddings: false,
        logprobs: false,
        tools: this.settings.capabilities?.tools ?? false,
        parallelToolCalls: this.settings.capabilities?.tools ?? false,
        jsonMode: true,
        jsonSchema: true,
        vision: this.settings.capabilities?.vision ?? false,
        reasoning: this.settings.capabilities?.reasoning ?? false,
        multipleChoices: false,
      },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  /**
   * Validates the request and builds the `/api/chat` body (exposed for inspection and tests):
   * sampling settings go in `options` under Ollama's names (`top_p`, `top_k`, `num_predict`, …),
   * a JSON response format becomes `format: 'json'` or the schema itself; tools become `tools`
   * (`type: 'function'`). Ollama has no tool choice: `none` sends no tools; `required` is
   * ignored with a warning; a named tool sends only that tool, with a warning that the call is
   * not forced. `parallelToolCalls` and `n` have no Ollama equivalent (warnings).
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

    const body: BuiltOllamaRequest['body'] = { model: this.model, messages: convertToOllamaMessages(request.messages, this.id) };
    const unsupported = (setting: string, message: string) => warnings.push({ type: 'unsupported-setting', setting, message: `${this.id}: ${message}` });
    const choice = request.toolChoice;
    let tools = request.tools ?? [];
    if (choice === 'none') tools = [];
    else if (choice === 'required' && tools.length > 0) {
      unsupported('toolChoice', "Ollama has no tool choice, so a tool call cannot be required; the model may answer in text.");
    } else if (typeof choice === 'object') {
      tools = tools.filter((tool) => tool.name === choice.name);
      unsupported('toolChoice', `Ollama has no tool choice; only '${choice.name}' was offered, but the model may still answer in text.`);
    }
    if (tools.length > 0) {
      body.tools = tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.parameters ?? { type: 'object', properties: {} } },
      }));
    }
    if (request.parallelToolCalls === false) unsupported('parallelToolCalls', 'Ollama has no switch for parallel tool calls; it was ignored.');
    if (request.n !== undefined && request.n > 1) unsupported('n', 'Ollama generates one answer per call; n was ignored (use repeats to sample several).');
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
      return this.assembleResponse({
        text: chunk.message?.content ?? '',
        toolCalls: mapOllamaToolCalls(chunk.message?.tool_calls),
        reasoning: chunk.message?.thinking,
        finishReason: mapOllamaFinishReason(chunk.done_reason),
        usage: mapOllamaUsage(chunk),
        startedAt,
        warnings,
        model: chunk.model,
      });
    } catch (error) {
      throw this.mapError(error, call, 'request');
    } finally {
      call.dispose();
    }
  }

  /**
   * Streams the answer: `text-delta`, `reasoning-delta` (`message.thinking`), and each whole tool
   * call (Ollama sends them whole) as one `tool-call-delta` and its `tool-call`. A failure after
   * parts were streamed is reported as an `error` part, then thrown.
   */
  streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    return withErrorPart(this.streamParts(request, options));
  }

  private async *streamParts(request: GenerateRequest, options: CallOptions): AsyncGenerator<StreamPart> {
    const startedAt = performance.now();
    const { body, warnings } = this.buildRequest(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const acc = new StreamAccumulator();
    let final: OllamaChatChunk | undefined;
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
          yield* acc.addReasoning(chunk.message?.thinking);
          yield* acc.addText(chunk.message?.content);
          for (const toolCall of mapOllamaToolCalls(chunk.message?.tool_calls, acc.toolCalls?.length ?? 0)) yield* acc.addToolCall(toolCall);
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
          message: `${this.id}: Ollama's stream ended without its final "done": true object (after ${acc.characters} characters), so the answer may be cut short. Retrying usually helps.`,
        });
      }
    } finally {
      call.dispose();
    }
    yield* this.streamEnd({
      text: acc.text,
      toolCalls: acc.toolCalls,
      reasoning: acc.reasoning,
      finishReason: mapOllamaFinishReason(final.done_reason),
      usage: mapOllamaUsage(final),
      startedAt,
      firstTokenAt: acc.firstTokenAt ?? null,
      warnings,
      model: model ?? final.model,
    });
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
