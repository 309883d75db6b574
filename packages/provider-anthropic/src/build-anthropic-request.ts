import { ProviderError, type GenerateRequest, type ProviderWarning } from '@llm-lab/core';
import type { MessageCreateParamsNonStreaming, Tool } from '@anthropic-ai/sdk/resources/messages';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.js';
import type { AnthropicModelFacts } from './anthropic-models.js';
import { anthropicRequestOptionsSchema } from './anthropic-options.js';

/**
 * A Messages body without `stream`. The sampling fields exist only in API version 2023-06-01
 * (the SDK's types, for 2026-10-21, lack them).
 */
export type AnthropicMessagesBody = Omit<MessageCreateParamsNonStreaming, 'stream'> & {
  temperature?: number;
  top_p?: number;
  top_k?: number;
};

/** A Messages body, and what could not be honoured. */
export interface BuiltAnthropicRequest {
  body: AnthropicMessagesBody;
  warnings: ProviderWarning[];
  /** True when `max_tokens` is the default, not the request's `maxTokens`. */
  defaultMaxTokens: boolean;
}

const JSON_INSTRUCTION = 'Respond with a single JSON object and nothing else: no text, no Markdown code fence, before or after it.';

/**
 * Maps a contract request to a Messages API body. System messages go to `system`; `maxTokens`
 * to `max_tokens` (Anthropic requires it: without one, `defaultMaxTokens` is sent); `topK` to
 * `top_k`; `stop` to `stop_sequences`. A temperature above 1 (Anthropic's maximum) is sent as 1,
 * and `seed`, `presencePenalty` and `frequencyPenalty` (which Anthropic lacks) are left out, each
 * with an `unsupported-setting` warning. A JSON `responseFormat` with a schema uses structured
 * outputs (`output_config.format`) on models that have them; otherwise JSON is asked for in the
 * system prompt (with the schema, if any) and a warning says it is not enforced. Tools become
 * `tools` (`input_schema`; `strict` on models with structured outputs), `toolChoice` becomes
 * `tool_choice` (auto → auto, required → any, a named tool → tool, none → none) and
 * `parallelToolCalls: false` `disable_parallel_tool_use`. `providerOptions.thinking` turns on
 * extended thinking. `n` > 1 is ignored with a warning (Anthropic has no n). Unknown
 * `providerOptions` throw a bad-request naming them. The request must already be validated
 * (BaseProvider.validateRequest).
 */
