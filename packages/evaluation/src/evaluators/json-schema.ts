import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z, type ResponseFormat } from '@llm-lab/core';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { defineEvaluator } from './define-evaluator.js';
import { parseJsonOutput } from './is-json.js';
import { passFail } from './score.js';
import { quote } from './text.js';

/** "/age must be integer; must have required property 'name'": ajv errors for reasons. */
function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/**
 * `json-schema`: the output parses as JSON and validates against a JSON Schema (draft-07 and
 * 2019-compatible keywords, via ajv), given inline as `schema` or as a file path `schemaFile`
 * (resolved against the config folder). With neither, the schema is the prompt's structured
 * output schema (`responseFormat: { type: json, schema }`), so a structured output is checked
 * against what was asked for without writing the schema twice.
 */
export const jsonSchemaEvaluator = defineEvaluator({
  type: 'json-schema',
  description:
    "The output is JSON valid against a JSON Schema given inline (`schema`), as a file (`schemaFile`, relative to the config), or, with neither, the prompt's `responseFormat` schema (structured output).",
  options: z.strictObject({
    schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).optional(),
    schemaFile: z.string({ error: 'expected a path to a JSON Schema file' }).min(1).optional(),
  }),
  create(options, context) {
    if (options.schema !== undefined && options.schemaFile !== undefined) {
      context.fail('schemaFile', 'give either schema or schemaFile, not both.');
    }
    const readSchemaFile = (path: string): Record<string, unknown> => {
      const file = resolve(context.baseDir ?? process.cwd(), path);
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (error) {
        return context.fail('schemaFile', `could not read the JSON Schema ${file}: ${(error as Error).message}. Check the path (relative to the config file) and that it holds JSON.`, error);
      }
    };
    // ajv (CommonJS) is loaded only when a json-schema evaluator is configured.
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const ajv = new Ajv({ allErrors: true, strict: false });
    const configured: Record<string, unknown> | undefined = options.schemaFile !== undefined ? readSchemaFile(options.schemaFile) : options.schema;
    let fixed: ValidateFunction | undefined;
    if (configured !== undefined) {
      try {
        fixed = ajv.compile(configured);
      } catch (error) {
        context.fail(options.schemaFile !== undefined ? 'schemaFile' : 'schema', `the JSON Schema is invalid: ${(error as Error).message}.`, error);
      }
    }
    /** Validators of prompts' responseFormat schemas, compiled once per schema object. */
    const fromPrompts = new WeakMap<object, ValidateFunction>();
    const validatorFor = (format: ResponseFormat | undefined): { validate: ValidateFunction; source: string } => {
      if (fixed) return { validate: fixed, source: 'the JSON Schema' };
      const schema = format?.type === 'json' ? format.schema : undefined;
      if (!schema) {
        throw new Error("json-schema has no schema to check against: give it 'schema' or 'schemaFile', or ask for structured output with the prompt's responseFormat: { type: json, schema: {...} }.");
      }
      let validate = fromPrompts.get(schema);
      if (!validate) {
        try {
          validate = ajv.compile(schema);
        } catch (error) {
          throw new Error(`the prompt's responseFormat schema is not a valid JSON Schema: ${(error as Error).message}.`);
        }
        fromPrompts.set(schema, validate);
      }
      return { validate, source: "the prompt's responseFormat schema" };
    };
    const { name } = context;
    return {
      type: 'json-schema',
      name,
      evaluate({ output, responseFormat }) {
        const { validate, source } = validatorFor(responseFormat);
        let value: unknown;
        try {
          value = parseJsonOutput(output);
        } catch (error) {
          return passFail(name, 'json-schema', false, `output is not valid JSON (${(error as Error).message}): ${quote(output)}`);
        }
        if (validate(value)) return passFail(name, 'json-schema', true, `output matches ${source}`);
        return passFail(name, 'json-schema', false, `output does not match ${source}: ${describeErrors(validate.errors)}`);
      },
    };
  },
});
