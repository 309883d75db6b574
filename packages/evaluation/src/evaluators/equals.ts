import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from './define-evaluator.js';
import { templateValue } from './schemas.js';
import { quote } from './text.js';

/** `equals`: the output equals `value` (a template), after trimming (default) and optionally ignoring case. */
export const equalsEvaluator = defineEvaluator({
  type: 'equals',
  description: 'The output equals `value` (a template such as "{{answer}}"); options trim (default true), ignoreCase (default false).',
  options: z.strictObject({
    value: templateValue("the expected output, a template such as '{{answer}}'"),
    trim: z.boolean({ error: 'expected true or false' }).default(true),
    ignoreCase: z.boolean({ error: 'expected true or false' }).default(false),
  }),
  create(options, context) {
    const expected = compileOptionTemplate(options.value, 'value', context);
    const normalise = (text: string) => {
      const trimmed = options.trim ? text.trim() : text;
      return options.ignoreCase ? trimmed.toLowerCase() : trimmed;
    };
    const { name } = context;
    return {
      type: 'equals',
      name,
      evaluate({ output, vars }) {
        const want = expected.render(vars);
        const passed = normalise(output) === normalise(want);
        return {
          name,
          type: 'equals',
          passed,
          score: passed ? 1 : 0,
          reason: passed ? `output equals ${quote(want)}` : `expected ${quote(want)}, got ${quote(output)}`,
        };
      },
    };
  },
});
