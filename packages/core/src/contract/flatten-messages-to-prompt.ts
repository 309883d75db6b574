import { messageText } from './messages.js';
import type { ChatMessage } from './types.js';

/** A flattened conversation: the completion prompt and the stop sequences it implies. */
export interface FlattenedPrompt {
  prompt: string;
  /** `\nUser:` for a transcript, so the model does not write the user's next turn; empty otherwise. */
  stop: string[];
}

const LABELS: Record<ChatMessage['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool' };

/**
 * Turns a conversation into a plain-text completion prompt, for models run as plain text
 * completion (GGUF models without a chat template, prompt scoring on a completions endpoint):
 *
 * - system messages, then one user message: the system texts and the user text, separated by
 *   blank lines, with no labels, so the model simply continues the user's text;
 * - anything longer: the system texts, then a `User:` / `Assistant:` / `Tool:` transcript ending in
 *   `Assistant:`, with `\nUser:` as a stop sequence.
 */
export function flattenMessagesToPrompt(messages: readonly ChatMessage[]): FlattenedPrompt {
  const system = messages.filter((message) => message.role === 'system').map(messageText);
  const turns = messages.filter((message) => message.role !== 'system');
  const preamble = system.length > 0 ? `${system.join('\n\n')}\n\n` : '';
  if (turns.length === 1 && turns[0]?.role === 'user') return { prompt: `${preamble}${messageText(turns[0])}`, stop: [] };
  const transcript = turns.map((message) => `${LABELS[message.role]}: ${messageText(message)}`).join('\n');
  return { prompt: `${preamble}${transcript}${transcript ? '\n' : ''}Assistant:`, stop: ['\nUser:'] };
}
