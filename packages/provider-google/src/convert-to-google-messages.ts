import { messageText, type ChatMessage, type ProviderWarning } from '@llm-lab/core';
import type { Content } from '@google/genai';

/** Contract messages in Gemini's shape, and what could not be carried over. */
export interface GoogleMessages {
  /** The system messages' text, one part each; absent when there are none. */
  systemInstruction?: Content;
  /** The conversation, with `assistant` as role `model`; consecutive messages of one role are merged into one content. */
  contents: Content[];
  warnings: ProviderWarning[];
}

/**
 * Converts contract messages to Gemini contents. System messages become `systemInstruction`
 * (Gemini has a single one: a system message after the conversation started is moved there, with a
 * warning). `assistant` becomes role `model`; a `tool` message (the contract carries no call id) is
 * sent as a user turn prefixed with `Tool result:`. Gemini has no author names, so `name` is
 * dropped with a warning. Gemini expects turns to alternate, so consecutive messages of one role
 * become one content with a part per message.
 */
export function convertToGoogleMessages(messages: readonly ChatMessage[], providerId: string): GoogleMessages {
  const warnings: ProviderWarning[] = [];
  const system: Array<{ text: string }> = [];
  const contents: Content[] = [];
  let namesDropped = false;
  let lateSystem = false;
  for (const message of messages) {
    if ('name' in message && message.name !== undefined) namesDropped = true;
    if (message.role === 'system') {
      if (contents.length > 0) lateSystem = true;
      system.push({ text: messageText(message) });
      continue;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    const text = message.role === 'tool' ? `Tool result:\n${messageText(message)}` : messageText(message);
    const previous = contents[contents.length - 1];
    if (previous && previous.role === role) previous.parts?.push({ text });
    else contents.push({ role, parts: [{ text }] });
  }
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
