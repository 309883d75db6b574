import { describe, expect, it } from '@jest/globals';
import { printable } from '../src/output/format.js';

describe('printable: user data echoed to a terminal', () => {
  it('shows control characters as escapes, so data cannot drive the terminal', () => {
    expect(printable('\u001b[2J\u001b]0;title\u0007 done\u0000\u007f')).toBe('\\x1b[2J\\x1b]0;title\\x07 done\\x00\\x7f');
    // C1 controls (a lone CSI) and invisible direction marks.
    expect(printable('a\u009b31mb \u202eevil\u2066')).toBe('a\\x9b31mb \\u202eevil\\u2066');
    expect(printable('line\r overwritten')).toBe('line\\r overwritten');
  });

  it('keeps newlines and tabs, unless the text must stay on one line', () => {
    expect(printable('one\n\ttwo')).toBe('one\n\ttwo');
    expect(printable('one\n\ttwo', { oneLine: true })).toBe('one\\n\\ttwo');
  });

  it('gives plain text back as it is', () => {
    expect(printable('Paris, naïve café — 東京 🙂')).toBe('Paris, naïve café — 東京 🙂');
  });

  it('cuts long text with an ellipsis, within the width and never inside an escape', () => {
    expect(printable('abcdefghij', { max: 5 })).toBe('abcd…');
    expect(printable('abcde', { max: 5 })).toBe('abcde');
    const cut = printable(`ab${'\u001b'.repeat(45)}`, { max: 10 });
    expect(cut).toBe('ab\\x1b…');
    expect(cut.length).toBeLessThanOrEqual(10);
    // A 1 MB binary line costs no more than the width.
    expect(printable('\u0000'.repeat(1_000_000), { max: 80 }).length).toBeLessThanOrEqual(80);
  });
});
