import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@llm-lab/core';
import { compilePrompts, compileTemplate, TemplateError } from '../src/index.js';

describe('compileTemplate', () => {
  it('fills fields and dotted paths, with spaces inside the braces', () => {
    const template = compileTemplate('Q: {{ question }} ({{meta.lang}}) {{question}}');
    expect(template.variables).toEqual(['question', 'meta.lang']);
    expect(template.render({ question: 'why?', meta: { lang: 'en' } })).toBe('Q: why? (en) why?');
  });

  it('renders strings as-is and other values as JSON', () => {
    const template = compileTemplate('{{n}} {{flag}} {{list}} {{obj}} {{nothing}} {{text}}');
    expect(template.render({ n: 3, flag: false, list: [1, 'a'], obj: { a: 1 }, nothing: null, text: '"quoted"' })).toBe(
      '3 false [1,"a"] {"a":1} null "quoted"',
    );
  });

  it('names the missing variable and the row fields', () => {
    const template = compileTemplate('{{question}} -> {{answer}}');
    const render = () => template.render({ question: 'q', id: 1 });
    expect(render).toThrow(TemplateError);
    expect(render).toThrow("template variable 'answer' is not in this row (fields: question, id). Fix the template or the dataset");
  });

  it('treats a missing step of a dotted path as missing', () => {
    expect(() => compileTemplate('{{meta.lang}}').render({ meta: 'flat' })).toThrow("template variable 'meta.lang'");
  });

  it('rejects a placeholder that is not a field name when compiling', () => {
    expect(() => compileTemplate('Hello {{ first name }}')).toThrow(/invalid placeholder '\{\{ first name \}\}'/);
  });

  it('leaves text without placeholders alone', () => {
    expect(compileTemplate('no vars { here }').render({})).toBe('no vars { here }');
  });
});

describe('compilePrompts', () => {
  it("names a single prompt 'default' and renders it as one user message", () => {
    const [prompt] = compilePrompts(['Say {{word}}']);
    expect(prompt?.id).toBe('default');
    expect(prompt?.render({ word: 'hi' })).toEqual([{ role: 'user', content: 'Say hi' }]);
  });

  it('numbers unnamed prompts, keeps ids, and renders system + user or full messages', () => {
    const prompts = compilePrompts([
      { template: 'Q: {{q}}', system: 'You answer {{lang}}.' },
      { id: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '{{q}}' }] },
      '{{q}}?',
    ]);
    expect(prompts.map((prompt) => prompt.id)).toEqual(['prompt-1', 'chat', 'prompt-3']);
    expect(prompts[0]?.variables).toEqual(['lang', 'q']);
    expect(prompts[0]?.render({ q: 'x', lang: 'French' })).toEqual([
      { role: 'system', content: 'You answer French.' },
      { role: 'user', content: 'Q: x' },
    ]);
    expect(prompts[1]?.render({ q: 'y' })).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'y' },
    ]);
  });

  it('reports a broken placeholder as a ConfigError with its path, and duplicate ids', () => {
    expect(() => compilePrompts(['ok', { template: 'bad {{ a b }}' }])).toThrow(ConfigError);
    expect(() => compilePrompts(['ok', { template: 'bad {{ a b }}' }])).toThrow(/^prompts\[1\]\.template: template has an invalid placeholder/);
    expect(() => compilePrompts([{ id: 'same', template: 'a' }, { id: 'same', template: 'b' }])).toThrow(
      "prompts[1].id: prompt id 'same' is already used by prompts[0]",
    );
  });
});
