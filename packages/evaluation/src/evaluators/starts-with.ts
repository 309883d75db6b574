import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { flag, templateValue } from './schemas.js';
import { compileOptionTemplate } from './define-evaluator.js';
import { passFail } from './score.js';
import { quote } from './text.js';

/** `starts-with`: the output begins with `value` (a template), exactly as written unless `ignoreCase` or `trim`. */
export const startsWithEvaluator = defineEvaluator({
  type: 'starts-with',
  description: 'The output begins with `value` (a template such as "{{greeting}}"); options ignoreCase, trim (leading whitespace; both default false).',
  options: z.strictObject({
    value: templateValue("the text the output should begin with, a template such as '{{prefix}}'"),
    ignoreCase: flag(false),
    trim: flag(false),
  }),
  create(options, context) {
    const prefix = compileOptionTemplate(options.value, 'value', context);
    const { name } = context;
    return {
      type: 'starts-with',
      name,
      evaluate({ output, vars }) {
        const want = prefix.render(vars);
        let text = options.trim ? output.trimStart() : output;
        let start = want;
        if (options.ignoreCase) {
          text = text.toLowerCase();
          start = start.toLowerCase();
        }
        return text.startsWith(start)
          ? passFail(name, 'starts-with', true, `output starts with ${quote(want)}`)
          : passFail(name, 'starts-with', false, `expected the output to start with ${quote(want)}, got ${quote(output)}`);
      },
    };
  },
});
