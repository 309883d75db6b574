import { messageText, type ChatMessage } from '@llm-lab/core';

/** One message of Ollama's `POST /api/chat`. */
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/**
 * Converts contract messages to Ollama chat messages. Roles map one to one (Ollama accepts
 * `tool`); Ollama has no author `name`, so it is left out.
 */
export function convertToOllamaMessages(messages: readonly ChatMessage[]): OllamaMessage[] {
  return messages.map((message) => ({ role: message.role, content: messageText(message) }));
}
