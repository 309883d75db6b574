import { z } from '@llm-lab/core';
import type { ScoreRecord } from '../storage-contract.js';
import { defineEvaluator } from './define-evaluator.js';
import { quote } from './text.js';

/** `is-json`: the output (trimmed) parses as JSON; with `object: true` it must be a JSON object. */
export const isJsonEvaluator = defineEvaluator({
  type: 'is-json',
  description: 'The output parses as JSON; with `object: true` it must be a JSON object (not an array or a scalar).',
  options: z.strictObject({
    object: z.boolean({ error: 'expected true or false' }).default(false),
  }),
  create(options, context) {
    const { name } = context;
    const score = (passed: boolean, reason: string): ScoreRecord => ({ name, type: 'is-json', passed, score: passed ? 1 : 0, reason });
    return {
      type: 'is-json',
      name,
      evaluate({ output }) {
        let value: unknown;
        try {
          value = JSON.parse(output.trim());
        } catch (error) {
          return score(false, `output is not valid JSON (${(error as Error).message}): ${quote(output)}`);
        }
        if (options.object && (value === null || typeof value !== 'object' || Array.isArray(value))) {
          const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
          return score(false, `expected a JSON object, got ${got}: ${quote(output)}`);
        }
        return score(true, options.object ? 'output is a JSON object' : 'output is valid JSON');
      },
    };
  },
});
