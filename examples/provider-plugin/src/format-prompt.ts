import { messageText, type ChatMessage } from '@llm-lab/core';

/**
 * How a conversation is written as one prompt string. Each turn template contains `{content}`,
 * replaced by the message text; `generation` follows the last turn and is where the model answers.
 */
export interface PromptFormat {
  system: string;
  user: string;
  assistant: string;
  generation: string;
  prefix: string;
}

/** The built-in formats. Match the one your model was trained with (see its chat template). */
export const PROMPT_FORMATS = {
  /** Readable labels, for base models and quick trials: `System: …`, `User: …`, `Assistant:`. */
  plain: { prefix: '', system: 'System: {content}\n\n', user: 'User: {content}\n\n', assistant: 'Assistant: {content}\n\n', generation: 'Assistant:' },
  /** ChatML (Qwen, many fine-tunes). */
  chatml: {
    prefix: '',
    system: '<|im_start|>system\n{content}<|im_end|>\n',
    user: '<|im_start|>user\n{content}<|im_end|>\n',
    assistant: '<|im_start|>assistant\n{content}<|im_end|>\n',
    generation: '<|im_start|>assistant\n',
  },
  /** Llama 3 / 3.1 / 3.2 / 3.3 Instruct. */
  llama3: {
    prefix: '<|begin_of_text|>',
    system: '<|start_header_id|>system<|end_header_id|>\n\n{content}<|eot_id|>',
    user: '<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>',
    assistant: '<|start_header_id|>assistant<|end_header_id|>\n\n{content}<|eot_id|>',
    generation: '<|start_header_id|>assistant<|end_header_id|>\n\n',
  },
  /** Mistral Instruct (`[INST] … [/INST]`); a system message is written as its own instruction. */
  mistral: { prefix: '<s>', system: '[INST] {content} [/INST]', user: '[INST] {content} [/INST]', assistant: '{content}</s>', generation: '' },
  /** The message texts joined by blank lines, nothing added: for completion-style prompts. */
  raw: { prefix: '', system: '{content}\n\n', user: '{content}\n\n', assistant: '{content}\n\n', generation: '' },
} as const satisfies Record<string, PromptFormat>;

/** A built-in format's name. */
export type PromptFormatName = keyof typeof PROMPT_FORMATS;

/**
 * Writes the conversation as TGI's `inputs` string: `prefix`, then each message through its
 * role's template (`tool` messages as user turns), then `generation`. With the `raw` format the
 * trailing blank line after the last message is dropped, so a single message is sent exactly as written.
 */
export function formatPrompt(messages: readonly ChatMessage[], format: PromptFormat | PromptFormatName = 'plain'): string {
  const turns = typeof format === 'string' ? PROMPT_FORMATS[format] : format;
  let text = turns.prefix;
  for (const message of messages) {
    const template = message.role === 'system' ? turns.system : message.role === 'assistant' ? turns.assistant : turns.user;
    text += template.split('{content}').join(messageText(message));
  }
  text += turns.generation;
  return turns === PROMPT_FORMATS.raw ? text.replace(/\n\n$/, '') : text;
}
