/**
 * The contract 2.0 parts of OpenAI's chat-completions wire format, as the fake servers read and
 * write them (OpenAI's API reference, and the `openai` SDK's types): `tools` and `tool_choice`,
 * assistant `tool_calls` and `tool` messages, `image_url` content parts, `response_format`
 * `json_object` / `json_schema`, and `tool_calls` in answers, whole and streamed as deltas.
 */
import { randomBytes } from 'node:crypto';
import type { NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import { errorWire, textOfContent, type ChatCompletionRequestBody, type FakeReply } from './openai-wire.js';

/** A tool call in a fake answer (`id` made up when absent). */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** OpenAI's tool-call ids: `call_` and 24 random characters. */
export function toolCallId(): string {
  return `call_${randomBytes(18).toString('base64url').slice(0, 24)}`;
}

/** The `tool_calls` of a whole answer's message. */
export function toolCallsWire(calls: readonly FakeToolCall[]) {
  return calls.map((call) => ({ id: call.id ?? toolCallId(), type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

/**
 * The streamed deltas of tool calls, as OpenAI sends them: per call, a first delta with `index`,
 * `id`, `type` and the function `name` (arguments empty), then the arguments in fragments, each
 * in a delta with only `index` and `function.arguments`. Parallel calls follow one another.
 */
export function toolCallDeltas(calls: readonly FakeToolCall[], fragmentLength = 8): Json[] {
  const deltas: Json[] = [];
  calls.forEach((call, index) => {
    deltas.push({ tool_calls: [{ index, id: call.id ?? toolCallId(), type: 'function', function: { name: call.name, arguments: '' } }] });
    for (let at = 0; at < call.arguments.length; at += fragmentLength) {
      deltas.push({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + fragmentLength) } }] });
    }
  });
  return deltas;
}

/** A neutral scripted reply as the engine's reply: ids filled in, `tool_calls` as the finish reason when there are calls. */
export function fakeReplyOf(reply: ScriptedReply, echo: () => string): FakeReply {
  const toolCalls = reply.toolCalls?.map((call) => ({ ...call, id: call.id ?? toolCallId() }));
  const calling = toolCalls !== undefined && toolCalls.length > 0;
  return {
    text: reply.text ?? (calling ? '' : echo()),
    ...(calling ? { toolCalls, finishReason: 'tool_calls' as const } : {}),
    ...(reply.reasoning !== undefined ? { reasoning: reply.reasoning } : {}),
  };
}

/** The images of a content array (`image_url` parts), as sent. */
function imagesOf(content: unknown): NeutralRequestView['messages'][number]['images'] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: unknown) => {
    if (!isObject(part) || part.type !== 'image_url' || !isObject(part.image_url) || typeof part.image_url.url !== 'string') return [];
    const url = part.image_url.url;
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    return [data ? { url, mediaType: data[1], data: data[2] } : { url }];
  });
}

/** Reads a chat-completions request back in neutral terms (the conformance suite's view). */
export function describeChatRequest(record: RecordedRequest): NeutralRequestView {
  const body = (isObject(record.body) ? record.body : {}) as ChatCompletionRequestBody;
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map((message) => textOfContent(message.content));
  const view: NeutralRequestView = {
    ...(system.length > 0 ? { system: system.join('\n') } : {}),
    messages: messages
      .filter((message) => message.role === 'user' || message.role === 'assistant' || message.role === 'tool')
      .map((message) => ({
        role: message.role as 'user' | 'assistant' | 'tool',
        text: textOfContent(message.content),
        images: imagesOf(message.content),
        toolCalls: (Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : []).map((call) => {
          const fn = isObject(call.function) ? call.function : {};
          return { id: String(call.id), name: String(fn.name), arguments: String(fn.arguments) };
        }),
        toolResults: message.role === 'tool' ? [{ toolCallId: String(message.tool_call_id), result: textOfContent(message.content) }] : [],
      })),
    tools: (Array.isArray(body.tools) ? body.tools.filter(isObject) : []).flatMap((tool) => {
      if (tool.type !== 'function' || !isObject(tool.function)) return [];
      const fn = tool.function;
      return [{ name: String(fn.name), ...(typeof fn.description === 'string' ? { description: fn.description } : {}), ...(isObject(fn.parameters) ? { parameters: fn.parameters } : {}) }];
    }),
    json: false,
  };
  const choice = body.tool_choice;
  if (choice === 'auto' || choice === 'none' || choice === 'required') view.toolChoice = choice;
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') view.toolChoice = { name: choice.function.name };
  const format = isObject(body.response_format) ? body.response_format : undefined;
  if (format?.type === 'json_object') view.json = true;
  if (format?.type === 'json_schema') {
    view.json = true;
    const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
    if (isObject(schema)) view.responseSchema = schema;
  }
  if (typeof body.n === 'number') view.n = body.n;
  return view;
}

