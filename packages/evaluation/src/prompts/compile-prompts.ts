import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, toolDefinitionSchema, type GenerateRequest, type PromptEntry, type ToolDefinition } from '@llm-lab/core';
import { isTemplateError, TemplateError } from '../errors.js';
import { compileTemplate, type CompiledTemplate } from './template.js';

/** A prompt variant, parsed once. */
export interface CompiledPrompt {
  /** The entry's `id`; else `default` when there is one prompt, `prompt-1`, `prompt-2`… otherwise. */
  id: string;
  /** Every variable any of its messages uses. */
  variables: string[];
  /** The chat messages for one case. Throws a TemplateError when the row lacks a variable. */
  render(vars: Record<string, unknown>): TextMessage[];
  /**
   * The prompt's tool and output settings for one case (`tools` with the row's `toolsField`
   * tools, `toolChoice`, `parallelToolCalls`, `responseFormat`); `{}` when it has none. Throws a
   * TemplateError when the row's tools field is not a list of tool definitions.
   */
  requestFields(vars: Record<string, unknown>): PromptRequestFields;
  /** Set when the prompt has a `toolModule`: the tool loop runs each case. */
  toolLoop?: ToolLoopSettings;
}

/** The request fields a prompt adds besides its messages. */
export type PromptRequestFields = Pick<GenerateRequest, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat'>;

/** A prompt's tool loop: where its tool implementations are and how many rounds it may take. */
export interface ToolLoopSettings {
  /** The tool module, absolute. */
  moduleFile: string;
  /** The module as written in the config. */
  specifier: string;
  /** Where the module is named in the config, e.g. `prompts[0].toolModule`. */
  path: string;
  /** Most tool rounds before the last answer is scored. */
  maxSteps: number;
}

/** Default of a prompt's `maxToolSteps`. */
export const DEFAULT_MAX_TOOL_STEPS = 5;

/** Options of {@link compilePrompts}. */
export interface CompilePromptsOptions {
  /** The config file's folder: a prompt's `toolModule` is resolved against it. Default: the working directory. */
  baseDir?: string;
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

/** The tools a row's `toolsField` holds (an array of definitions, or it as JSON text), checked. */
function rowTools(vars: Record<string, unknown>, field: string): ToolDefinition[] {
  const raw = vars[field];
  if (raw === undefined || raw === null || raw === '') return [];
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new TemplateError({ message: `row field '${field}' (toolsField) is not valid JSON: ${(error as Error).message}. Give it a list of tool definitions.`, cause: error });
    }
  }
  if (!Array.isArray(value)) {
    throw new TemplateError({ message: `row field '${field}' (toolsField) must be a list of tool definitions ({ name, description?, parameters? }), got ${typeof value}.` });
  }
  return value.map((tool, index) => {
    const parsed = toolDefinitionSchema.safeParse(tool);
    if (parsed.success) return parsed.data as ToolDefinition;
    const issue = parsed.error.issues[0];
    throw new TemplateError({
      message: `row field '${field}'[${index}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'not a tool definition'}.`,
    });
  });
}

function requestFieldsOf(entry: PromptEntry): (vars: Record<string, unknown>) => PromptRequestFields {
  if (typeof entry === 'string' || (entry.tools === undefined && entry.toolsField === undefined && entry.responseFormat === undefined)) return () => ({});
  const fixed: PromptRequestFields = {
    ...(entry.toolChoice !== undefined ? { toolChoice: entry.toolChoice } : {}),
    ...(entry.parallelToolCalls !== undefined ? { parallelToolCalls: entry.parallelToolCalls } : {}),
    ...(entry.responseFormat !== undefined ? { responseFormat: entry.responseFormat } : {}),
  };
  const tools = (entry.tools ?? []) as ToolDefinition[];
  const field = entry.toolsField;
  if (field === undefined) return () => ({ ...(tools.length > 0 ? { tools } : {}), ...fixed });
  return (vars) => {
    const fromRow = rowTools(vars, field);
    const names = new Set(fromRow.map((tool) => tool.name));
    // A row's tool replaces the prompt's tool of the same name: the case knows its own tools best.
    const merged = [...tools.filter((tool) => !names.has(tool.name)), ...fromRow];
    if (merged.length > 0) return { tools: merged, ...fixed };
    // No tools for this case: a tool choice would name what is not there.
    const { toolChoice: _unused, parallelToolCalls: _alsoUnused, ...rest } = fixed;
    return rest;
  };
}

function toolLoopOf(entry: PromptEntry, path: string, baseDir: string): ToolLoopSettings | undefined {
  if (typeof entry === 'string' || entry.toolModule === undefined) return undefined;
  const moduleFile = resolve(baseDir, entry.toolModule);
  if (!existsSync(moduleFile)) {
    throw new ConfigError({
      path: `${path}.toolModule`,
      message: `tool module ${moduleFile} does not exist. The path is resolved against the config file's folder (${baseDir}); it is a JS module exporting one function per tool name.`,
    });
  }
  return { moduleFile, specifier: entry.toolModule, path: `${path}.toolModule`, maxSteps: entry.maxToolSteps ?? DEFAULT_MAX_TOOL_STEPS };
}

/**
 * Compiles the config's `prompts:` into prompt variants with ids. A string is a user message
 * template; `{ template, system? }` becomes a system and a user message; `{ messages }` is used
 * turn by turn; `tools`, `toolChoice`, `parallelToolCalls` and `responseFormat` go into each
 * request (see `requestFields`), and a `toolModule` turns on the tool loop. A placeholder that cannot be parsed, or two prompts with one id, is a
 * ConfigError with the path (e.g. `prompts[1].template`).
 */
export function compilePrompts(entries: readonly PromptEntry[], options: CompilePromptsOptions = {}): CompiledPrompt[] {
  const baseDir = resolve(options.baseDir ?? process.cwd());
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
    const toolLoop = toolLoopOf(entry, path, baseDir);
    return {
      id,
      variables: [...new Set(templates.flatMap((message) => message.template.variables))],
      render: (vars) => templates.map((message) => ({ role: message.role, content: message.template.render(vars) })),
      requestFields: requestFieldsOf(entry),
      ...(toolLoop ? { toolLoop } : {}),
    };
  });
}
