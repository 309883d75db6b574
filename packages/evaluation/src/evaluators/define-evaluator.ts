import { closestName, type z } from '@llm-lab/core';
import { compileTemplate, type CompiledTemplate } from '../prompts/template.js';
import { isTemplateError } from '../errors.js';
import type { Evaluator, EvaluatorContext, EvaluatorDefinition } from './types.js';

/** "42 (a number)", "an array", "'text' (a string)": how a wrong value is shown in an error. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `'${value}' (a string)`;
  return `${String(value)} (a ${typeof value})`;
}

/** The value at a zod issue path inside `fields`. */
function valueAt(fields: Readonly<Record<string, unknown>>, path: readonly PropertyKey[]): unknown {
  let current: unknown = fields;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Defines an evaluator type from a zod object schema of its fields (besides `type` and `name`)
 * and a `create` that receives the parsed options. The first schema problem becomes a
 * ConfigError at the field's path: a missing field says what it needs, a wrong one says what
 * was expected and what was given, an unknown one lists the accepted fields. Give each schema
 * field an error message phrased as "expected …" (e.g. `z.string({ error: 'expected a regular expression' })`).
 */
export function defineEvaluator<Schema extends z.ZodObject>(spec: {
  type: string;
  description: string;
  options: Schema;
  create(options: z.output<Schema>, context: EvaluatorContext): Evaluator;
}): EvaluatorDefinition {
  const fields = Object.keys(spec.options.shape);
  return {
    type: spec.type,
    description: spec.description,
    fields,
    options: spec.options,
    build(entryFields: Readonly<Record<string, unknown>>, context: EvaluatorContext): Evaluator {
      const parsed = spec.options.safeParse(entryFields);
      if (parsed.success) return spec.create(parsed.data, context);
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      if (issue.code === 'unrecognized_keys') {
        const field = String(issue.keys[0]);
        const accepted = ['name', 'weight', 'not', ...fields];
        const guess = closestName(field, accepted);
        context.fail(
          field,
          `unknown field '${field}' for evaluator type '${spec.type}' (${guess ? `did you mean '${guess}'? ` : ''}it accepts: ${accepted.join(', ')}). Remove it or fix its spelling.`,
        );
      }
      const field = issue.path.map(String).join('.');
      const value = valueAt(entryFields, issue.path);
      if (value === undefined) context.fail(field, `evaluator '${spec.type}' needs '${field}': ${issue.message}.`);
      context.fail(field, `${issue.message}, got ${describeValue(value)}.`);
    },
  };
}

/**
 * Compiles a template option at build time, so a broken placeholder is reported as a config
 * error on that field rather than on every case.
 */
export function compileOptionTemplate(source: string, field: string, context: EvaluatorContext): CompiledTemplate {
  try {
    return compileTemplate(source);
  } catch (error) {
    if (isTemplateError(error)) context.fail(field, error.message, error);
    throw error;
  }
}
