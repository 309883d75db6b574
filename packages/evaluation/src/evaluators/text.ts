const MAX_SHOWN = 120;

/** `'text'` for reasons, shortened to 120 characters with an ellipsis, newlines shown as `\n`. */
export function quote(text: string, max = MAX_SHOWN): string {
  const flat = text.replace(/\r?\n/g, '\\n');
  return `'${flat.length > max ? `${flat.slice(0, max)}…` : flat}'`;
}

/** A number for reasons: at most 3 decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** What {@link normalizeText} does; every option defaults to false. */
export interface NormalizeOptions {
  ignoreCase?: boolean;
  /** Trim, and collapse runs of whitespace into one space. */
  ignoreWhitespace?: boolean;
  /** Remove ASCII and Unicode punctuation. */
  ignorePunctuation?: boolean;
  /** Remove the English articles a, an, the (as words). */
  ignoreArticles?: boolean;
}

/**
 * Normalises text for comparison. With every option on it is SQuAD's `normalize_answer`
 * (lowercase, remove punctuation, remove articles, fix whitespace), in that order.
 */
export function normalizeText(text: string, options: NormalizeOptions): string {
  let result = text;
  if (options.ignoreCase) result = result.toLowerCase();
  if (options.ignorePunctuation) result = result.replace(/[\p{P}\p{S}]/gu, '');
  if (options.ignoreArticles) result = result.replace(options.ignoreCase ? /\b(a|an|the)\b/g : /\b(a|an|the)\b/gi, ' ');
  if (options.ignoreWhitespace) result = result.replace(/\s+/g, ' ').trim();
  return result;
}

/** SQuAD's answer normalisation: lowercase, no punctuation, no articles, single spaces. */
export function squadNormalize(text: string): string {
  return normalizeText(text, { ignoreCase: true, ignorePunctuation: true, ignoreArticles: true, ignoreWhitespace: true });
}

/** Word tokens for similarity metrics: lowercased runs of letters and digits (punctuation dropped). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
