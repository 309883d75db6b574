import { ProviderError, type GenerateRequest, type ProviderWarning } from '@llm-lab/core';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { convertToOpenAIMessages } from './convert-to-openai-messages.js';
import { openaiRequestOptionsSchema, type ResolvedOpenAISettings } from './openai-options.js';

/** A chat-completions body without `stream`, and what could not be honoured. */
export interface BuiltOpenAIRequest {
  body: Omit<ChatCompletionCreateParamsNonStreaming, 'stream'>;
  warnings: ProviderWarning[];
}

/** Settings reasoning models accept only at their defaults; they are left out with a warning. */
const REASONING_UNSUPPORTED = ['temperature', 'topP', 'presencePenalty', 'frequencyPenalty', 'stop'] as const;

/**
 * Maps a contract request to an OpenAI chat-completions body. Only settings that are set are
 * sent. `maxTokens` goes in `settings.maxTokensParameter`; `topK` (which OpenAI lacks) and, for
 * reasoning models, the sampling settings they refuse become `unsupported-setting` warnings.
 * Unknown `providerOptions` throw a bad-request naming them. The request must already be
 * validated (BaseProvider.validateRequest).
 */
export function buildOpenAIRequest(options: {
  request: GenerateRequest;
  model: string;
  providerId: string;
  settings: Pick<ResolvedOpenAISettings, 'maxTokensParameter'>;
  reasoning: boolean;
}): BuiltOpenAIRequest {
  const { request, model, providerId, reasoning } = options;
  const warnings: ProviderWarning[] = [];
  const unsupported = (setting: string, why: string) =>
    warnings.push({ type: 'unsupported-setting', setting, message: `${providerId} ${why}; '${setting}' was ignored.` });

  const parsedOptions = openaiRequestOptionsSchema.safeParse(request.providerOptions ?? {});
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : (issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '';
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${providerId}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: reasoningEffort, serviceTier, user, strictJsonSchema.`,
    });
  }
  const vendor = parsedOptions.data;

  const body: BuiltOpenAIRequest['body'] = { model, messages: convertToOpenAIMessages(request.messages) };
  const skip = new Set<string>();
  if (reasoning) {
    for (const setting of REASONING_UNSUPPORTED) {
      if (request[setting] !== undefined) {
        unsupported(setting, `is a reasoning model and accepts only the default value of '${setting}'`);
        skip.add(setting);
      }
    }
  }
  if (request.temperature !== undefined && !skip.has('temperature')) body.temperature = request.temperature;
  if (request.topP !== undefined && !skip.has('topP')) body.top_p = request.topP;
  if (request.presencePenalty !== undefined && !skip.has('presencePenalty')) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined && !skip.has('frequencyPenalty')) body.frequency_penalty = request.frequencyPenalty;
  if (request.stop !== undefined && !skip.has('stop')) body.stop = request.stop;
  if (request.maxTokens !== undefined) body[options.settings.maxTokensParameter] = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.logprobs !== undefined) {
    body.logprobs = true;
    if (request.logprobs > 0) body.top_logprobs = request.logprobs;
  }
  if (request.topK !== undefined) unsupported('topK', 'does not support top-k sampling (OpenAI has no such setting)');

  const format = request.responseFormat;
  if (format?.type === 'json') {
    body.response_format = format.schema
      ? {
          type: 'json_schema',
          json_schema: { name: format.name ?? 'response', schema: format.schema, strict: vendor.strictJsonSchema ?? true },
        }
      : { type: 'json_object' };
  }
  if (vendor.reasoningEffort !== undefined) body.reasoning_effort = vendor.reasoningEffort;
  if (vendor.serviceTier !== undefined) body.service_tier = vendor.serviceTier;
  if (vendor.user !== undefined) body.user = vendor.user;
  return { body, warnings };
}
