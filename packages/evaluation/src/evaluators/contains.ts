import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from './define-evaluator.js';
import { templateValue } from './schemas.js';
import { quote } from './text.js';

/** `contains`: the output contains `value` (a template), optionally ignoring case. */
export const containsEvaluator = defineEvaluator({
  type: 'contains',
  description: 'The output contains `value` (a template such as "{{answer}}"); option ignoreCase (default false).',
  options: z.strictObject({
    value: templateValue("the text to look for, a template such as '{{answer}}'"),
    ignoreCase: z.boolean({ error: 'expected true or false' }).default(false),
  }),
  create(options, context) {
    const needle = compileOptionTemplate(options.value, 'value', context);
    const { name } = context;
    return {
      type: 'contains',
      name,
      evaluate({ output, vars }) {
        const want = needle.render(vars);
        const passed = options.ignoreCase ? output.toLowerCase().includes(want.toLowerCase()) : output.includes(want);
        return {
          name,
          type: 'contains',
          passed,
          score: passed ? 1 : 0,
          reason: passed
            ? `output contains ${quote(want)}`
            : `expected the output to contain ${quote(want)}${options.ignoreCase ? ' (ignoring case)' : ''}, got ${quote(output)}`,
        };
      },
    };
  },
});
