import type { PiiSpan } from './types.js';

/**
 * Masking and reversible tokenisation of detected spans.
 *
 * Masking replaces each span with its type, `<EMAIL_ADDRESS>`: the original is gone. Tokenising
 * replaces it with a numbered placeholder, `<EMAIL_ADDRESS_1>`, and keeps the original in a
 * {@link PiiVault}, so a model's answer that repeats the placeholder can be given back to the user
 * with the original in its place. One value gets one placeholder throughout a conversation.
 */

/** Replaces each span (non-overlapping, any order) with `<TYPE>`. */
export function maskSpans(text: string, spans: readonly PiiSpan[]): string {
  return replaceSpans(text, spans, (span) => `<${span.type}>`);
}

function replaceSpans(text: string, spans: readonly PiiSpan[], replacement: (span: PiiSpan) => string): string {
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const span of ordered) {
    if (span.start < at) continue;
    out += text.slice(at, span.start) + replacement(span);
    at = span.end;
  }
  return out + text.slice(at);
}

const PLACEHOLDER = /<([A-Z][A-Z_]*)_(\d+)>/g;
/** A placeholder is never longer than this: a held-back tail longer than it is not one. */
const MAX_PLACEHOLDER = 48;

/** The originals behind the placeholders of one conversation (request and its answer). */
export class PiiVault {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private readonly taken = new Set<string>();

  /** The placeholders issued so far, with their originals. */
  get size(): number {
    return this.byPlaceholder.size;
  }

  /** Replaces each span with its placeholder (the same value always gets the same one). */
  tokenize(text: string, spans: readonly PiiSpan[]): string {
    // A placeholder-shaped string already in the text is never issued, so restoring cannot replace it.
    for (const match of text.matchAll(PLACEHOLDER)) this.taken.add(match[0]);
    return replaceSpans(text, spans, (span) => this.placeholderFor(span.type, text.slice(span.start, span.end)));
  }

  private placeholderFor(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known) return known;
    let placeholder: string;
    do {
      const next = (this.counters.get(type) ?? 0) + 1;
      this.counters.set(type, next);
      placeholder = `<${type}_${next}>`;
    } while (this.taken.has(placeholder));
    this.byValue.set(key, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  /** Puts the originals back in place of the placeholders this vault issued; others are left as they are. */
  restore(text: string): string {
    if (this.byPlaceholder.size === 0) return text;
    return text.replace(PLACEHOLDER, (placeholder) => this.byPlaceholder.get(placeholder) ?? placeholder);
  }

  /** A restorer for a streamed answer (see {@link StreamRestorer}). */
  streamRestorer(): StreamRestorer {
    return new StreamRestorer(this);
  }
}

/**
 * Restores placeholders in a streamed answer whose chunks may split a placeholder anywhere
 * ("<EMAIL_AD" + "DRESS_1>"): text that could still become a placeholder is held back until the
 * next chunk decides it, at most {@link MAX_PLACEHOLDER} characters; `flush()` at the end gives
 * back whatever is still held.
 */
export class StreamRestorer {
  private held = '';

  constructor(private readonly vault: PiiVault) {}

  /** The restored text to pass on now for this chunk (may be empty while a placeholder is incomplete). */
  push(chunk: string): string {
    const text = this.held + chunk;
    const open = text.lastIndexOf('<');
    if (open >= 0 && text.length - open < MAX_PLACEHOLDER && /^<[A-Z_]*\d*$/.test(text.slice(open))) {
      this.held = text.slice(open);
      return this.vault.restore(text.slice(0, open));
    }
    this.held = '';
    return this.vault.restore(text);
  }

  /** What is still held at the end of the stream, restored. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return this.vault.restore(rest);
  }
}
