/** Small, dependency-free formatting helpers for terminal output. */

export const useColour = (stream: NodeJS.WriteStream): boolean =>
  Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== '0';

const paint = (code: number) => (text: string, enabled: boolean) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);

/**
 * Characters a terminal acts on instead of showing: C0 controls (tab and newline apart), DEL, C1
 * controls (`\u009b` is a CSI, like ESC [) and Unicode's invisible direction and line-separator
 * marks, which can make a line read other than it is.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ON_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const SHOWN_AS: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return SHOWN_AS[character] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `text` from user data (a dataset row, a case id, a model's answer, an error quoting them), made
 * safe to print: control characters are shown as escapes (`\x1b`, `\u202e`) so the data cannot
 * move the cursor, recolour or clear the screen, and text longer than `max` characters (escapes
 * counted) is cut with `…`. With `oneLine`, newlines and tabs are shown as `\n` and `\t` too.
 * Every place that echoes user data to a terminal goes through this.
 */
export function printable(text: string, options: { max?: number; oneLine?: boolean } = {}): string {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const unsafe = options.oneLine ? UNSAFE_ON_ONE_LINE : UNSAFE;
  if (text.length <= max && !unsafe.test(text)) return text;
  const pieces: string[] = [];
  let length = 0;
  for (const character of text) {
    const piece = unsafe.test(character) ? escapeCharacter(character) : character;
    if (length + piece.length > max) {
      // Whole pieces only (an escape is never split), leaving room for the ellipsis.
      while (length > max - 1 && pieces.length > 0) length -= (pieces.pop() as string).length;
      return `${pieces.join('')}…`;
    }
    pieces.push(piece);
    length += piece.length;
  }
  return pieces.join('');
}

/** Visible width of a string (ANSI colour codes do not count). */
export function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return `${(value * 100).toFixed(digits)}%`;
}

/**
 * A proportion interval as `[lower%, upper%]` with one decimal, or as many more (up to six) as it
 * takes for the interval not to collapse: two different bounds never show as one point, a lower
 * bound below 100% never shows as 100%, an upper bound above 0% never as 0%. So 14,042/14,042
 * reads [99.97%, 100.00%], not [100.0%, 100.0%]. Past six decimals the bounds are rounded
 * outwards, which keeps them apart.
 */
export function formatInterval(interval: { lower: number; upper: number } | null | undefined): string {
  if (!interval || !Number.isFinite(interval.lower) || !Number.isFinite(interval.upper)) return '-';
  const { lower, upper } = interval;
  for (let digits = 1; digits <= 6; digits++) {
    const shownLower = (lower * 100).toFixed(digits);
    const shownUpper = (upper * 100).toFixed(digits);
    const collapsed = lower < upper && shownLower === shownUpper;
    const overstated = (lower < 1 && Number(shownLower) >= 100) || (upper > 0 && Number(shownUpper) <= 0);
    if (!collapsed && !overstated) return `[${shownLower}%, ${shownUpper}%]`;
  }
  const scale = 1e6;
  return `[${(Math.floor(lower * 100 * scale) / scale).toFixed(6)}%, ${(Math.ceil(upper * 100 * scale) / scale).toFixed(6)}%]`;
}

export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '$0';
  if (value < 0.01) return `$${value.toFixed(5)}`;
  return `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return Math.round(value).toLocaleString('en-US');
}

/** Renders rows as an aligned table with a header rule. Right-aligns columns listed in `right`. */
export function renderTable(header: string[], rows: string[][], options: { right?: number[]; minWidths?: number[] } = {}): string {
  const right = new Set(options.right ?? []);
  const widths = header.map((title, column) =>
    Math.max(options.minWidths?.[column] ?? 0, visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const padding = ' '.repeat(Math.max(0, (widths[column] ?? 0) - visibleLength(cell)));
        return right.has(column) ? padding + cell : cell + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** `value` as one word of a POSIX shell command: as is when plainly safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