export function buildAnthropicRequest(options: {
  request: GenerateRequest;
  model: string;
  providerId: string;
  facts: Pick<AnthropicModelFacts, 'structuredOutputs'>;
  defaultMaxTokens: number;
  /** The `anthropic-version` in use: `2026-10-21` has no sampling parameters. */
  apiVersion: '2026-10-21' | '2023-06-01';
}): BuiltAnthropicRequest {
  const { request, model, providerId } = options;
  const parsedOptions = anthropicRequestOptionsSchema.safeParse(request.providerOptions ?? {});
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : ((issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '');
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${providerId}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: userId, serviceTier, cacheSystemPrompt, thinking.`,
    });
  }
  const vendor = parsedOptions.data;
  const converted = convertToAnthropicMessages(request.messages, providerId);
  const warnings: ProviderWarning[] = [...converted.warnings];
  const unsupported = (setting: string, why: string) =>
    warnings.push({ type: 'unsupported-setting', setting, message: `${providerId} ${why}; '${setting}' was ignored.` });
  if (converted.messages.length === 0) {
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'messages' for ${providerId}: Anthropic needs at least one user or assistant message besides the system messages. Add the user's prompt as a 'user' message.`,
    });
  }

  let system = converted.system;
  const format = request.responseFormat;
  let outputConfig: BuiltAnthropicRequest['body']['output_config'];
  if (format?.type === 'json') {
    if (format.schema && options.facts.structuredOutputs) {
      outputConfig = { format: { type: 'json_schema', schema: format.schema } };
    } else {
      const schemaText = format.schema ? ` It must match this JSON Schema:\n${JSON.stringify(format.schema)}` : '';
      system = [system, `${JSON_INSTRUCTION}${schemaText}`].filter((part) => part !== undefined).join('\n\n');
      warnings.push({
        type: 'other',
        setting: 'responseFormat',
        message: format.schema
          ? `${providerId} has no structured outputs for ${model}; JSON matching the schema was asked for in the system prompt and is not enforced.`
          : `${providerId}: Anthropic has no schema-less JSON mode; JSON was asked for in the system prompt and is not enforced (give responseFormat.schema to use structured outputs where the model has them).`,
      });
    }
  }

  const body: BuiltAnthropicRequest['body'] = {
    model,
    max_tokens: request.maxTokens ?? options.defaultMaxTokens,
    messages: converted.messages,
  };
  if (system !== undefined) {
    body.system = vendor.cacheSystemPrompt ? [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }] : system;
  }
  const sampling = options.apiVersion === '2023-06-01';
  for (const setting of ['temperature', 'topP', 'topK'] as const) {
    if (!sampling && request[setting] !== undefined) {
      unsupported(setting, `uses Anthropic API version ${options.apiVersion}, which removed sampling parameters (set apiVersion: '2023-06-01' in the provider config to send them to models that accept them)`);
    }
  }
  if (sampling && request.temperature !== undefined) {
    if (request.temperature > 1) {
      warnings.push({
        type: 'unsupported-setting',
        setting: 'temperature',
        message: `${providerId} accepts a temperature from 0 to 1; ${request.temperature} was sent as 1.`,
      });
    }
    body.temperature = Math.min(1, request.temperature);
  }
  if (sampling && request.topP !== undefined) body.top_p = request.topP;
  if (sampling && request.topK !== undefined) body.top_k = request.topK;
  if (request.stop !== undefined) body.stop_sequences = request.stop;
  if (request.seed !== undefined) unsupported('seed', 'does not support seeded sampling (Anthropic has no seed setting)');
  if (request.presencePenalty !== undefined) unsupported('presencePenalty', 'does not support a presence penalty (Anthropic has no such setting)');
  if (request.frequencyPenalty !== undefined) unsupported('frequencyPenalty', 'does not support a frequency penalty (Anthropic has no such setting)');
  if (outputConfig !== undefined) body.output_config = outputConfig;
  addTools(body, request, options.facts);
  if (request.n !== undefined && request.n > 1) {
    unsupported('n', `has no alternatives per call (Anthropic has no n), so one answer was generated; use repeats to sample several`);
  }
  if (vendor.thinking !== undefined) {
    if (vendor.thinking.type === 'enabled') {
      if (vendor.thinking.budgetTokens >= body.max_tokens) {
        throw new ProviderError({
          kind: 'bad-request',
          providerId,
          message: `Invalid request setting 'providerOptions.thinking.budgetTokens' for ${providerId}: it must be below max_tokens (${body.max_tokens}); raise maxTokens or lower the budget.`,
        });
      }
      body.thinking = { type: 'enabled', budget_tokens: vendor.thinking.budgetTokens };
    } else body.thinking = { type: vendor.thinking.type };
  }
  if (vendor.userId !== undefined) body.metadata = { user_id: vendor.userId };
  if (vendor.serviceTier !== undefined) body.service_tier = vendor.serviceTier;
  return { body, warnings, defaultMaxTokens: request.maxTokens === undefined };
}

/** Adds `tools` and `tool_choice` (with `disable_parallel_tool_use` when `parallelToolCalls` is false). */
function addTools(body: AnthropicMessagesBody, request: GenerateRequest, facts: Pick<AnthropicModelFacts, 'structuredOutputs'>): void {
  const tools = request.tools ?? [];
  // Without tools there is nothing to choose from: the API refuses a tool_choice alone.
  if (tools.length === 0) return;
  body.tools = tools.map((tool): Tool => ({
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    input_schema: { type: 'object', ...(tool.parameters ?? { properties: {} }) } as Tool.InputSchema,
    ...(tool.strict && facts.structuredOutputs ? { strict: true } : {}),
  }));
  const noParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  const choice = request.toolChoice;
  if (choice === 'none') body.tool_choice = { type: 'none' };
  else if (choice === 'required') body.tool_choice = { type: 'any', ...noParallel };
  else if (typeof choice === 'object') body.tool_choice = { type: 'tool', name: choice.name, ...noParallel };
  else if (choice === 'auto' || request.parallelToolCalls === false) body.tool_choice = { type: 'auto', ...noParallel };
}
