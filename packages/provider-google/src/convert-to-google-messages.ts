import { imageBase64Of, messageText, ProviderError, type ChatMessage, type ImagePart, type ProviderWarning } from '@llm-lab/core';
import type { Content, Part } from '@google/genai';

/** Contract messages in Gemini's shape, and what could not be carried over. */
export interface GoogleMessages {
  /** The system messages' text, one part each; absent when there are none. */
  systemInstruction?: Content;
  /** The conversation, with `assistant` as role `model`; consecutive messages of one role are merged into one content. */
  contents: Content[];
  warnings: ProviderWarning[];
}

/** Media types of images by file extension, for `fileData` (Gemini needs the type of a file it reads by URL). */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

function badRequest(providerId: string, setting: string, message: string): ProviderError {
  return new ProviderError({ kind: 'bad-request', providerId, message: `Invalid request setting '${setting}' for ${providerId}: ${message}` });
}

/** An image as `inlineData` (base64; a `data:` URL decoded), or an http(s) URL as `fileData` with the type its extension names. */
function imagePart(image: ImagePart, setting: string, providerId: string): Part {
  const inline = imageBase64Of(image);
  if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  const url = (image.source as { url: string }).url;
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  const mimeType = extension !== undefined ? IMAGE_TYPES[extension] : undefined;
  if (!mimeType) {
    throw badRequest(providerId, setting, `Gemini reads an image URL as fileData and needs its type, which the URL's extension does not name (${url}). Send the image as base64, or use a URL ending in .png, .jpg, .webp, .heic or .heif.`);
  }
  return { fileData: { fileUri: url, mimeType } };
}

/** A tool call's JSON arguments as the `args` object of a `functionCall`. */
function argsOf(args: string, setting: string, providerId: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw badRequest(providerId, setting, `the tool call's arguments must be a JSON object (Gemini replays them as one), got ${JSON.stringify(args.slice(0, 80))}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest(providerId, setting, `the tool call's arguments must be a JSON object, got ${JSON.stringify(args.slice(0, 80))}.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * A tool result as a `functionResponse.response` object: a JSON object result as it is, any other
 * result as `{ output }` (parsed when it is JSON), and a failed tool's message as `{ error }`, the
 * keys Google's documentation uses.
 */
export function functionResponseOf(result: string, isError: boolean | undefined): Record<string, unknown> {
  if (isError) return { error: result };
  try {
    const parsed: unknown = JSON.parse(result);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return { output: parsed };
  } catch {
    return { output: result };
  }
}

/** The parts of one non-system message. */
function partsOf(message: Exclude<ChatMessage, { role: 'system' }>, index: number, providerId: string): Part[] {
  if (typeof message.content === 'string') return [{ text: message.content }];
  const parts: Part[] = [];
  message.content.forEach((part, partIndex) => {
    const setting = `messages[${index}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        parts.push({ text: part.text });
        break;
      case 'image':
        parts.push(imagePart(part, setting, providerId));
        break;
      case 'reasoning':
        // Gemini does not take thought text back; its thoughts stay with the model.
        break;
      case 'tool-call':
        parts.push({
          functionCall: { id: part.id, name: part.name, args: argsOf(part.arguments, `${setting}.arguments`, providerId) },
          // Gemini's thoughtSignature travels back on the part that carried it.
          ...(part.signature ? { thoughtSignature: part.signature } : {}),
        });
        break;
      case 'tool-result':
        parts.push({ functionResponse: { id: part.toolCallId, name: part.name, response: functionResponseOf(part.result, part.isError) } });
        break;
    }
  });
  return parts;
}

/**
 * Converts contract messages to Gemini contents. System messages become `systemInstruction`
 * (Gemini has a single one: a system message after the conversation started is moved there, with a
 * warning). `assistant` becomes role `model`: its text parts, its tool calls as `functionCall`
 * parts (`id`, `name`, the JSON arguments as `args`, and the call's `thoughtSignature` when the
 * response carried one); reasoning text is not sent back (Gemini keeps its thoughts). A `tool` message becomes a user content of `functionResponse` parts (`id`, `name`,
 * the result as `response`, see {@link functionResponseOf}). Images become `inlineData` (a `data:`
 * URL is decoded) or, for an http(s) URL, `fileData`. Gemini has no author names, so `name` is
 * dropped with a warning. Gemini expects turns to alternate, so consecutive messages of one role
 * become one content with the parts of each message.
 */
export function convertToGoogleMessages(messages: readonly ChatMessage[], providerId: string): GoogleMessages {
  const warnings: ProviderWarning[] = [];
  const system: Array<{ text: string }> = [];
  const contents: Content[] = [];
  let namesDropped = false;
  let lateSystem = false;
  messages.forEach((message, index) => {
    if ('name' in message && message.name !== undefined) namesDropped = true;
    if (message.role === 'system') {
      if (contents.length > 0) lateSystem = true;
      system.push({ text: messageText(message) });
      return;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = partsOf(message, index, providerId);
    // A message left with no parts (only reasoning, which Gemini does not take back) is left out: Gemini refuses empty contents.
    if (parts.length === 0) return;
    const previous = contents[contents.length - 1];
    if (previous && previous.role === role) previous.parts?.push(...parts);
    else contents.push({ role, parts });
  });
  if (namesDropped) {
    warnings.push({ type: 'unsupported-setting', setting: 'messages[].name', message: `${providerId}: Gemini has no message author names; 'name' was ignored.` });
  }
  if (lateSystem) {
    warnings.push({
      type: 'other',
      message: `${providerId}: Gemini takes one system instruction; system messages after the first turn were moved into it.`,
    });
  }
  return { ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}), contents, warnings };
}
