import { createRequire } from 'node:module';
import { z } from '@llm-lab/core';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { defineEvaluator } from './define-evaluator.js';
import { passFail } from './score.js';
import { quote } from './text.js';

/**
 * Every JSON object or array embedded in `text`, in order: each `{` or `[` is followed to its
 * matching bracket (strings skipped) and kept when that span parses.
 */
export function jsonValuesIn(text: string): unknown[] {
  const found: unknown[] = [];
  for (let start = 0; start < text.length; start++) {
    const open = text[start];
    if (open !== '{' && open !== '[') continue;
    let depth = 0;
    let inString = false;
    for (let index = start; index < text.length; index++) {
      const char = text[index];
      if (inString) {
        if (char === '\\') index++;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === '{' || char === '[') depth++;
      else if ((char === '}' || char === ']') && --depth === 0) {
        try {
          found.push(JSON.parse(text.slice(start, index + 1)));
          start = index;
        } catch {
          // Not JSON from this bracket; try the next one.
        }
        break;
      }
    }
  }
  return found;
}

/**
 * `contains-json`: the output contains a JSON object or array (anywhere in the text, as
 * promptfoo's `contains-json`), and with `schema` one that validates against that JSON Schema.
 */
export const containsJsonEvaluator = defineEvaluator({
  type: 'contains-json',
  description: 'The output contains a JSON object or array somewhere in its text; with `schema`, one that validates against that JSON Schema.',
  options: z.strictObject({
    schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).optional(),
  }),
  create(options, context) {
    let validate: ValidateFunction | undefined;
    if (options.schema !== undefined) {
      const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
      try {
        validate = new Ajv({ allErrors: true, strict: false }).compile(options.schema);
      } catch (error) {
        context.fail('schema', `the JSON Schema is invalid: ${(error as Error).message}.`, error);
      }
    }
    const { name } = context;
    return {
      type: 'contains-json',
      name,
      evaluate({ output }) {
        const values = jsonValuesIn(output);
        if (values.length === 0) return passFail(name, 'contains-json', false, `the output contains no JSON object or array: ${quote(output)}`);
        if (!validate) return passFail(name, 'contains-json', true, `the output contains JSON (${values.length} value${values.length === 1 ? '' : 's'})`);
        if (values.some((value) => validate(value))) return passFail(name, 'contains-json', true, 'the output contains JSON that matches the schema');
        validate(values[0]);
        const why = (validate.errors ?? []).slice(0, 3).map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`).join('; ');
        return passFail(name, 'contains-json', false, `the output's JSON does not match the schema: ${why}`);
      },
    };
  },
});
