import { imageUrlOf, type ChatMessage } from '@llm-lab/core';
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';

/**
 * Converts contract messages to OpenAI chat messages (contract 2.0):
 *
 * - system: `{ role: 'system', content }`.
 * - user: a string stays a string; parts become `text` and `image_url` parts (a base64 image as a
 *   `data:` URL, with its `detail` when set).
 * - assistant: its text as `content` (null when it only called tools), its tool calls as
 *   `tool_calls` (`type: 'function'`, arguments as the model wrote them). Reasoning parts are not
 *   sent: OpenAI's chat API takes no reasoning in replayed turns (vLLM and DeepSeek ask for it to
 *   be left out too).
 * - tool: one `{ role: 'tool', tool_call_id, content }` message per result, in order (an error
 *   result is sent as its text; OpenAI has no error flag).
 *
 * `name` is passed through for system, user and assistant messages.
 */
export function convertToOpenAIMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  for (const message of messages) {
    const name = 'name' in message && message.name !== undefined ? { name: message.name } : {};
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: message.content, ...name });
        break;
      case 'user': {
        if (typeof message.content === 'string') {
          out.push({ role: 'user', content: message.content, ...name });
          break;
        }
        const content = message.content.map((part): ChatCompletionContentPart => {
          if (part.type === 'text') return { type: 'text', text: part.text };
          return { type: 'image_url', image_url: { url: imageUrlOf(part), ...(part.detail ? { detail: part.detail } : {}) } };
        });
        out.push({ role: 'user', content, ...name });
        break;
      }
      case 'assistant': {
        if (typeof message.content === 'string') {
          out.push({ role: 'assistant', content: message.content, ...name });
          break;
        }
        let text = '';
        const toolCalls: ChatCompletionMessageToolCall[] = [];
        for (const part of message.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call') toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
        }
        const assistant: ChatCompletionAssistantMessageParam = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...name };
        if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
        out.push(assistant);
        break;
      }
      case 'tool':
        for (const result of message.content) out.push({ role: 'tool', tool_call_id: result.toolCallId, content: result.result });
        break;
    }
  }
  return out;
}
