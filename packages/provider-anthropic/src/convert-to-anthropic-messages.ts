import { imageBase64Of, messageText, ProviderError, type ChatMessage, type ImagePart, type ProviderWarning } from '@llm-lab/core';
import type { ContentBlockParam, ImageBlockParam, MessageParam } from '@anthropic-ai/sdk/resources/messages';

/** The Messages API's `system` text and `messages`, made from contract messages. */
export interface ConvertedAnthropicMessages {
  /** The system messages' contents joined by blank lines; undefined when there were none. */
  system: string | undefined;
  messages: MessageParam[];
  warnings: ProviderWarning[];
}

/** The image media types the Messages API accepts. */
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
type AnthropicImageType = (typeof IMAGE_TYPES)[number];

type Turn = { role: 'user' | 'assistant'; content: string | ContentBlockParam[] };

function badRequest(providerId: string, setting: string, message: string): ProviderError {
  return new ProviderError({ kind: 'bad-request', providerId, message: `Invalid request setting '${setting}' for ${providerId}: ${message}` });
}

/** An image part as an `image` block: base64 (a `data:` URL decoded), or a `url` source for an http(s) URL. */
function imageBlock(image: ImagePart, setting: string, providerId: string): ImageBlockParam {
  const inline = imageBase64Of(image);
  if (!inline) return { type: 'image', source: { type: 'url', url: (image.source as { url: string }).url } };
  if (!(IMAGE_TYPES as readonly string[]).includes(inline.mediaType)) {
    throw badRequest(providerId, setting, `Anthropic accepts images of type ${IMAGE_TYPES.join(', ')}, not ${inline.mediaType}. Convert the image first.`);
  }
  return { type: 'image', source: { type: 'base64', media_type: inline.mediaType as AnthropicImageType, data: inline.data } };
}

/** A tool call's JSON arguments as the `input` object a `tool_use` block carries. */
function toolInput(args: string, setting: string, providerId: string): unknown {
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    throw badRequest(providerId, setting, `the tool call's arguments must be JSON text (Anthropic replays them as an object), got ${JSON.stringify(args.slice(0, 80))}.`);
  }
}

/** The content blocks of one non-system message; a plain string stays a string. */
function contentOf(message: Exclude<ChatMessage, { role: 'system' }>, index: number, providerId: string, warn: (warning: ProviderWarning) => void): string | ContentBlockParam[] {
  if (typeof message.content === 'string') return message.content;
  const blocks: ContentBlockParam[] = [];
  message.content.forEach((part, partIndex) => {
    const setting = `messages[${index}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        blocks.push({ type: 'text', text: part.text });
        break;
      case 'image':
        blocks.push(imageBlock(part, setting, providerId));
        break;
      case 'reasoning':
        // Encrypted thinking goes back exactly as it came (Anthropic decrypts and checks it).
        if (part.redactedData !== undefined) blocks.push({ type: 'redacted_thinking', data: part.redactedData });
        else if (part.signature) blocks.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        else {
          warn({
            type: 'other',
            setting,
            message: `${providerId}: a reasoning part without its signature cannot be replayed to Anthropic (the API refuses unsigned thinking); it was left out.`,
          });
        }
        break;
      case 'tool-call':
        blocks.push({ type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments, `${setting}.arguments`, providerId) });
        break;
      case 'tool-result':
        blocks.push({ type: 'tool_result', tool_use_id: part.toolCallId, content: part.result, ...(part.isError ? { is_error: true } : {}) });
        break;
    }
  });
  return blocks;
}

function asBlocks(content: string | ContentBlockParam[]): ContentBlockParam[] {
  return typeof content === 'string' ? (content === '' ? [] : [{ type: 'text', text: content }]) : content;
}

/** Merges `next` into a turn of the same role: strings joined by a blank line, else blocks with tool results first (the API requires it). */
function merge(previous: Turn, next: string | ContentBlockParam[]): void {
  if (typeof previous.content === 'string' && typeof next === 'string') {
    previous.content = `${previous.content}\n\n${next}`;
    return;
  }
  const blocks = [...asBlocks(previous.content), ...asBlocks(next)];
  previous.content = [...blocks.filter((block) => block.type === 'tool_result'), ...blocks.filter((block) => block.type !== 'tool_result')];
}

/**
 * Converts contract messages to the Messages API's shape. System messages are lifted into the
 * top-level `system` text (in order, joined by blank lines), because the API has no system role
 * in `messages`. A plain-text message stays a string; parts become blocks: text, images (`base64`
 * source, a `data:` URL decoded; an http(s) URL as a `url` source), an assistant's reasoning as a
 * `thinking` block with its signature (unsigned reasoning is left out with a warning) or, encrypted,
 * as the `redacted_thinking` block it came in (its `data` unchanged), tool calls
 * as `tool_use` blocks (the JSON arguments as `input`), and a `tool` message's results as
 * `tool_result` blocks in a user turn. Consecutive turns of the same role are merged into one
 * (text joined by blank lines; tool results first, as the API requires), so the results of
 * parallel calls and a following user message share one turn. Trailing whitespace is trimmed from
 * a final assistant text (a prefill), which the API refuses otherwise. `name` has no Anthropic
 * equivalent: it is dropped with a warning.
 */
export function convertToAnthropicMessages(messages: readonly ChatMessage[], providerId: string): ConvertedAnthropicMessages {
  const systemParts: string[] = [];
  const turns: Turn[] = [];
  const warnings: ProviderWarning[] = [];
  let named = false;
  messages.forEach((message, index) => {
    if ('name' in message && message.name !== undefined) named = true;
    if (message.role === 'system') {
      systemParts.push(messageText(message));
      return;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = contentOf(message, index, providerId, (warning) => warnings.push(warning));
    // A message left with no blocks (only unsigned reasoning) is left out: the API refuses empty content.
    if (Array.isArray(content) && content.length === 0) return;
    const previous = turns[turns.length - 1];
    if (previous && previous.role === role) merge(previous, content);
    else turns.push({ role, content });
  });
  const last = turns[turns.length - 1];
  if (last?.role === 'assistant') {
    if (typeof last.content === 'string') last.content = last.content.trimEnd();
    else {
      const block = last.content[last.content.length - 1];
      if (block?.type === 'text') last.content[last.content.length - 1] = { ...block, text: block.text.trimEnd() };
    }
  }
  if (named) {
    warnings.push({
      type: 'unsupported-setting',
      setting: 'messages.name',
      message: `${providerId} does not support message author names; 'name' was ignored.`,
    });
  }
  return {
    system: systemParts.length > 0 ? systemParts.join('\n\n') : undefined,
    messages: turns.map((turn) => ({ role: turn.role, content: turn.content })),
    warnings,
  };
}
