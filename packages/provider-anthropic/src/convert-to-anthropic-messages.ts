import { messageText, type ChatMessage, type ProviderWarning } from '@llm-lab/core';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';

/** The Messages API's `system` text and `messages`, made from contract messages. */
export interface ConvertedAnthropicMessages {
  /** The system messages' contents joined by blank lines; undefined when there were none. */
  system: string | undefined;
  messages: MessageParam[];
  warnings: ProviderWarning[];
}

/**
 * Converts contract messages to the Messages API's shape. System messages are lifted into the
 * top-level `system` text (in order, joined by blank lines), because the API has no system role
 * in `messages`. A `tool` message has no tool-use id in the contract, so it is sent as a user turn
 * prefixed with `Tool result:`. Consecutive turns of the same role are merged into one, joined by
 * blank lines. Trailing whitespace is trimmed from a final assistant turn (a prefill), which the
 * API refuses otherwise. `name` has no Anthropic equivalent: it is dropped with a warning.
 */
export function convertToAnthropicMessages(messages: readonly ChatMessage[], providerId: string): ConvertedAnthropicMessages {
  const systemParts: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  const warnings: ProviderWarning[] = [];
  let named = false;
  for (const message of messages) {
    if ('name' in message && message.name !== undefined) named = true;
    if (message.role === 'system') {
      systemParts.push(messageText(message));
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = message.role === 'tool' ? `Tool result:\n${messageText(message)}` : messageText(message);
    const previous = turns[turns.length - 1];
    if (previous && previous.role === role) previous.content = `${previous.content}\n\n${content}`;
    else turns.push({ role, content });
  }
  const last = turns[turns.length - 1];
  if (last?.role === 'assistant') last.content = last.content.trimEnd();
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
