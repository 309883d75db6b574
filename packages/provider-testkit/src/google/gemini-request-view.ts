/**
 * Reads a Gemini `generateContent` body back in vendor-neutral terms (the conformance suite's
 * {@link NeutralRequestView}), and checks the function-calling rules the Gemini API enforces.
 */
import type { NeutralRequestView } from '../fake-server-control.js';
import type { GenerateContentRequestBody } from './gemini-wire.js';

type Json = Record<string, unknown>;

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];
}

/**
 * Google's OpenAPI-subset `Schema` (types in capitals, `nullable`) as JSON Schema (types in lower
 * case), so a schema sent as `parameters` or `responseSchema` reads like the one the caller gave.
 */
export function jsonSchemaOfGeminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOfGeminiSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (key === 'properties' && typeof value === 'object' && value !== null) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, jsonSchemaOfGeminiSchema(property)]));
    } else if (key === 'items' || key === 'anyOf') out[key] = jsonSchemaOfGeminiSchema(value);
    else out[key] = value;
  }
  return out;
}

/** A `functionResponse.response` as the tool's result text: `output` unwrapped, `error` marked. */
function resultOf(response: unknown): { result: string; isError?: boolean } {
  const object = (typeof response === 'object' && response !== null ? response : {}) as Json;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'error') return { result: typeof object.error === 'string' ? object.error : JSON.stringify(object.error), isError: true };
  if (keys.length === 1 && keys[0] === 'output') return { result: typeof object.output === 'string' ? object.output : JSON.stringify(object.output) };
  return { result: JSON.stringify(object) };
}

/** The request in neutral terms: system instruction, contents (text, images, function calls and responses), tools, tool config and JSON output. */
export function describeGeminiRequest(body: GenerateContentRequestBody): NeutralRequestView {
  const messages: NeutralRequestView['messages'] = list(body.contents).map((content) => {
    const parts = list(content.parts);
    const responses = parts.filter((part) => part.functionResponse);
    return {
      role: content.role === 'model' ? 'assistant' : responses.length > 0 ? 'tool' : 'user',
      text: parts
        .filter((part) => typeof part.text === 'string' && part.thought !== true)
        .map((part) => String(part.text))
        .join(''),
      images: parts.flatMap((part): NeutralRequestView['messages'][number]['images'] => {
        const inline = part.inlineData as Json | undefined;
        if (inline) return [{ mediaType: String(inline.mimeType), data: String(inline.data) }];
        const file = part.fileData as Json | undefined;
        return file ? [{ url: String(file.fileUri), mediaType: String(file.mimeType) }] : [];
      }),
      toolCalls: parts
        .map((part) => part.functionCall as Json | undefined)
        .filter((call): call is Json => call !== undefined)
        .map((call) => ({ id: String(call.id ?? ''), name: String(call.name), arguments: JSON.stringify(call.args ?? {}) })),
      toolResults: responses.map((part) => {
        const response = part.functionResponse as Json;
        return { toolCallId: String(response.id ?? response.name), ...resultOf(response.response) };
      }),
    };
  });
  const declarations = list(body.tools).flatMap((tool) => list(tool.functionDeclarations));
  const calling = ((body.toolConfig as Json | undefined)?.functionCallingConfig ?? undefined) as Json | undefined;
  const allowed = Array.isArray(calling?.allowedFunctionNames) ? (calling.allowedFunctionNames as string[]) : [];
  const toolChoice: NeutralRequestView['toolChoice'] =
    calling?.mode === 'ANY' ? (allowed.length === 1 ? { name: allowed[0]! } : 'required') : calling?.mode === 'NONE' ? 'none' : calling?.mode === 'AUTO' ? 'auto' : undefined;
  const config = body.generationConfig ?? {};
  const schema = config.responseJsonSchema ?? (config.responseSchema !== undefined ? jsonSchemaOfGeminiSchema(config.responseSchema) : undefined);
  const systemParts = list((body.systemInstruction as Json | undefined)?.parts);
  const system = systemParts.map((part) => String(part.text ?? '')).join('\n');
  return {
    ...(system ? { system } : {}),
    messages,
    tools: declarations.map((declaration) => {
      const parameters = declaration.parametersJsonSchema ?? (declaration.parameters !== undefined ? jsonSchemaOfGeminiSchema(declaration.parameters) : undefined);
      return {
        name: String(declaration.name),
        ...(typeof declaration.description === 'string' ? { description: declaration.description } : {}),
        ...(parameters ? { parameters: parameters as Json } : {}),
      };
    }),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(schema !== undefined ? { responseSchema: schema as Json } : {}),
    json: config.responseMimeType === 'application/json',
    ...(typeof config.candidateCount === 'number' ? { n: config.candidateCount } : {}),
  };
}

/** The 400 message the Gemini API gives for broken function calling, or undefined. */
export function functionCallingError(body: GenerateContentRequestBody): string | undefined {
  const names = new Set(list(body.tools).flatMap((tool) => list(tool.functionDeclarations)).map((declaration) => String(declaration.name)));
  for (const [index, content] of list(body.contents).entries()) {
    for (const [partIndex, part] of list(content.parts).entries()) {
      const response = part.functionResponse as Json | undefined;
      if (response && (typeof response.name !== 'string' || response.name === '')) {
        return `* GenerateContentRequest.contents[${index}].parts[${partIndex}].function_response.name: Name cannot be empty.\n`;
      }
      const call = part.functionCall as Json | undefined;
      if (call && (typeof call.name !== 'string' || call.name === '')) {
        return `* GenerateContentRequest.contents[${index}].parts[${partIndex}].function_call.name: Name cannot be empty.\n`;
      }
      if (part.inlineData && typeof (part.inlineData as Json).mimeType !== 'string') {
        return `* GenerateContentRequest.contents[${index}].parts[${partIndex}].inline_data.mime_type: mime_type is required.\n`;
      }
    }
  }
  const calling = ((body.toolConfig as Json | undefined)?.functionCallingConfig ?? undefined) as Json | undefined;
  for (const name of Array.isArray(calling?.allowedFunctionNames) ? (calling.allowedFunctionNames as string[]) : []) {
    if (!names.has(name)) return `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: '${name}' is not a declared function.\n`;
  }
  const count = body.generationConfig?.candidateCount;
  if (count !== undefined && (typeof count !== 'number' || count < 1 || count > 8)) {
    return '* GenerateContentRequest.generation_config.candidate_count: must be in the range [1, 8]\n';
  }
  return undefined;
}
