import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { passFail } from './score.js';
import { flag } from './schemas.js';
import { quote } from './text.js';

/**
 * The JSON value in an output: the whole (trimmed) output, or the contents of a ```json fenced
 * block when the output is one. Throws SyntaxError when it does not parse.
 */
export function parseJsonOutput(output: string): unknown {
  const trimmed = output.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed);
  return JSON.parse(fenced ? (fenced[1] as string) : trimmed);
}

/** "an array", "null", "a number": a JSON value's kind for reasons. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `is-json`: the output (trimmed, or one ```json block unless `allowFence: false`) parses as JSON; with `object: true` it must be a JSON object. */
export const isJsonEvaluator = defineEvaluator({
  type: 'is-json',
  description: 'The output parses as JSON (a lone ```json fenced block is unwrapped); with `object: true` it must be a JSON object; `allowFence: false` requires the whole output to be JSON (promptfoo\'s rule).',
  options: z.strictObject({ object: flag(false), allowFence: flag(true) }),
  create(options, context) {
    const { name } = context;
    return {
      type: 'is-json',
      name,
      evaluate({ output }) {
        let value: unknown;
        try {
          value = options.allowFence ? parseJsonOutput(output) : JSON.parse(output);
        } catch (error) {
          return passFail(name, 'is-json', false, `output is not valid JSON (${(error as Error).message}): ${quote(output)}`);
        }
        if (options.object && (value === null || typeof value !== 'object' || Array.isArray(value))) {
          return passFail(name, 'is-json', false, `expected a JSON object, got ${jsonKind(value)}: ${quote(output)}`);
        }
        return passFail(name, 'is-json', true, options.object ? 'output is a JSON object' : 'output is valid JSON');
      },
    };
  },
});
