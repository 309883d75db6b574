import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { expandFiles, shown } from './promptfoo-files.js';
import type { Issues } from './promptfoo-issues.js';

/** An LLM Lab prompt entry: a template, or chat messages. */
export type MappedPrompt = string | { id?: string; template?: string; messages?: Array<{ role: string; content: string }> };

const ROLES = new Set(['system', 'user', 'assistant']);

/** A chat prompt (a JSON or YAML list of `{ role, content }`) as messages; undefined when `text` is not one. */
function chatMessages(text: string, yaml: boolean): Array<{ role: string; content: string }> | undefined {
  const trimmed = text.trim();
  if (!yaml && !trimmed.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = yaml ? parseYaml(trimmed) : JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const ok = value.every((message) => typeof message === 'object' && message !== null && ROLES.has((message as { role?: unknown }).role as string) && typeof (message as { content?: unknown }).content === 'string');
  return ok ? (value as Array<{ role: string; content: string }>) : undefined;
}

/** One prompt text (inline or from a file) as an entry: chat JSON becomes messages, other text a template. */
function promptOf(text: string, label: string | undefined, yaml = false): MappedPrompt | undefined {
  const messages = chatMessages(text, yaml);
  if (messages) return { ...(label ? { id: label } : {}), messages };
  const template = text.trim();
  if (template === '') return undefined;
  return label ? { id: label, template } : template;
}

/**
 * promptfoo's `prompts:` as LLM Lab prompt entries: inline strings (chat JSON as messages),
 * `file://` text files (several prompts separated by a `---` line), JSON/YAML chat files, simple
 * globs, and `{ id | raw, label }` objects. Prompt functions (.js, .py) are errors.
 */
export function mapPrompts(value: unknown, baseDir: string, issues: Issues): MappedPrompt[] {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.entries(value).map(([id, label]) => ({ id, label })) : [];
  if (items.length === 0) issues.error('prompts', 'expected at least one prompt');
  const prompts: MappedPrompt[] = [];
  items.forEach((item, index) => {
    const path = Array.isArray(value) ? `prompts[${index}]` : 'prompts';
    let reference: unknown = item;
    let label: string | undefined;
    if (item !== null && typeof item === 'object') {
      const object = item as Record<string, unknown>;
      label = typeof object['label'] === 'string' ? object['label'] : undefined;
      reference = object['raw'] ?? object['id'];
      for (const key of Object.keys(object)) if (!['id', 'raw', 'label', 'config'].includes(key)) issues.error(`${path}.${key}`, `prompt key '${key}' has no LLM Lab equivalent`);
      if (object['config'] !== undefined) issues.error(`${path}.config`, 'per-prompt provider config is not mapped');
    }
    if (typeof reference !== 'string') {
      issues.error(path, 'expected a prompt text, a file://… reference, or { id | raw, label }');
      return;
    }
    if (!reference.startsWith('file://')) {
      const prompt = promptOf(reference, label);
      if (prompt) prompts.push(prompt);
      else issues.error(path, 'the prompt is empty');
      return;
    }
    let files: string[];
    try {
      files = expandFiles(reference, baseDir);
    } catch (error) {
      issues.error(path, (error as Error).message);
      return;
    }
    for (const file of files) {
      const extension = extname(file).toLowerCase();
      if (['.js', '.mjs', '.cjs', '.ts', '.py'].includes(extension) || /:\w+$/.test(reference)) {
        issues.error(path, `prompt functions (${shown(file, baseDir)}) are not mapped: write the prompt as text or chat JSON`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      const yaml = extension === '.yaml' || extension === '.yml';
      if (extension === '.json' || yaml) {
        const prompt = promptOf(text, label ?? (files.length > 1 ? shown(file, baseDir) : undefined), yaml);
        if (prompt && typeof prompt === 'object' && prompt.messages) prompts.push(prompt);
        else issues.error(path, `${shown(file, baseDir)} is not a chat prompt (a list of { role, content })`);
        continue;
      }
      const parts = text.split(/\r?\n---\r?\n/).filter((part) => part.trim() !== '');
      parts.forEach((part, partIndex) => {
        const id = label !== undefined ? (parts.length > 1 ? `${label}-${partIndex + 1}` : label) : undefined;
        const prompt = promptOf(part, id);
        if (prompt) prompts.push(prompt);
      });
    }
  });
  return prompts;
}
