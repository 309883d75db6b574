import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { z, type ToolCall } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { flag } from './schemas.js';
import { quote } from './text.js';
import type { EvaluationInput } from './types.js';

/** One expected call: the tool's name, and how its arguments are checked (none given: any arguments). */
const expectedCallSchema = z
  .object({
    name: z.string({ error: 'expected the name of the tool the model should call' }).min(1),
    /** The arguments, matched exactly (as parsed JSON: key order and number spelling do not matter). */
    arguments: z.record(z.string(), z.unknown(), { error: 'expected the arguments object, e.g. { city: Paris }' }).optional(),
    /** A JSON Schema the arguments must match. */
    argumentsSchema: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).optional(),
    /** The name of a function exported by the evaluator's `module` that checks the arguments. */
    check: z.string({ error: 'expected the name of a function exported by module' }).min(1).optional(),
  })
  .strict()
  .refine((call) => [call.arguments, call.argumentsSchema, call.check].filter((way) => way !== undefined).length <= 1, {
    message: 'give at most one of arguments (exact), argumentsSchema (JSON Schema) or check (a custom function)',
  });

export type ExpectedToolCall = z.output<typeof expectedCallSchema>;

/** A custom argument check: `(call, expected, input) => boolean | { passed, reason? }` (may be async). */
export type ToolCallCheck = (
  call: { name: string; arguments: unknown; rawArguments: string; id: string },
  expected: ExpectedToolCall,
  input: EvaluationInput,
) => boolean | { passed?: boolean; pass?: boolean; reason?: string } | Promise<boolean | { passed?: boolean; pass?: boolean; reason?: string }>;

