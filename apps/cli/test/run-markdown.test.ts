import { describe, expect, it } from '@jest/globals';
import { markdownCell } from '../src/output/run-markdown.js';

describe('markdownCell', () => {
  it('keeps a model answer on one table row whatever it holds', () => {
    const cell = markdownCell('a | b\nline two `code` <img src=x> **bold**');
    expect(cell).toBe('a \\| b line two \\`code\\` \\<img src=x\\> \\*\\*bold\\*\\*');
    // An unescaped pipe or newline would end the cell or the row.
    expect(cell.replace(/\\\|/g, '')).not.toMatch(/\||\n/);
  });

  it('cuts long text and drops control characters', () => {
    expect(markdownCell('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(markdownCell('bell\u0007 and escape\u001b[31m')).toBe('bell and escape\\[31m');
  });
});