/** A 400 in OpenAI's words. */
const invalid = (param: string | null, message: string, code: string | null = null) => ({
  status: 400,
  body: errorWire({ message, type: 'invalid_request_error', param, code }),
});

/**
 * OpenAI's checks of the contract 2.0 fields, with its error messages: tools need a function with
 * a name, a named `tool_choice` one of the tools, `tool` messages answer a preceding assistant's
 * `tool_calls` (each of which must be answered), `json_object` needs the word JSON in the
 * messages, `json_schema` a name and a schema, and `n` 1–128.
 */
export function validateToolFields(body: ChatCompletionRequestBody): { status: number; body: unknown } | undefined {
  const tools = body.tools;
  const names = new Set<string>();
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) return invalid('tools', "Invalid type for 'tools': expected an array, but got an object instead.", 'invalid_type');
    for (const [index, tool] of tools.entries()) {
      const fn = isObject(tool) && isObject(tool.function) ? tool.function : undefined;
      if (!isObject(tool) || (tool.type !== 'function' && tool.type !== 'custom')) {
        return invalid(`tools[${index}].type`, `Invalid value: '${String(isObject(tool) ? tool.type : tool)}'. Supported values are: 'function' and 'custom'.`, 'invalid_value');
      }
      if (tool.type === 'function' && (typeof fn?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name))) {
        return invalid(`tools[${index}].function.name`, `Invalid 'tools[${index}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, 'invalid_value');
      }
      if (fn) names.add(String(fn.name));
    }
  }
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null) {
    if (choice !== 'none' && names.size === 0) {
      return invalid('tool_choice', "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", null);
    }
    if (isObject(choice)) {
      const name = isObject(choice.function) ? choice.function.name : undefined;
      if (typeof name !== 'string' || !names.has(name)) {
        return invalid('tool_choice', `Invalid value for 'tool_choice': no function named '${String(name)}' was specified in the 'tools' parameter.`, null);
      }
    } else if (!['auto', 'none', 'required'].includes(String(choice))) {
      return invalid('tool_choice', `Invalid value: '${String(choice)}'. Supported values are: 'none', 'auto', and 'required'.`, 'invalid_value');
    }
  }
  if (Array.isArray(body.messages)) {
    let open = new Set<string>();
    for (const [index, message] of body.messages.entries()) {
      if (!isObject(message)) continue;
      if (message.role === 'tool') {
        if (typeof message.tool_call_id !== 'string' || !open.has(message.tool_call_id)) {
          return invalid(`messages.[${index}].role`, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", null);
        }
        open.delete(message.tool_call_id);
        continue;
      }
      if (open.size > 0) {
        return invalid(
          'messages',
          `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
          null,
        );
      }
      open = new Set(message.role === 'assistant' && Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject).map((call) => String(call.id)) : []);
    }
  }
  const format = isObject(body.response_format) ? body.response_format : undefined;
  if (format?.type === 'json_object') {
    const texts = Array.isArray(body.messages) ? body.messages.map((message: unknown) => textOfContent(isObject(message) ? message.content : undefined)) : [];
    if (!texts.some((text) => /json/i.test(text))) {
      return invalid('messages', "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", null);
    }
  }
  if (format?.type === 'json_schema') {
    const spec = isObject(format.json_schema) ? format.json_schema : undefined;
    if (typeof spec?.name !== 'string') return invalid('response_format.json_schema.name', "Missing required parameter: 'response_format.json_schema.name'.", 'missing_required_parameter');
  }
  if (body.n !== undefined && body.n !== null && (typeof body.n !== 'number' || !Number.isInteger(body.n) || body.n < 1 || body.n > 128)) {
    return invalid('n', `Invalid 'n': integer out of range. Expected a value between 1 and 128, but got ${String(body.n)} instead.`, 'integer_out_of_range');
  }
  return undefined;
}
