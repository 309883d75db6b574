import { imageBase64Of, messageText, ProviderError, type ChatMessage } from '@llm-lab/core';

/** A tool call inside an Ollama message: the arguments as an object. */
export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

/** One message of Ollama's `POST /api/chat`. */
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 images (no `data:` prefix), on user messages. */
  images?: string[];
  /** An assistant's tool calls. */
  tool_calls?: OllamaToolCall[];
  /** An assistant's thinking, replayed. */
  thinking?: string;
  /** The tool a `tool` message answers. */
  tool_name?: string;
  /** The id of the call a `tool` message answers (Ollama 0.12 and later read it; older ones ignore it). */
  tool_call_id?: string;
}

function badRequest(providerId: string, setting: string, message: string): ProviderError {
  return new ProviderError({ kind: 'bad-request', providerId, message: `Invalid request setting '${setting}' for ${providerId}: ${message}` });
}

/** A tool call's JSON arguments as the object Ollama expects. */
function argumentsOf(args: string, setting: string, providerId: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest(providerId, setting, `the tool call's arguments must be a JSON object (Ollama replays them as one), got ${JSON.stringify(args.slice(0, 80))}.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Converts contract messages to Ollama chat messages. Roles map one to one; Ollama has no author
 * `name`, so it is left out. A user message's images go in `images` as base64 (a `data:` URL is
 * decoded; Ollama cannot fetch an http(s) URL, which is refused with a bad-request). An
 * assistant's tool calls go in `tool_calls` (arguments as an object, with the call's `id`), its
 * reasoning in `thinking`. A `tool` message becomes one `tool` message per result, with
 * `tool_name` and `tool_call_id`.
 */
export function convertToOllamaMessages(messages: readonly ChatMessage[], providerId = 'ollama'): OllamaMessage[] {
  return messages.flatMap((message, index): OllamaMessage[] => {
    if (typeof message.content === 'string' || message.role === 'system') return [{ role: message.role, content: messageText(message) }];
    if (message.role === 'tool') {
      return message.content.map((part) => ({ role: 'tool', content: part.result, tool_name: part.name, tool_call_id: part.toolCallId }));
    }
    const out: OllamaMessage = { role: message.role, content: messageText(message) };
    if (message.role === 'user') {
      const images = message.content.flatMap((part, partIndex) => {
        if (part.type !== 'image') return [];
        const inline = imageBase64Of(part);
        if (!inline) {
          throw badRequest(providerId, `messages[${index}].content[${partIndex}].source`, 'Ollama takes images as base64 bytes and cannot fetch a URL; download the image and send it as base64 or a data: URL.');
        }
        return [inline.data];
      });
      if (images.length > 0) out.images = images;
      return [out];
    }
    const calls: OllamaToolCall[] = [];
    const thinking: string[] = [];
    message.content.forEach((part, partIndex) => {
      if (part.type === 'tool-call') {
        calls.push({ id: part.id, function: { name: part.name, arguments: argumentsOf(part.arguments, `messages[${index}].content[${partIndex}].arguments`, providerId) } });
      } else if (part.type === 'reasoning') thinking.push(part.text);
    });
    if (thinking.length > 0) out.thinking = thinking.join('');
    if (calls.length > 0) out.tool_calls = calls;
    return [out];
  });
}
