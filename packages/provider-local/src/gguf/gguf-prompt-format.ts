import { flattenMessagesToPrompt, messageText, type ChatMessage } from '@llm-lab/core';
import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText, Token } from 'node-llama-cpp';
import type { NodeLlamaCpp } from './llama-runtime.js';

/**
 * How a GGUF model's conversation becomes the text the model reads (`config.promptFormat`):
 *
 * - `auto` (default): the model's own chat template (`tokenizer.chat_template` in its GGUF
 *   metadata) when it has one, else `completion`;
 * - `chat-template`: the model's chat template; a model without one is refused;
 * - `completion`: the conversation flattened to plain text (`flattenMessagesToPrompt`), no
 *   template, for base models.
 */
export const GGUF_PROMPT_FORMATS = ['auto', 'chat-template', 'completion'] as const;
export type GgufPromptFormat = (typeof GGUF_PROMPT_FORMATS)[number];

/** A conversation formatted for one model: what generation reads and what scoring conditions on. */
export interface GgufPrompt {
  /** The format used (`auto` resolved). */
  format: 'chat-template' | 'completion';
  /**
   * The prompt: the flattened text (`completion`), or the rendered chat template with its special
   * tokens marked as such (`chat-template`).
   */
  text: string | LlamaText;
  /** Stop triggers the format implies: `\nUser:` for a flattened transcript, the template's end-of-turn texts. */
  stop: Array<string | LlamaText>;
}

/**
 * The conversation as node-llama-cpp's chat history, ending with the model's turn to answer:
 * system, user and assistant messages map to its `system`, `user` and `model` items; a `tool`
 * message (tool calling is not supported by the gguf provider yet) becomes a user turn labelled
 * `Tool:`, as in the flattened transcript. When the conversation already ends with an assistant
 * message, the model continues that message (a prefilled answer) instead of starting a new one.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case 'system':
        return { type: 'system', text: messageText(message) };
      case 'user':
        return { type: 'user', text: messageText(message) };
      case 'assistant':
        return { type: 'model', response: [messageText(message)] };
      default:
        return { type: 'user', text: `Tool: ${messageText(message)}` };
    }
  });
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/**
 * Renders a conversation through a chat wrapper (a model's Jinja chat template, or a node-llama-cpp
 * wrapper equivalent to it): the context text with the generation prompt for the model's turn, and
 * the wrapper's stop triggers. Pure: no model needed.
 */
export function renderChatTemplatePrompt(wrapper: ChatWrapper, messages: readonly ChatMessage[]): GgufPrompt {
  const state = wrapper.generateContextState({ chatHistory: toChatHistory(messages) });
  return { format: 'chat-template', text: state.contextText, stop: [...state.stopGenerationTriggers] };
}

/** The conversation flattened to a plain-text prompt (no template). */
export function renderCompletionPrompt(messages: readonly ChatMessage[]): GgufPrompt {
  const flattened = flattenMessagesToPrompt(messages);
  return { format: 'completion', text: flattened.prompt, stop: flattened.stop };
}

/** Formats a conversation for a model: through its chat wrapper when it has one, else flattened. */
export function renderGgufPrompt(wrapper: ChatWrapper | undefined, messages: readonly ChatMessage[]): GgufPrompt {
  return wrapper ? renderChatTemplatePrompt(wrapper, messages) : renderCompletionPrompt(messages);
}

/** Thrown when `chat-template` is asked of a model that has no chat template, or its template cannot be used. */
export class ChatTemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatTemplateError';
  }
}

/** The model's Jinja chat template from its GGUF metadata, when it has a non-empty one. */
export function modelChatTemplate(model: LlamaModel): string | undefined {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  return typeof template === 'string' && template.trim() !== '' ? template : undefined;
}

/**
 * The chat wrapper a loaded model is formatted with, or undefined for plain completion.
 * `completion` never uses one; `auto` and `chat-template` render the model's own Jinja chat
 * template (node-llama-cpp's `JinjaTemplateChatWrapper`, through `resolveChatWrapper` with type
 * `jinjaTemplate`). Not its `auto` resolution: that may swap in a built-in wrapper judged
 * equivalent, and some (Llama 3.1's) then write today's date into the system turn, where the
 * file's template writes a fixed one, so the same run would read differently on another day.
 * `auto` falls back to plain completion when the model has no template, `chat-template` throws a
 * {@link ChatTemplateError} naming the file. A template that cannot be parsed is an error in both.
 */
export function resolveGgufChatWrapper(engine: NodeLlamaCpp, model: LlamaModel, format: GgufPromptFormat, path: string): ChatWrapper | undefined {
  if (format === 'completion') return undefined;
  if (modelChatTemplate(model) === undefined) {
    if (format === 'auto') return undefined;
    throw new ChatTemplateError(
      `promptFormat 'chat-template' needs a chat template, but the GGUF model ${path} has none (no tokenizer.chat_template in its metadata). ` +
        "Use promptFormat 'completion' (or 'auto') for a base model, or a chat model's GGUF file.",
    );
  }
  try {
    return engine.resolveChatWrapper(model, { type: 'jinjaTemplate', warningLogs: false, fallbackToOtherWrappersOnJinjaError: false });
  } catch (error) {
    throw new ChatTemplateError(
      `The chat template of the GGUF model ${path} cannot be used (${error instanceof Error ? error.message : String(error)}). Set promptFormat 'completion' to run it without its template.`,
      { cause: error },
    );
  }
}

/** The beginning-of-sequence token a sequence starts with for this model, if any (as node-llama-cpp's completion prepends it). */
export function sequenceStart(model: LlamaModel): Token[] {
  const bos = model.tokens.bos;
  return bos !== null && model.tokens.shouldPrependBosToken ? [bos] : [];
}

/**
 * The tokens a prompt is evaluated as, beginning-of-sequence token included: plain text is
 * tokenized as text (a `<s>` typed by a user stays text), a rendered template with its special
 * tokens. Exactly one beginning-of-sequence token starts the sequence, whether or not the template
 * writes `{{ bos_token }}` (as Hugging Face tokenizers, which add none to a rendered template, and
 * llama.cpp, which adds one to a template without it, end up).
 */
export function promptTokens(model: LlamaModel, text: string | LlamaText): Token[] {
  const tokens = typeof text === 'string' ? model.tokenize(text, false) : text.tokenize(model.tokenizer);
  const start = sequenceStart(model);
  const body = start.length > 0 && tokens[0] === start[0] ? tokens.slice(1) : tokens;
  return [...start, ...body];
}

const SPECIAL_TOKEN_STRINGS = { BOS: 'bosString', EOS: 'eosString', NL: 'nlString', EOT: 'eotString', SEP: 'sepString' } as const;

/**
 * The prompt as one string, for display and tests: special tokens written out as the model spells
 * them (`<s>`, `<|im_end|>`; `<BOS>`-style names without a model).
 */
export function promptToString(text: string | LlamaText, model?: LlamaModel): string {
  if (typeof text === 'string') return text;
  const json = text.toJSON();
  return (typeof json === 'string' ? [json] : json)
    .map((value) => {
      if (typeof value === 'string') return value;
      if (value.type === 'specialTokensText') return value.value;
      const key = (SPECIAL_TOKEN_STRINGS as Record<string, (typeof SPECIAL_TOKEN_STRINGS)[keyof typeof SPECIAL_TOKEN_STRINGS] | undefined>)[value.value];
      return (model && key ? model.tokens[key] : undefined) ?? `<${value.value}>`;
    })
    .join('');
}
