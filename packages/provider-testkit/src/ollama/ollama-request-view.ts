/**
 * Reads an Ollama `/api/chat` body back in vendor-neutral terms (the conformance suite's
 * {@link NeutralRequestView}), and checks tools and images the way Ollama's decoder does.
 */
import type { NeutralRequestView } from '../fake-server-control.js';
import { ollamaMessagesOf, type OllamaChatRequestBody } from './ollama-wire.js';

type Json = Record<string, unknown>;

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];
}

/** The request in neutral terms. Ollama has no tool choice, so `toolChoice` is always absent. */
export function describeOllamaRequest(body: OllamaChatRequestBody): NeutralRequestView {
  const all = ollamaMessagesOf(body);
  const system = all.filter((message) => message.role === 'system').map((message) => String(message.content ?? '')).join('\n');
  const messages: NeutralRequestView['messages'] = all
    .filter((message) => message.role !== 'system')
    .map((message) => ({
      role: message.role === 'assistant' ? 'assistant' : message.role === 'tool' ? 'tool' : 'user',
      text: message.role === 'tool' ? '' : String(message.content ?? ''),
      images: (Array.isArray(message.images) ? message.images : []).map((data) => ({ data: String(data) })),
      toolCalls: list(message.tool_calls).map((call) => {
        const fn = (call.function ?? {}) as Json;
        return { id: String(call.id ?? ''), name: String(fn.name), arguments: JSON.stringify(fn.arguments ?? {}) };
      }),
      toolResults: message.role === 'tool' ? [{ toolCallId: String(message.tool_call_id ?? message.tool_name ?? ''), result: String(message.content ?? '') }] : [],
    }));
  const format = body.format;
  return {
    ...(system ? { system } : {}),
    messages,
    tools: list(body.tools).map((tool) => {
      const fn = (tool.function ?? {}) as Json;
      return {
        name: String(fn.name),
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        ...(fn.parameters ? { parameters: fn.parameters as Json } : {}),
      };
    }),
    ...(typeof format === 'object' && format !== null ? { responseSchema: format as Json } : {}),
    json: format === 'json' || (typeof format === 'object' && format !== null),
  };
}

/** The 400 message Ollama gives for malformed tools or images, or undefined. */
export function toolsOrImagesError(body: OllamaChatRequestBody): string | undefined {
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) return `json: cannot unmarshal ${typeof body.tools} into Go struct field ChatRequest.tools of type api.Tools`;
    for (const tool of list(body.tools)) {
      const fn = tool.function as Json | undefined;
      if (tool.type !== 'function' || !fn || typeof fn.name !== 'string' || fn.name === '') return 'invalid tool: a tool needs type "function" and function.name';
    }
  }
  for (const message of ollamaMessagesOf(body)) {
    for (const image of Array.isArray(message.images) ? message.images : []) {
      if (typeof image !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(image)) return 'illegal base64 data at input byte 4';
    }
    for (const call of list(message.tool_calls)) {
      const args = (call.function as Json | undefined)?.arguments;
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        return `json: cannot unmarshal ${typeof args} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`;
      }
    }
  }
  return undefined;
}
