import { ProviderError } from '../errors.js';
import type { ChatMessage, GenerateRequest, ModelCapabilities, ProviderWarning } from './types.js';

/** Throws a `bad-request` error naming the setting (see `BaseProvider.validateRequest`). */
export type Invalid = (setting: string, expected: string, value: unknown) => never;

const PART_TYPES: Record<ChatMessage['role'], readonly string[]> = {
  system: [],
  user: ['text', 'image'],
  assistant: ['text', 'tool-call', 'reasoning'],
  tool: ['tool-result'],
};

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Checks one message: its role, and its content (a string, or the parts its role may hold). */
export function validateMessage(message: ChatMessage, index: number, invalid: Invalid): void {
  const at = `messages[${index}]`;
  if (!message || typeof message !== 'object') invalid(at, 'a message object', message);
  if (!(message.role in PART_TYPES)) invalid(`${at}.role`, 'system, user, assistant or tool', message.role);
  const content: unknown = message.content;
  if (typeof content === 'string') {
    if (message.role === 'tool') invalid(`${at}.content`, 'tool-result parts (a tool message answers tool calls by id)', content);
    return;
  }
  const allowed = PART_TYPES[message.role];
  if (!Array.isArray(content) || allowed.length === 0) {
    invalid(`${at}.content`, allowed.length === 0 ? 'a string' : `a string or an array of ${allowed.join('/')} parts`, content);
  }
  (content as Array<Record<string, unknown>>).forEach((part, partIndex) => {
    const where = `${at}.content[${partIndex}]`;
    if (!part || typeof part !== 'object' || !allowed.includes(String(part.type))) {
      invalid(where, `a ${allowed.join(', ')} part for a ${message.role} message`, part);
    }
    switch (part.type) {
      case 'text':
      case 'reasoning':
        if (typeof part.text !== 'string') invalid(`${where}.text`, 'a string', part.text);
        break;
      case 'image': {
        const source = part.source as Record<string, unknown> | undefined;
        const ok =
          (source?.type === 'url' && typeof source.url === 'string' && /^(https?:|data:)/.test(source.url)) ||
          (source?.type === 'base64' && typeof source.data === 'string' && typeof source.mediaType === 'string' && /^image\//.test(source.mediaType));
        if (!ok) invalid(`${where}.source`, "{ type: 'url', url: 'https://…' | 'data:…' } or { type: 'base64', mediaType: 'image/…', data }", source);
        break;
      }
      case 'tool-call':
        if (typeof part.id !== 'string' || !part.id) invalid(`${where}.id`, 'the tool call id', part.id);
        if (typeof part.name !== 'string' || !part.name) invalid(`${where}.name`, 'the tool name', part.name);
        if (typeof part.arguments !== 'string') invalid(`${where}.arguments`, 'JSON text', part.arguments);
        break;
      case 'tool-result':
        if (typeof part.toolCallId !== 'string' || !part.toolCallId) invalid(`${where}.toolCallId`, 'the id of the tool call it answers', part.toolCallId);
        if (typeof part.name !== 'string' || !part.name) invalid(`${where}.name`, 'the tool name', part.name);
        if (typeof part.result !== 'string') invalid(`${where}.result`, 'the result as text (JSON text for structured results)', part.result);
        break;
    }
  });
}

/** Checks `tools`, `toolChoice` and `responseFormat`. */
export function validateTools(request: GenerateRequest, invalid: Invalid): void {
  const names = new Set<string>();
  if (request.tools !== undefined) {
    if (!Array.isArray(request.tools)) invalid('tools', 'an array of tool definitions', request.tools);
    request.tools.forEach((tool, index) => {
      if (!tool || typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
        invalid(`tools[${index}].name`, 'letters, digits, _ or -, at most 64 characters', tool?.name);
      }
      if (names.has(tool.name)) invalid(`tools[${index}].name`, 'a name used once', tool.name);
      names.add(tool.name);
      if (tool.parameters !== undefined && (typeof tool.parameters !== 'object' || tool.parameters === null || Array.isArray(tool.parameters))) {
        invalid(`tools[${index}].parameters`, 'a JSON Schema object', tool.parameters);
      }
    });
  }
  const choice = request.toolChoice;
  if (choice !== undefined) {
    if (typeof choice === 'object' && choice !== null && choice.type === 'tool') {
      if (!names.has(choice.name)) invalid('toolChoice.name', `one of the request's tools (${[...names].join(', ') || 'none given'})`, choice.name);
    } else if (!['auto', 'none', 'required'].includes(choice as string)) {
      invalid('toolChoice', "'auto', 'none', 'required' or { type: 'tool', name }", choice);
    } else if (choice === 'required' && names.size === 0) {
      invalid('toolChoice', 'tools to choose from (toolChoice required needs tools)', choice);
    }
  }
  const format = request.responseFormat;
  if (format !== undefined) {
    if (format.type !== 'text' && format.type !== 'json') invalid('responseFormat.type', "'text' or 'json'", (format as { type: unknown }).type);
    if (format.type === 'json' && format.schema !== undefined && (typeof format.schema !== 'object' || format.schema === null || Array.isArray(format.schema))) {
      invalid('responseFormat.schema', 'a JSON Schema object', format.schema);
    }
  }
}

/**
 * What a provider does with contract 2.0 features its capabilities do not claim, so none is lost
 * silently: an image it cannot see is refused (`bad-request`: the answer would be about a picture
 * the model never saw); tools, `n` and a JSON schema it cannot honour are ignored with a warning.
 * Settings the provider already lists as unsupported are not warned about twice.
 */
export function capabilityWarnings(
  request: GenerateRequest,
  capabilities: ModelCapabilities | undefined,
  providerId: string,
  alreadyWarned: ReadonlySet<string>,
): ProviderWarning[] {
  if (!capabilities) return [];
  const warnings: ProviderWarning[] = [];
  const warn = (setting: string, message: string) => {
    if (!alreadyWarned.has(setting)) warnings.push({ type: 'unsupported-setting', setting, message: `${providerId} ${message}` });
  };
  if (!capabilities.vision) {
    const index = request.messages.findIndex((message) => Array.isArray(message.content) && (message.content as Array<{ type: string }>).some((part) => part.type === 'image'));
    if (index >= 0) {
      throw new ProviderError({
        kind: 'bad-request',
        providerId,
        message: `${providerId} cannot take images (messages[${index}] has one): use a model with vision, or send the text only.`,
      });
    }
  }
  if (!capabilities.tools && request.tools !== undefined && request.tools.length > 0) {
    warn('tools', `cannot call tools; 'tools' was ignored and the model answers in text.`);
  }
  if (!capabilities.multipleChoices && request.n !== undefined && request.n > 1) {
    warn('n', `generates one answer per call; 'n' was ignored.`);
  }
  if (request.responseFormat?.type === 'json') {
    if (request.responseFormat.schema !== undefined && !capabilities.jsonSchema) {
      warn('responseFormat.schema', capabilities.jsonMode ? `cannot enforce a JSON schema; it asks for a JSON object only.` : `cannot enforce JSON output; the schema was ignored.`);
    } else if (request.responseFormat.schema === undefined && !capabilities.jsonMode && !capabilities.jsonSchema) {
      warn('responseFormat', `cannot enforce JSON output; 'responseFormat' was ignored.`);
    }
  }
  return warnings;
}
