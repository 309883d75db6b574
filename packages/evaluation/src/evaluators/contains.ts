import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { flag, templateList } from './schemas.js';
import { compileTemplates, passFail } from './score.js';
import { quote } from './text.js';

/** `contains`: the output contains `value` — or, for a list, `any` (default) or `all` of them — optionally ignoring case. */
export const containsEvaluator = defineEvaluator({
  type: 'contains',
  description:
    'The output contains `value` (a template such as "{{answer}}", or a list of them with mode any|all, default any); option ignoreCase (default false).',
  options: z.strictObject({
    value: templateList("the text to look for, a template such as '{{answer}}' (or a list of them)"),
    mode: z.enum(['any', 'all'], { error: "expected 'any' or 'all'" }).default('any'),
    ignoreCase: flag(false),
  }),
  create(options, context) {
    const needles = compileTemplates(options.value, 'value', context);
    const { name } = context;
    const caseNote = options.ignoreCase ? ' (ignoring case)' : '';
    return {
      type: 'contains',
      name,
      evaluate({ output, vars }) {
        const wants = needles.map((needle) => needle.render(vars));
        const haystack = options.ignoreCase ? output.toLowerCase() : output;
        const found = wants.filter((want) => haystack.includes(options.ignoreCase ? want.toLowerCase() : want));
        const missing = wants.filter((want) => !found.includes(want));
        if (wants.length === 1) {
          const want = wants[0] as string;
          return found.length === 1
            ? passFail(name, 'contains', true, `output contains ${quote(want)}`)
            : passFail(name, 'contains', false, `expected the output to contain ${quote(want)}${caseNote}, got ${quote(output)}`);
        }
        if (options.mode === 'all') {
          return missing.length === 0
            ? passFail(name, 'contains', true, `output contains all of ${wants.map((want) => quote(want, 40)).join(', ')}`)
            : passFail(name, 'contains', false, `output lacks ${missing.map((want) => quote(want, 40)).join(', ')}${caseNote}; got ${quote(output)}`);
        }
        return found.length > 0
          ? passFail(name, 'contains', true, `output contains ${quote(found[0] as string)}`)
          : passFail(name, 'contains', false, `expected the output to contain any of ${wants.map((want) => quote(want, 40)).join(', ')}${caseNote}, got ${quote(output)}`);
      },
    };
  },
});
