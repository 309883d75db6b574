import { messageText, type ChatMessage } from '@llm-lab/core';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/**
 * Converts contract messages to OpenAI chat messages. `name` is passed through for system, user
 * and assistant messages. A `tool` message has no tool-call id in the contract, so it is sent as a
 * user message prefixed with `Tool result:`; OpenAI would refuse a bare tool message.
 */
export function convertToOpenAIMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    const name = 'name' in message && message.name !== undefined ? { name: message.name } : {};
    const content = messageText(message);
    switch (message.role) {
      case 'system':
        return { role: 'system', content, ...name };
      case 'user':
        return { role: 'user', content, ...name };
      case 'assistant':
        return { role: 'assistant', content, ...name };
      case 'tool':
        return { role: 'user', content: `Tool result:\n${content}`, ...name };
    }
  });
}
