import { ProviderError, type CallOptions, type CompletionScore, type GenerateRequest, type ProviderWarning, type ScoreCompletionsRequest } from '@llm-lab/core';
import { convertToOpenAIMessages, OpenAIChatModel, type OpenAIModelFacts } from '@llm-lab/provider-openai';
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { mapOpenAICompatibleError } from './openai-compatible-error.js';
import { OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW, type ResolvedOpenAICompatibleSettings } from './openai-compatible-options.js';

/** What an {@link OpenAICompatibleChatModel} is made from; `createOpenAICompatible` supplies it. */
export interface OpenAICompatibleChatModelOptions {
  client: OpenAI;
  settings: ResolvedOpenAICompatibleSettings;
  /** The provider name in ids. Default `openai-compatible`. */
  provider?: string;
}

/** A chat-completions body without `stream`, and what could not be honoured. */
export interface BuiltOpenAICompatibleRequest {
  body: Omit<ChatCompletionCreateParamsNonStreaming, 'stream'> & { top_k?: number };
  warnings: ProviderWarning[];
}

/** What LLM Lab assumes of a model on an unknown server: no price, plain chat with JSON mode. */
function compatibleFacts(settings: ResolvedOpenAICompatibleSettings): OpenAIModelFacts {
  return {
    contextWindow: settings.contextWindow ?? OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW,
    capabilities: { streaming: true, batch: true, embeddings: false, logprobs: false, tools: false, jsonMode: true, vision: false },
    reasoning: false,
  };
}

/**
 * A model on any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, LM Studio,
 * …), on the official `openai` SDK. It is provider-openai's {@link OpenAIChatModel} (the same
 * calls, streaming, response parsing, usage and cancellation) with what differs for these
 * servers: `topK` is sent as `top_k`, which they accept as an extension; `maxTokens` as
 * `max_tokens`; no `providerOptions`; no facts from OpenAI's model table (no pricing unless
 * configured, context window 8192 unless configured); its own error advice; and, for servers that
 * echo prompt log-probabilities (`promptLogprobs: true`, e.g. vLLM), `scoreCompletions`.
 */
export class OpenAICompatibleChatModel extends OpenAIChatModel {
  /**
   * With `promptLogprobs: true` in the config: each completion's log-likelihood from the server's
   * echoed prompt log-probabilities (see `OpenAIChatModel.scoreByEcho`). Undefined otherwise, so
   * callers that need it say so instead of failing on a server without it.
   */
  readonly scoreCompletions?: (request: ScoreCompletionsRequest, options?: CallOptions) => Promise<CompletionScore[]>;

  constructor(model: string, options: OpenAICompatibleChatModelOptions) {
    const { settings } = options;
    super(model, {
      client: options.client,
      settings: {
        timeoutMs: settings.timeoutMs,
        baseURL: settings.baseURL,
        isOpenAIHost: false,
        maxTokensParameter: 'max_tokens',
        pricing: settings.pricing,
        contextWindow: settings.contextWindow,
        streamUsage: settings.streamUsage,
        bufferedTransport: settings.httpClient === 'node',
      },
      provider: options.provider ?? 'openai-compatible',
      facts: compatibleFacts(settings),
      mapError: mapOpenAICompatibleError,
    });
    if (settings.promptLogprobs) this.scoreCompletions = (request, callOptions) => this.scoreByEcho(request, callOptions);
  }

  /** Validates the request and builds the chat-completions body (exposed for inspection and tests). */
  override buildRequest(request: GenerateRequest): BuiltOpenAICompatibleRequest {
    const warnings = this.validateRequest(request);
    if (request.providerOptions !== undefined && Object.keys(request.providerOptions).length > 0) {
      throw new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `Invalid request setting 'providerOptions' for ${this.id}: this provider accepts no providerOptions (got ${Object.keys(request.providerOptions).join(', ')}).`,
      });
    }
    const body: BuiltOpenAICompatibleRequest['body'] = { model: this.model, messages: convertToOpenAIMessages(request.messages) };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.topK !== undefined) body.top_k = request.topK;
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
    if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
    if (request.stop !== undefined) body.stop = request.stop;
    if (request.seed !== undefined) body.seed = request.seed;
    const format = request.responseFormat;
    if (format?.type === 'json') {
      body.response_format = format.schema
        ? { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, strict: true } }
        : { type: 'json_object' };
    }
    return { body, warnings };
  }
}