/** A JSON value for a reason, cut at 80 characters: `"Paris"`, `12`, `{"a":1}`. */
const show = (value: unknown): string => {
  const text = (JSON.stringify(value) ?? String(value)).replace(/\r?\n/g, '\\n');
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** Where two JSON values first differ, as a reason ("argument 'city' is 'Pariss', expected 'Paris'"); undefined when equal. */
export function firstDifference(actual: unknown, expected: unknown, path = ''): string | undefined {
  const here = path === '' ? 'the arguments' : `argument '${path}'`;
  if (Object.is(actual, expected)) return undefined;
  if (typeof expected !== 'object' || expected === null || typeof actual !== 'object' || actual === null || Array.isArray(expected) !== Array.isArray(actual)) {
    return `${here} is ${show(actual)}, expected ${show(expected)}`;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (actual.length !== expected.length) return `${here} has ${actual.length} items, expected ${expected.length} (${show(expected)})`;
    for (let index = 0; index < expected.length; index++) {
      const found = firstDifference(actual[index], expected[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  const actualObject = actual as Record<string, unknown>;
  const expectedObject = expected as Record<string, unknown>;
  for (const key of Object.keys(expectedObject)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (!Object.hasOwn(actualObject, key)) return `argument '${at}' is missing (expected ${show(expectedObject[key])})`;
    const found = firstDifference(actualObject[key], expectedObject[key], at);
    if (found) return found;
  }
  const extra = Object.keys(actualObject).find((key) => !Object.hasOwn(expectedObject, key));
  if (extra !== undefined) return `unexpected argument '${path === '' ? extra : `${path}.${extra}`}' (${show(actualObject[extra])})`;
  return undefined;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 3)
    .map((error) => `${error.instancePath ? `argument '${error.instancePath.slice(1).replaceAll('/', '.')}'` : 'the arguments'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/** The expected calls of a case: the entry's `expected`, else the row's field (a list, or it as JSON text). */
function expectedOf(input: EvaluationInput, inline: ExpectedToolCall[] | undefined, field: string): ExpectedToolCall[] {
  if (inline) return inline;
  const raw = input.vars[field];
  if (raw === undefined || raw === null || raw === '') {
    throw new Error(`the case has no expected tool calls: set 'expected' on the evaluator, or give each row a field '${field}' (a list of { name, arguments? }).`);
  }
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(`row field '${field}' is not valid JSON (${(error as Error).message}); give a list of { name, arguments? }.`);
    }
  }
  const parsed = z.array(expectedCallSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`row field '${field}'${issue?.path.length ? ` at [${issue.path.join('].[')}]` : ''}: ${issue?.message ?? 'invalid'}; give a list of { name, arguments? | argumentsSchema? | check? }.`);
  }
  return parsed.data;
}

/**
 * `tool-call`: the model called the expected tools with the expected arguments. Each expected
 * call names a tool and checks its arguments exactly (`arguments`), by JSON Schema
 * (`argumentsSchema`), by a function of `module` (`check`), or not at all. `order: ordered`
 * (default) wants the calls in the listed order; `unordered` matches them in any order (parallel
 * calls). Calls beyond the expected ones fail unless `allowExtra`. The score is the share of
 * expected calls matched; the reason names the call and the argument that did not match.
 */
export const toolCallEvaluator = defineEvaluator({
  type: 'tool-call',
  description:
    'The model called the expected tools (`expected`, or a row field `field`, default expected_tool_calls) with matching arguments: exact (`arguments`), by JSON Schema (`argumentsSchema`) or by a function of `module` (`check`); `order` ordered|unordered, `allowExtra`.',
  options: z.strictObject({
    expected: z.array(expectedCallSchema, { error: 'expected a list of calls, each { name, arguments? | argumentsSchema? | check? }' }).optional(),
    field: z.string({ error: 'expected the name of a row field' }).min(1).default('expected_tool_calls'),
    order: z.enum(['ordered', 'unordered'], { error: "expected 'ordered' or 'unordered'" }).default('ordered'),
    allowExtra: flag(false),
    module: z.string({ error: "expected a path to a JavaScript module, e.g. './checks.js'" }).min(1).optional(),
  }),
  create(options, context) {
    const checks = new Map<string, ToolCallCheck>();
    if (options.module !== undefined) {
      const loaded = context.preloaded?.get(context.path);
      if (!loaded) return context.fail('module', "tool-call checks are imported asynchronously: build the evaluators with loadEvaluators() (the engine does), not createEvaluators().");
      for (const [key, value] of Object.entries(loaded.exports)) if (typeof value === 'function') checks.set(key, value as ToolCallCheck);
    }
    const checkNamed = (name: string, where: string): ToolCallCheck => {
      const found = checks.get(name);
      if (found) return found;
      if (options.module === undefined) throw new Error(`${where} uses check '${name}', but the evaluator has no 'module' to take it from.`);
      throw new Error(`${where} uses check '${name}', which ${options.module} does not export (its functions: ${[...checks.keys()].join(', ') || 'none'}).`);
    };
    (options.expected ?? []).forEach((call, index) => {
      if (call.check !== undefined && !checks.has(call.check)) {
        context.fail(`expected[${index}].check`, options.module === undefined ? `check '${call.check}' needs 'module': a JS module exporting a function of that name.` : `${options.module} exports no function '${call.check}' (its functions: ${[...checks.keys()].join(', ') || 'none'}).`);
      }
    });
    let ajv: AjvClass | undefined;
    const validators = new WeakMap<object, ValidateFunction>();
    const validatorOf = (schema: Record<string, unknown>): ValidateFunction => {
      let validate = validators.get(schema);
      if (!validate) {
        if (!ajv) {
          // ajv (CommonJS) is loaded only when a schema is used.
          const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
          ajv = new Ajv({ allErrors: true, strict: false });
        }
        validate = ajv.compile(schema);
        validators.set(schema, validate);
      }
      return validate;
    };
    (options.expected ?? []).forEach((call, index) => {
      if (call.argumentsSchema === undefined) return;
      try {
        validatorOf(call.argumentsSchema);
      } catch (error) {
        context.fail(`expected[${index}].argumentsSchema`, `the JSON Schema is invalid: ${(error as Error).message}.`, error);
      }
    });

    /** Why `actual` does not satisfy `expected`; undefined when it does. */
    const mismatch = async (actual: ToolCall, expected: ExpectedToolCall, input: EvaluationInput): Promise<string | undefined> => {
      if (actual.name !== expected.name) return `called '${actual.name}', expected '${expected.name}'`;
      if (expected.arguments === undefined && expected.argumentsSchema === undefined && expected.check === undefined) return undefined;
      let args: unknown;
      try {
        args = actual.arguments.trim() === '' ? {} : JSON.parse(actual.arguments);
      } catch (error) {
        return `its arguments are not valid JSON (${(error as Error).message}): ${quote(actual.arguments, 80)}`;
      }
      if (expected.arguments !== undefined) return firstDifference(args, expected.arguments);
      if (expected.argumentsSchema !== undefined) {
        const validate = validatorOf(expected.argumentsSchema);
        return validate(args) ? undefined : `its arguments do not match the schema: ${describeErrors(validate.errors)}`;
      }
      const check = checkNamed(expected.check as string, `expected call '${expected.name}'`);
      const verdict = await check({ name: actual.name, arguments: args, rawArguments: actual.arguments, id: actual.id }, expected, input);
      const passed = typeof verdict === 'boolean' ? verdict : (verdict?.passed ?? verdict?.pass);
      if (typeof passed !== 'boolean') throw new Error(`check '${expected.check}' returned ${show(verdict)}; return true/false or { passed, reason? }.`);
      if (passed) return undefined;
      return `check '${expected.check}' failed${typeof verdict === 'object' && verdict.reason ? `: ${verdict.reason}` : ''}`;
    };

    const { name } = context;
    return {
      type: 'tool-call',
      name,
      async evaluate(input) {
        const expected = expectedOf(input, options.expected, options.field);
        const actual = input.toolCalls ?? [];
        const made = actual.length === 0 ? 'the model made no tool calls' : `the model called ${actual.map((call) => call.name).join(', ')}`;
        const label = (index: number) => `call ${index + 1} (${actual[index]?.name})`;
        const wanted = (call: ExpectedToolCall, index: number) => `expected call ${index + 1} (${call.name})`;
        const problems: string[] = [];
        /** actual index → expected index, for the calls that matched. */
        const matchedActual = new Set<number>();
        let matched = 0;
        // Every (actual, expected) verdict is computed once: custom checks may be costly.
        const verdicts = new Map<string, Promise<string | undefined>>();
        const verdict = (a: number, e: number) => {
          const key = `${a}|${e}`;
          let known = verdicts.get(key);
          if (!known) verdicts.set(key, (known = mismatch(actual[a] as ToolCall, expected[e] as ExpectedToolCall, input)));
          return known;
        };

        if (options.order === 'ordered' && !options.allowExtra) {
          for (let index = 0; index < Math.max(actual.length, expected.length); index++) {
            const call = expected[index];
            if (call === undefined) continue;
            if (index >= actual.length) {
              problems.push(`${wanted(call, index)} was not made`);
              continue;
            }
            const why = await verdict(index, index);
            if (why === undefined) {
              matched++;
              matchedActual.add(index);
            } else problems.push(`${label(index)}: ${why}`);
          }
        } else if (options.order === 'ordered') {
          // In order, other calls may come between: the earliest matching call is taken for each expected one.
          let next = 0;
          for (const [index, call] of expected.entries()) {
            let found = -1;
            let firstWhy: string | undefined;
            for (let candidate = next; candidate < actual.length; candidate++) {
              const why = await verdict(candidate, index);
              if (why === undefined) {
                found = candidate;
                break;
              }
              if (actual[candidate]?.name === call.name) firstWhy ??= `${label(candidate)}: ${why}`;
            }
            if (found < 0) {
              problems.push(firstWhy ?? `${wanted(call, index)} was not made${next > 0 ? ` after ${label(next - 1)}` : ''}`);
              continue;
            }
            matched++;
            matchedActual.add(found);
            next = found + 1;
          }
        } else {
          // Unordered: a maximum matching of expected to actual calls (augmenting paths; lists are short).
          const owner = new Array<number>(actual.length).fill(-1);
          const pairs = await Promise.all(expected.map((_, e) => Promise.all(actual.map((__, a) => verdict(a, e)))));
          const tryAssign = (e: number, seen: Set<number>): boolean => {
            for (let a = 0; a < actual.length; a++) {
              if (pairs[e]?.[a] !== undefined || seen.has(a)) continue;
              seen.add(a);
              if (owner[a] === -1 || tryAssign(owner[a] as number, seen)) {
                owner[a] = e;
                return true;
              }
            }
            return false;
          };
          for (const [e, call] of expected.entries()) {
            if (tryAssign(e, new Set())) continue;
            const sameName = actual.findIndex((candidate) => candidate.name === call.name);
            problems.push(sameName < 0 ? `${wanted(call, e)}: no call of '${call.name}'` : `${wanted(call, e)}: ${label(sameName)}: ${pairs[e]?.[sameName] ?? 'matches, but is taken by another expected call'}`);
          }
          owner.forEach((e, a) => {
            if (e >= 0) {
              matched++;
              matchedActual.add(a);
            }
          });
        }
        if (!options.allowExtra) {
          actual.forEach((call, index) => {
            if (!matchedActual.has(index) && (options.order === 'unordered' || index >= expected.length)) {
              problems.push(`${label(index)} was not expected${call.arguments ? ` (arguments ${quote(call.arguments, 60)})` : ''}`);
            }
          });
        }
        const total = Math.max(expected.length, options.allowExtra ? 0 : actual.length);
        const score = total === 0 ? 1 : matched / total;
        if (problems.length === 0) {
          return { name, type: 'tool-call', passed: true, score: 1, reason: expected.length === 0 ? 'no tool calls, as expected' : `${matched} expected tool call${matched === 1 ? '' : 's'} made with matching arguments` };
        }
        return { name, type: 'tool-call', passed: false, score, reason: `${problems.join('; ')} (${made}; expected ${expected.map((call) => call.name).join(', ') || 'no calls'})` };
      },
    };
  },
});
