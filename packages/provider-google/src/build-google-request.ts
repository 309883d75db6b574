import { ProviderError, type GenerateRequest, type ProviderWarning } from '@llm-lab/core';
import { FunctionCallingConfigMode, type Content, type FunctionDeclaration, type GenerateContentConfig, type SafetySetting } from '@google/genai';
import { convertToGoogleMessages } from './convert-to-google-messages.js';
import { googleRequestOptionsSchema } from './google-options.js';

/** The SDK call's parameters (without the abort signal), and what could not be honoured. */
export interface BuiltGoogleRequest {
  model: string;
  contents: Content[];
  config: GenerateContentConfig;
  warnings: ProviderWarning[];
}

/** Gemini accepts at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/**
 * Maps a contract request to `models.generateContent` parameters: messages through
 * {@link convertToGoogleMessages}; `temperature`, `topP`, `topK`, `maxTokens` (as
 * `maxOutputTokens`), `stop` (as `stopSequences`), `seed`, `presencePenalty` and
 * `frequencyPenalty` under the same Gemini names; a JSON `responseFormat` as `responseMimeType:
 * application/json` with its schema as `responseSchema` (or `responseJsonSchema` with
 * `providerOptions.useJsonSchema`); `n` as `candidateCount`; tools as `functionDeclarations`
 * (`parameters`, or `parametersJsonSchema` with `useJsonSchema`) and `toolChoice` as
 * `toolConfig.functionCallingConfig` (auto → AUTO, required → ANY, a named tool → ANY with
 * `allowedFunctionNames`, none → NONE); `providerOptions.includeThoughts` asks for thought parts.
 * Only settings that are set are sent. Automatic continuation is
 * turned off, so one call is one HTTP request (LLM Lab's provider manager owns retries). Unknown
 * `providerOptions` throw a bad-request naming them. The request must already be validated.
 */
export function buildGoogleRequest(options: { request: GenerateRequest; model: string; providerId: string }): BuiltGoogleRequest {
  const { request, model, providerId } = options;
  const parsedOptions = googleRequestOptionsSchema.safeParse(request.providerOptions ?? {});
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : ((issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '');
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${providerId}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: safetySettings, thinkingBudget, includeThoughts, useJsonSchema, cachedContent.`,
    });
  }
  const vendor = parsedOptions.data;
  const { systemInstruction, contents, warnings } = convertToGoogleMessages(request.messages, providerId);
  if (contents.length === 0) {
    throw new ProviderError({
      kind: 'bad-request',
      providerId,
      message: `Invalid request setting 'messages' for ${providerId}: Gemini needs at least one user or assistant message besides the system instruction.`,
    });
  }
  const config: GenerateContentConfig = { automaticContinuation: false };
  if (systemInstruction) config.systemInstruction = systemInstruction;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stop !== undefined) {
    if (request.stop.length > MAX_STOP_SEQUENCES) {
      warnings.push({
        type: 'unsupported-setting',
        setting: 'stop',
        message: `${providerId}: Gemini accepts at most ${MAX_STOP_SEQUENCES} stop sequences; only the first ${MAX_STOP_SEQUENCES} were sent.`,
      });
    }
    config.stopSequences = request.stop.slice(0, MAX_STOP_SEQUENCES);
  }
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format?.type === 'json') {
    config.responseMimeType = 'application/json';
    if (format.schema) {
      if (vendor.useJsonSchema) config.responseJsonSchema = format.schema;
      else config.responseSchema = format.schema;
    }
  }
  if (vendor.safetySettings) config.safetySettings = vendor.safetySettings as SafetySetting[];
  if (vendor.thinkingBudget !== undefined || vendor.includeThoughts !== undefined) {
    config.thinkingConfig = {
      ...(vendor.thinkingBudget !== undefined ? { thinkingBudget: vendor.thinkingBudget } : {}),
      ...(vendor.includeThoughts !== undefined ? { includeThoughts: vendor.includeThoughts } : {}),
    };
  }
  if (request.n !== undefined && request.n > 1) config.candidateCount = request.n;
  addTools(config, request, vendor.useJsonSchema === true, warnings, providerId);
  if (vendor.cachedContent !== undefined) config.cachedContent = vendor.cachedContent;
  return { model, contents, config, warnings };
}

/** Adds `tools` (one tool of `functionDeclarations`) and `toolConfig.functionCallingConfig`. */
function addTools(config: GenerateContentConfig, request: GenerateRequest, useJsonSchema: boolean, warnings: ProviderWarning[], providerId: string): void {
  const tools = request.tools ?? [];
  if (request.parallelToolCalls === false) {
    warnings.push({
      type: 'unsupported-setting',
      setting: 'parallelToolCalls',
      message: `${providerId}: Gemini has no switch for parallel function calls; 'parallelToolCalls' was ignored.`,
    });
  }
  if (tools.length === 0) return;
  config.tools = [
    {
      functionDeclarations: tools.map((tool): FunctionDeclaration => {
        const parameters = tool.parameters ?? { type: 'object', properties: {} };
        return {
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          ...(useJsonSchema ? { parametersJsonSchema: parameters } : { parameters: parameters as FunctionDeclaration['parameters'] }),
        };
      }),
    },
  ];
  const choice = request.toolChoice;
  if (choice === undefined) return;
  const mode = choice === 'none' ? FunctionCallingConfigMode.NONE : choice === 'auto' ? FunctionCallingConfigMode.AUTO : FunctionCallingConfigMode.ANY;
  config.toolConfig = { functionCallingConfig: { mode, ...(typeof choice === 'object' ? { allowedFunctionNames: [choice.name] } : {}) } };
}
