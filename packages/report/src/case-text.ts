/** Cuts `text` to `max` characters, saying how much was left out. */
export function caseText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${(text.length - max).toLocaleString('en')} more characters)`;
}

/** A row field by dotted path, as text; undefined when absent or empty. */
export function fieldValue(vars: unknown, path: readonly string[]): string | undefined {
  let current: unknown = vars;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (current === undefined || current === null || current === '') return undefined;
  if (typeof current === 'string') return current;
  return typeof current === 'object' ? JSON.stringify(current) : String(current as number | boolean | bigint);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .map((part: unknown) => {
      if (part === null || typeof part !== 'object') return String(part);
      const typed = part as { type?: string; text?: string; name?: string; arguments?: unknown; content?: unknown };
      if (typeof typed.text === 'string') return typed.text;
      if (typed.type === 'image') return '[image]';
      if (typed.type === 'tool-call') return `[tool call ${typed.name ?? ''} ${JSON.stringify(typed.arguments ?? {})}]`;
      return JSON.stringify(part);
    })
    .join('\n');
}

/**
 * A stored prompt as text a person reads: each message as `role: content` (a transcript's tool
 * calls and results included), or the prompt itself when it is a plain string.
 */
export function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  const messages = Array.isArray(prompt) ? prompt : prompt !== null && typeof prompt === 'object' && Array.isArray((prompt as { messages?: unknown }).messages) ? (prompt as { messages: unknown[] }).messages : undefined;
  if (!messages) return prompt === null || prompt === undefined ? '' : JSON.stringify(prompt);
  return messages
    .map((message: unknown) => {
      if (message === null || typeof message !== 'object') return String(message);
      const { role, content } = message as { role?: string; content?: unknown };
      return `${role ?? 'message'}: ${contentText(content)}`;
    })
    .join('\n\n');
}
