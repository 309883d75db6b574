import { ConfigError, type PromptEntry } from '@llm-lab/core';
import { isTemplateError } from '../errors.js';
import { compileTemplate, type CompiledTemplate } from './template.js';

/** A prompt variant, parsed once. */
export interface CompiledPrompt {
  /** The entry's `id`; else `default` when there is one prompt, `prompt-1`, `prompt-2`… otherwise. */
  id: string;
  /** Every variable any of its messages uses. */
  variables: string[];
  /** The chat messages for one case. Throws a TemplateError when the row lacks a variable. */
  render(vars: Record<string, unknown>): TextMessage[];
}

/** A rendered prompt message: plain text (a `ChatMessage` of contract 2.0 with string content). */
export interface TextMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface MessageTemplate {
  role: TextMessage['role'];
  template: CompiledTemplate;
}

function messageTemplatesOf(entry: PromptEntry, path: string): MessageTemplate[] {
  const compile = (source: string, where: string): CompiledTemplate => {
    try {
      return compileTemplate(source);
    } catch (error) {
      if (isTemplateError(error)) throw new ConfigError({ path: where, message: error.message, cause: error });
      throw error;
    }
  };
  if (typeof entry === 'string') return [{ role: 'user', template: compile(entry, path) }];
  if (entry.messages !== undefined) {
    return entry.messages.map((message, index) => ({
      role: message.role,
      template: compile(message.content, `${path}.messages[${index}].content`),
    }));
  }
  const messages: MessageTemplate[] = [];
  if (entry.system !== undefined) messages.push({ role: 'system', template: compile(entry.system, `${path}.system`) });
  messages.push({ role: 'user', template: compile(entry.template as string, `${path}.template`) });
  return messages;
}

/**
 * Compiles the config's `prompts:` into prompt variants with ids. A string is a user message
 * template; `{ template, system? }` becomes a system and a user message; `{ messages }` is used
 * turn by turn. A placeholder that cannot be parsed, or two prompts with one id, is a
 * ConfigError with the path (e.g. `prompts[1].template`).
 */
export function compilePrompts(entries: readonly PromptEntry[]): CompiledPrompt[] {
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    const path = `prompts[${index}]`;
    const explicitId = typeof entry === 'string' ? undefined : entry.id;
    const id = explicitId ?? (entries.length === 1 ? 'default' : `prompt-${index + 1}`);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw new ConfigError({
        path: `${path}.id`,
        message: `prompt id '${id}' is already used by prompts[${earlier}]. Give each prompt a distinct id.`,
      });
    }
    seen.set(id, index);
    const templates = messageTemplatesOf(entry, path);
    return {
      id,
      variables: [...new Set(templates.flatMap((message) => message.template.variables))],
      render: (vars) => templates.map((message) => ({ role: message.role, content: message.template.render(vars) })),
    };
  });
}
