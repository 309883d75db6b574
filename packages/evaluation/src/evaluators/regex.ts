import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { quote } from './text.js';

/** `regex`: the output matches `pattern` (JavaScript syntax) with optional `flags`. */
export const regexEvaluator = defineEvaluator({
  type: 'regex',
  description: 'The output matches `pattern` (a JavaScript regular expression) with optional `flags` such as "i".',
  options: z.strictObject({
    pattern: z.string({ error: "expected a regular expression, e.g. '^(yes|no)\\b'" }),
    flags: z.string({ error: "expected regular expression flags, e.g. 'i'" }).default(''),
  }),
  create(options, context) {
    let expression: RegExp;
    try {
      // `g` and `y` make test() stateful across calls; matching is a yes/no question, so drop them.
      expression = new RegExp(options.pattern, options.flags.replace(/[gy]/g, ''));
    } catch (error) {
      const field = /flag/i.test((error as Error).message) ? 'flags' : 'pattern';
      context.fail(
        field,
        `invalid regular expression /${options.pattern}/${options.flags}: ${(error as Error).message}. Fix the pattern (JavaScript syntax) or the flags.`,
        error,
      );
    }
    const { name } = context;
    return {
      type: 'regex',
      name,
      evaluate({ output }) {
        const passed = expression.test(output);
        return {
          name,
          type: 'regex',
          passed,
          score: passed ? 1 : 0,
          reason: passed ? `output matches ${String(expression)}` : `expected the output to match ${String(expression)}, got ${quote(output)}`,
        };
      },
    };
  },
});
