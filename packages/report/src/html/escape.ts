const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value, safe inside HTML and SVG. */
export const esc = (value: string | number): string => String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * JSON safe inside a `<script type="application/json">` element: `<` is escaped so that no
 * value (a model's output quoting `</script>`) can end the element early.
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export const percent = (value: number | null | undefined, digits = 1): string => (value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(digits)}%`);

export const count = (value: number): string => value.toLocaleString('en');

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  if (value === 0) return '$0';
  return value < 0.01 ? `$${value.toPrecision(2)}` : `$${value.toFixed(2)}`;
}
