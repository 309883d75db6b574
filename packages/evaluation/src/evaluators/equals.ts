import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { flag, templateList } from './schemas.js';
import { compileTemplates, passFail } from './score.js';
import { normalizeText, quote } from './text.js';

/**
 * `equals`: the output equals `value` (a template, or a list of accepted answers) after
 * normalisation: trim (default on), ignoreCase, ignoreWhitespace, ignorePunctuation,
 * ignoreArticles, or `normalize: true` for all of them (SQuAD's exact-match normalisation).
 * With `pattern`, the answer compared is the first match's first group (else the whole match),
 * as lm-evaluation-harness's regex filter with take_first extracts it; `numeric` does the same.
 */
export const equalsEvaluator = defineEvaluator({
  type: 'equals',
  description:
    'The output (or, with `pattern`, the first match\'s first group) equals `value` (a template, or a list of accepted answers); options trim (default true), ignoreCase, ignoreWhitespace, ignorePunctuation, ignoreArticles, normalize (all four: SQuAD exact match).',
  options: z.strictObject({
    value: templateList("the expected output, a template such as '{{answer}}' (or a list of them)"),
    trim: flag(true),
    ignoreCase: flag(false),
    ignoreWhitespace: flag(false),
    ignorePunctuation: flag(false),
    ignoreArticles: flag(false),
    normalize: flag(false),
    pattern: z.string({ error: 'expected a regular expression whose first group is the answer' }).min(1).optional(),
  }),
  create(options, context) {
    const expected = compileTemplates(options.value, 'value', context);
    let pattern: RegExp | undefined;
    if (options.pattern !== undefined) {
      try {
        pattern = new RegExp(options.pattern);
      } catch (error) {
        context.fail('pattern', `is not a valid regular expression: ${(error as Error).message}`, error);
      }
    }
    const all = options.normalize;
    const settings = {
      ignoreCase: all || options.ignoreCase,
      ignoreWhitespace: all || options.ignoreWhitespace,
      ignorePunctuation: all || options.ignorePunctuation,
      ignoreArticles: all || options.ignoreArticles,
    };
    const normalise = (text: string) => normalizeText(options.trim || settings.ignoreWhitespace ? text.trim() : text, settings);
    const notes = Object.entries(settings)
      .filter(([, on]) => on)
      .map(([option]) => option);
    const suffix = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    const { name } = context;
    return {
      type: 'equals',
      name,
      evaluate({ output, vars }) {
        const wants = expected.map((template) => template.render(vars));
        let answer = output;
        if (pattern) {
          const match = pattern.exec(output);
          if (!match) return passFail(name, 'equals', false, `the output has no match of /${pattern.source}/: ${quote(output)}`);
          answer = match[1] ?? match[0];
        }
        const got = normalise(answer);
        const match = wants.find((want) => normalise(want) === got);
        if (match !== undefined) return passFail(name, 'equals', true, `output equals ${quote(match)}${suffix}`);
        const shown = wants.length === 1 ? quote(wants[0] as string) : `one of ${wants.map((want) => quote(want, 40)).join(', ')}`;
        return passFail(name, 'equals', false, `expected ${shown}${suffix}, got ${quote(answer)}${pattern ? ` (matched by /${pattern.source}/)` : ''}`);
      },
    };
  },
});
