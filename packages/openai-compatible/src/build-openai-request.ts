import { messageText, ProviderError, z, type GenerateRequest, type ProviderWarning, type ToolChoice } from '@llm-lab/core';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionToolChoiceOption } from 'openai/resources/chat/completions';
import { convertToOpenAIMessages } from './convert-to-openai-messages.js';

/**
 * The `providerOptions` an OpenAI (or Azure OpenAI) request accepts, passed to the API as noted.
 * Anything else is refused with a bad-request naming it.
 */
export const openaiRequestOptionsSchema = z
  .object({
    /** `reasoning_effort` for reasoning models (o-series, GPT-5). */
    reasoningEffort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
    /** `service_tier`. */
    serviceTier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).optional(),
    /** `user`: a stable end-user id for abuse monitoring. */
    user: z.string().optional(),
    /** With a JSON `responseFormat` that has a schema and no `strict` of its own: whether OpenAI enforces it exactly (`strict`). Default true. */
    strictJsonSchema: z.boolean().optional(),
  })
  .strict();

export type OpenAIRequestOptions = z.output<typeof openaiRequestOptionsSchema>;

/** A chat-completions body without `stream`, and what could not be honoured. */
export interface BuiltOpenAIRequest {
  /** `top_k` is an extension some OpenAI-compatible servers accept (vLLM, llama.cpp server). */
  body: Omit<ChatCompletionCreateParamsNonStreaming, 'stream'> & { top_k?: number };
  warnings: ProviderWarning[];
}

/** How one server's chat-completions API differs from OpenAI's own. */
export interface OpenAIRequestDialect {
  /** The field that carries `maxTokens`. */
  maxTokensParameter: 'max_completion_tokens' | 'max_tokens';
  /** `openai`: the {@link openaiRequestOptionsSchema} options; `none`: any providerOptions are refused. Default `openai`. */
  providerOptions?: 'openai' | 'none';
  /** `top_k`: sent as the `top_k` extension; `unsupported` (OpenAI, Azure): a warning. Default `unsupported`. */
  topK?: 'top_k' | 'unsupported';
}

/** Sent as a system message in JSON mode when no message mentions JSON (which OpenAI and Azure require). */
export const JSON_MODE_INSTRUCTION = 'Answer with a JSON object.';

/** Settings reasoning models accept only at their defaults; they are left out with a warning. */
const REASONING_UNSUPPORTED = ['temperature', 'topP', 'presencePenalty', 'frequencyPenalty', 'stop'] as const;

/** The contract's tool choice as OpenAI's `tool_choice`. */
export function toOpenAIToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function parseProviderOptions(request: GenerateRequest, providerId: string, mode: 'openai' | 'none'): OpenAIRequestOptions {
  const given = request.providerOptions ?? {};
  if (mode === 'none') {
    if (Object.keys(given).length === 0) return {};
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'providerOptions' for ${providerId}: this provider accepts no providerOptions (got ${Object.keys(given).join(', ')}).`,
    });
  }
  const parsed = openaiRequestOptionsSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : (issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '';
  throw new ProviderError({
    kind: 'bad-request',
    providerId,
    message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${providerId}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: reasoningEffort, serviceTier, user, strictJsonSchema.`,
  });
}

/**
 * Maps a contract request to a chat-completions body. Only settings that are set are sent.
 * `maxTokens` goes in the dialect's `maxTokensParameter`; `topK` as `top_k` where the server has
 * it, else a warning; for reasoning models the sampling settings they refuse become
 * `unsupported-setting` warnings. Tools become `function` tools (with `strict` when the
 * definition asks for it), `toolChoice` → `tool_choice` (auto / none / required / a named
 * function), `parallelToolCalls` → `parallel_tool_calls`, `n` → `n`, `responseFormat` →
 * `json_object` (with {@link JSON_MODE_INSTRUCTION} first when no message mentions JSON), or `json_schema` with the schema's name, description and `strict` (the format's
 * own, else `providerOptions.strictJsonSchema`, else true). The request must already be validated
 * (BaseProvider.validateRequest).
 */
export function buildOpenAIRequest(options: {
  request: GenerateRequest;
  model: string;
  providerId: string;
  dialect: OpenAIRequestDialect;
  reasoning: boolean;
}): BuiltOpenAIRequest {
  const { request, model, providerId, reasoning, dialect } = options;
  const warnings: ProviderWarning[] = [];
  const unsupported = (setting: string, why: string) =>
    warnings.push({ type: 'unsupported-setting', setting, message: `${providerId} ${why}; '${setting}' was ignored.` });
  const vendor = parseProviderOptions(request, providerId, dialect.providerOptions ?? 'openai');

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
  if (request.maxTokens !== undefined) body[dialect.maxTokensParameter] = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.n !== undefined && request.n !== 1) body.n = request.n;
  if (request.logprobs !== undefined) {
    body.logprobs = true;
    if (request.logprobs > 0) body.top_logprobs = request.logprobs;
  }
  if (request.topK !== undefined) {
    if (dialect.topK === 'top_k') body.top_k = request.topK;
    else unsupported('topK', 'does not support top-k sampling (OpenAI has no such setting)');
  }

  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.parameters ?? { type: 'object', properties: {} },
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    }));
    if (request.toolChoice !== undefined) body.tool_choice = toOpenAIToolChoice(request.toolChoice);
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }

  const format = request.responseFormat;
  if (format?.type === 'json') {
    body.response_format = format.schema
      ? {
          type: 'json_schema',
          json_schema: {
            name: format.name ?? 'response',
            ...(format.description !== undefined ? { description: format.description } : {}),
            schema: format.schema,
            strict: format.strict ?? vendor.strictJsonSchema ?? true,
          },
        }
      : { type: 'json_object' };
    if (!format.schema && !request.messages.some((message) => /json/i.test(messageText(message)))) {
      // OpenAI and Azure refuse JSON mode unless a message mentions JSON: say it once, first.
      body.messages = [{ role: 'system', content: JSON_MODE_INSTRUCTION }, ...body.messages];
    }
  }
  if (vendor.reasoningEffort !== undefined) body.reasoning_effort = vendor.reasoningEffort;
  if (vendor.serviceTier !== undefined) body.service_tier = vendor.serviceTier;
  if (vendor.user !== undefined) body.user = vendor.user;
  return { body, warnings };
}
