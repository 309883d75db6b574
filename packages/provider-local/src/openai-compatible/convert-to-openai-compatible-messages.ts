import type { ChatMessage } from '@llm-lab/core';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/**
 * Converts contract messages to OpenAI chat messages. `name` is passed through; a `tool` message
 * has no tool-call id in the contract, so it is sent as a user message prefixed with `Tool result:`.
 */
export function convertToOpenAICompatibleMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    const name = message.name !== undefined ? { name: message.name } : {};
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content, ...name };
      case 'assistant':
        return { role: 'assistant', content: message.content, ...name };
      case 'tool':
        return { role: 'user', content: `Tool result:\n${message.content}`, ...name };
      default:
        return { role: 'user', content: message.content, ...name };
    }
  });
}
