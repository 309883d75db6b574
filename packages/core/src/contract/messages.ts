import type {
  AssistantContentPart,
  ChatMessage,
  ImagePart,
  ReasoningBlock,
  ToolCall,
  ToolResultPart,
  UserContentPart,
} from './types.js';

type AnyPart = UserContentPart | AssistantContentPart | ToolResultPart;

/** The parts of a message's content (a string becomes one text part). */
export function contentParts(message: ChatMessage): AnyPart[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

/**
 * The text of a message: its text parts joined (a tool message: its results, one per line).
 * Images, tool calls and reasoning are left out.
 */
export function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  const texts: string[] = [];
  for (const part of message.content as AnyPart[]) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'tool-result') texts.push(part.result);
  }
  return texts.join(message.role === 'tool' ? '\n' : '');
}

/** The tool calls of an assistant message, in order (none for other roles). */
export function messageToolCalls(message: ChatMessage): ToolCall[] {
  if (message.role !== 'assistant' || typeof message.content === 'string') return [];
  return message.content
    .filter((part): part is Extract<AssistantContentPart, { type: 'tool-call' }> => part.type === 'tool-call')
    .map(({ id, name, arguments: args }) => ({ id, name, arguments: args }));
}

/** The images of a user message, in order. */
export function messageImages(message: ChatMessage): ImagePart[] {
  if (message.role !== 'user' || typeof message.content === 'string') return [];
  return message.content.filter((part): part is ImagePart => part.type === 'image');
}

/** True when every message is plain text (no images, tool calls, tool results or reasoning). */
export function isTextOnly(messages: readonly ChatMessage[]): boolean {
  return messages.every(
    (message) => typeof message.content === 'string' || (message.content as AnyPart[]).every((part) => part.type === 'text'),
  );
}

/**
 * An image as a `data:` URL when it is base64, else its URL: for vendors that take images only as
 * URLs (OpenAI accepts data URLs).
 */
export function imageUrlOf(image: ImagePart): string {
  return image.source.type === 'url' ? image.source.url : `data:${image.source.mediaType};base64,${image.source.data}`;
}

/**
 * An image as base64 bytes with their media type, for vendors that take only inline bytes: a
 * `data:` URL is decoded; an `http(s)` URL returns `undefined` (the provider must fetch it or
 * refuse it with a clear error).
 */
export function imageBase64Of(image: ImagePart): { mediaType: string; data: string } | undefined {
  if (image.source.type === 'base64') return { mediaType: image.source.mediaType, data: image.source.data };
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(image.source.url);
  return match ? { mediaType: match[1]!, data: match[2]! } : undefined;
}

/** The assistant message that replays a response (its reasoning, text and tool calls) into a conversation. */
export function assistantMessageOf(response: {
  text: string;
  toolCalls?: ToolCall[];
  reasoning?: string;
  reasoningSignatures?: string[];
  reasoningParts?: ReasoningBlock[];
}): ChatMessage {
  const parts: AssistantContentPart[] = [];
  if (response.reasoningParts && response.reasoningParts.length > 0) {
    // Every block with its own signature (or encrypted data), in order: the vendor checks each one.
    for (const block of response.reasoningParts) {
      parts.push({ type: 'reasoning', text: block.text, ...(block.signature ? { signature: block.signature } : {}), ...(block.redactedData !== undefined ? { redactedData: block.redactedData } : {}) });
    }
  } else if (response.reasoning) {
    parts.push({ type: 'reasoning', text: response.reasoning, ...(response.reasoningSignatures?.[0] ? { signature: response.reasoningSignatures[0] } : {}) });
  }
  if (response.text) parts.push({ type: 'text', text: response.text });
  for (const call of response.toolCalls ?? []) parts.push({ type: 'tool-call', ...call });
  if (parts.length === 1 && parts[0]!.type === 'text') return { role: 'assistant', content: response.text };
  return { role: 'assistant', content: parts };
}
