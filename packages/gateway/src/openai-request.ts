import type {
  AssistantContentPart,
  ChatMessage,
  GenerateRequest,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserContentPart,
} from '@llm-lab/core';
import { invalidField } from './openai-errors.js';

/** A chat completions request read from OpenAI's wire format. */
export interface ParsedChatRequest {
  /** The `model` field: a route of the gateway. */
  model: string;
  request: GenerateRequest;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
  /** `logprobs: true` was asked for (then `request.logprobs` is `top_logprobs`). */
  logprobs: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalNumber(body: Json, field: string, min: number, max: number, integer = false): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw invalidField(field, `expected ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(value)}.`);
  }
  if (value < min || value > max) throw invalidField(field, `must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function requiredString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalidField(param, `expected a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}.`);
  return value;
}

/** The model field of any endpoint: a non-empty string. */
export function modelOf(body: unknown): string {
  if (!isObject(body)) throw invalidField('body', 'the request body must be a JSON object.');
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw invalidField('model', 'required: the name of a model (a route of this gateway; GET /v1/models lists them).');
  return model;
}

function textOfParts(parts: unknown[], param: string): string {
  let text = '';
  parts.forEach((part, index) => {
    if (!isObject(part) || part.type !== 'text') throw invalidField(`${param}[${index}]`, "only parts of type 'text' are allowed here.");
    text += requiredString(part.text, `${param}[${index}].text`);
  });
  return text;
}

function userContent(content: unknown, param: string): string | UserContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidField(param, 'expected a string or an array of content parts.');
  return content.map((part, index): UserContentPart => {
    const at = `${param}[${index}]`;
    if (!isObject(part)) throw invalidField(at, 'expected a content part object.');
    if (part.type === 'text') return { type: 'text', text: requiredString(part.text, `${at}.text`) };
    if (part.type === 'image_url') {
      const image = part.image_url;
      const url = isObject(image) ? image.url : image;
      if (typeof url !== 'string' || url === '') throw invalidField(`${at}.image_url.url`, 'expected the image URL (https: or data:).');
      const detail = isObject(image) ? image.detail : undefined;
      if (detail !== undefined && detail !== 'auto' && detail !== 'low' && detail !== 'high') throw invalidField(`${at}.image_url.detail`, "expected 'auto', 'low' or 'high'.");
      return { type: 'image', source: { type: 'url', url }, ...(detail ? { detail } : {}) };
    }
    throw invalidField(`${at}.type`, `unsupported content part type ${JSON.stringify(part.type)} (supported: text, image_url).`);
  });
}

function assistantMessage(message: Json, param: string): ChatMessage {
  const content = message.content;
  const text = content === undefined || content === null ? '' : typeof content === 'string' ? content : Array.isArray(content) ? textOfParts(content, `${param}.content`) : undefined;
  if (text === undefined) throw invalidField(`${param}.content`, 'expected a string, an array of text parts, or null.');
  const calls = message.tool_calls;
  if (calls === undefined || calls === null) return { role: 'assistant', content: text };
  if (!Array.isArray(calls)) throw invalidField(`${param}.tool_calls`, 'expected an array.');
  const parts: AssistantContentPart[] = text ? [{ type: 'text', text }] : [];
  calls.forEach((call, index) => {
    const at = `${param}.tool_calls[${index}]`;
    if (!isObject(call) || !isObject(call.function)) throw invalidField(at, "expected { id, type: 'function', function: { name, arguments } }.");
    parts.push({
      type: 'tool-call',
      id: requiredString(call.id, `${at}.id`),
      name: requiredString(call.function.name, `${at}.function.name`),
      arguments: typeof call.function.arguments === 'string' ? call.function.arguments : '{}',
    });
  });
  return { role: 'assistant', content: parts };
}

function messagesOf(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidField('messages', 'required: a non-empty array of messages.');
  // A tool message names only its call's id; the tool's name (which Gemini needs) comes from that call.
  const toolNames = new Map<string, string>();
  return value.map((message, index): ChatMessage => {
    const param = `messages[${index}]`;
    if (!isObject(message)) throw invalidField(param, 'expected a message object.');
    const name = typeof message.name === 'string' ? message.name : undefined;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const content = message.content;
        const text = typeof content === 'string' ? content : Array.isArray(content) ? textOfParts(content, `${param}.content`) : undefined;
        if (text === undefined) throw invalidField(`${param}.content`, 'expected a string or an array of text parts.');
        return { role: 'system', content: text, ...(name ? { name } : {}) };
      }
      case 'user':
        return { role: 'user', content: userContent(message.content, `${param}.content`), ...(name ? { name } : {}) };
      case 'assistant': {
        const converted = assistantMessage(message, param);
        if (typeof converted.content !== 'string') {
          for (const part of converted.content) if (part.type === 'tool-call') toolNames.set(part.id, part.name);
        }
        return name ? ({ ...converted, name } as ChatMessage) : converted;
      }
      case 'tool': {
        const toolCallId = requiredString(message.tool_call_id, `${param}.tool_call_id`);
        const content = message.content;
        const result = typeof content === 'string' ? content : Array.isArray(content) ? textOfParts(content, `${param}.content`) : undefined;
        if (result === undefined) throw invalidField(`${param}.content`, 'expected a string or an array of text parts.');
        const part: ToolResultPart = { type: 'tool-result', toolCallId, name: toolNames.get(toolCallId) ?? name ?? 'tool', result };
        return { role: 'tool', content: [part] };
      }
      default:
        throw invalidField(`${param}.role`, `expected 'system', 'developer', 'user', 'assistant' or 'tool', got ${JSON.stringify(message.role)}.`);
    }
  });
}

function toolsOf(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidField('tools', 'expected an array of tools.');
  return value.map((tool, index): ToolDefinition => {
    const at = `tools[${index}]`;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) throw invalidField(at, "expected { type: 'function', function: { name, description, parameters } }.");
    const fn = tool.function;
    const name = requiredString(fn.name, `${at}.function.name`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw invalidField(`${at}.function.name`, 'must be 1–64 letters, digits, underscores or dashes.');
    if (fn.parameters !== undefined && !isObject(fn.parameters)) throw invalidField(`${at}.function.parameters`, 'expected a JSON Schema object.');
    return {
      name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(fn.parameters ? { parameters: fn.parameters } : {}),
      ...(fn.strict === true ? { strict: true } : {}),
    };
  });
}

function toolChoiceOf(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isObject(value) && value.type === 'function' && isObject(value.function) && typeof value.function.name === 'string') {
    return { type: 'tool', name: value.function.name };
  }
  throw invalidField('tool_choice', "expected 'auto', 'none', 'required' or { type: 'function', function: { name } }.");
}

function responseFormatOf(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidField('response_format', 'expected an object.');
  if (value.type === 'text') return { type: 'text' };
  if (value.type === 'json_object') return { type: 'json' };
  if (value.type === 'json_schema') {
    const spec = value.json_schema;
    if (!isObject(spec) || !isObject(spec.schema)) throw invalidField('response_format.json_schema.schema', 'expected a JSON Schema object.');
    return {
      type: 'json',
      schema: spec.schema,
      ...(typeof spec.name === 'string' ? { name: spec.name } : {}),
      ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
      ...(spec.strict === true ? { strict: true } : {}),
    };
  }
  throw invalidField('response_format.type', "expected 'text', 'json_object' or 'json_schema'.");
}

function stopOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length <= 4 && value.every((item) => typeof item === 'string')) return value as string[];
  throw invalidField('stop', 'expected a string or an array of up to 4 strings.');
}

/**
 * Reads an OpenAI chat completions body into a contract 2.0 request. Fields the contract has no
 * place for (`user`, `metadata`, `store`, ...) are ignored, as OpenAI-compatible servers do; a
 * field present with a wrong value is refused with a 400 naming it.
 */
export function parseChatRequest(body: unknown): ParsedChatRequest {
  const model = modelOf(body);
  const json = body as Json;
  const messages = messagesOf(json.messages);
  const stream = json.stream === true;
  if (json.stream !== undefined && json.stream !== null && typeof json.stream !== 'boolean') throw invalidField('stream', 'expected true or false.');
  const streamOptions = json.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) throw invalidField('stream_options', 'expected an object.');
  const n = optionalNumber(json, 'n', 1, 128, true);
  if (stream && n !== undefined && n > 1) throw invalidField('n', 'n > 1 cannot be streamed through this gateway; leave stream off to get several choices.');
  const maxTokens = optionalNumber(json, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true) ?? optionalNumber(json, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  const logprobs = json.logprobs === true;
  const topLogprobs = optionalNumber(json, 'top_logprobs', 0, 20, true);
  const request: GenerateRequest = { messages };
  const temperature = optionalNumber(json, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(json, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const presence = optionalNumber(json, 'presence_penalty', -2, 2);
  if (presence !== undefined) request.presencePenalty = presence;
  const frequency = optionalNumber(json, 'frequency_penalty', -2, 2);
  if (frequency !== undefined) request.frequencyPenalty = frequency;
  const seed = optionalNumber(json, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (seed !== undefined) request.seed = seed;
  const stop = stopOf(json.stop);
  if (stop) request.stop = stop;
  if (n !== undefined && n > 1) request.n = n;
  if (logprobs) request.logprobs = topLogprobs ?? 0;
  const tools = toolsOf(json.tools);
  if (tools && tools.length > 0) request.tools = tools;
  const toolChoice = toolChoiceOf(json.tool_choice);
  if (toolChoice) request.toolChoice = toolChoice;
  if (typeof json.parallel_tool_calls === 'boolean') request.parallelToolCalls = json.parallel_tool_calls;
  const responseFormat = responseFormatOf(json.response_format);
  if (responseFormat) request.responseFormat = responseFormat;
  return { model, request, stream, includeUsage: isObject(streamOptions) && streamOptions.include_usage === true, logprobs };
}

/** An embeddings request: the texts and the dimensions asked for. */
export interface ParsedEmbeddingsRequest {
  model: string;
  input: string[];
  dimensions?: number;
  /** `base64` (what the official SDKs ask for by default): little-endian float32 vectors, base64-encoded. */
  encoding: 'float' | 'base64';
}

/** Reads an OpenAI embeddings body. Token-id inputs (arrays of numbers) are refused: the providers embed text. */
export function parseEmbeddingsRequest(body: unknown): ParsedEmbeddingsRequest {
  const model = modelOf(body);
  const json = body as Json;
  const input = json.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string') ? (input as string[]) : undefined;
  if (!texts) throw invalidField('input', 'required: a string or a non-empty array of strings.');
  const encoding = json.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw invalidField('encoding_format', "expected 'float' or 'base64'.");
  const dimensions = optionalNumber(json, 'dimensions', 1, 100_000, true);
  return { model, input: texts, encoding, ...(dimensions !== undefined ? { dimensions } : {}) };
}
