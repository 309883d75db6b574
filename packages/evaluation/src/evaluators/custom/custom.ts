import { z } from '@llm-lab/core';
import type { ScoreRecord } from '../../storage-contract.js';
import { defineEvaluator } from '../define-evaluator.js';
import { thresholdOption } from '../schemas.js';
import { formatNumber, quote } from '../text.js';
import type { EvaluationInput, Evaluator, EvaluatorContext, EvaluatorDefinition, PreloadedModule } from '../types.js';

/**
 * What a custom evaluation function may return: a boolean (pass/fail), a 0–1 number (passes at
 * `threshold`), or `{ passed | pass, score?, reason? }`.
 */
export type CustomResult = boolean | number | { passed?: boolean; pass?: boolean; score?: number; reason?: string };

/** A custom evaluation function: receives the input and the entry's `config:` block. */
export type CustomEvaluateFunction = (input: EvaluationInput, config: Record<string, unknown>) => CustomResult | Promise<CustomResult>;

const isDefinition = (value: unknown): value is EvaluatorDefinition =>
  typeof value === 'object' && value !== null && typeof (value as EvaluatorDefinition).build === 'function' && typeof (value as EvaluatorDefinition).type === 'string';

/** What a module offers: an evaluator definition, or an evaluation function (as a function or an object's `evaluate`). */
export type CustomExport = { kind: 'definition'; definition: EvaluatorDefinition } | { kind: 'function'; evaluate: CustomEvaluateFunction };

/** Finds the usable export of a module: `exportName` when given, else `default`, `evaluator`, `evaluate`. */
export function findCustomExport(exports: Record<string, unknown>, exportName?: string): CustomExport | undefined {
  const names = exportName !== undefined ? [exportName] : ['default', 'evaluator', 'evaluate'];
  for (const key of names) {
    const value = exports[key];
    if (isDefinition(value)) return { kind: 'definition', definition: value };
    if (typeof value === 'function') return { kind: 'function', evaluate: value as CustomEvaluateFunction };
    if (typeof value === 'object' && value !== null && typeof (value as { evaluate?: unknown }).evaluate === 'function') {
      const holder = value as { evaluate: CustomEvaluateFunction };
      return { kind: 'function', evaluate: (input, config) => holder.evaluate(input, config) };
    }
  }
  return undefined;
}

/** Turns a custom function's return value into a ScoreRecord; throws on a shape it cannot read. */
export function toScoreRecord(result: unknown, name: string, type: string, threshold: number): ScoreRecord {
  if (typeof result === 'boolean') return { name, type, passed: result, score: result ? 1 : 0, reason: result ? 'custom check passed' : 'custom check failed' };
  // Scores are 0–1 everywhere (means, intervals, thresholds): a 7 would count as a pass and skew every figure.
  const score = typeof result === 'number' ? result : (result as { score?: unknown } | null)?.score;
  if (typeof score === 'number' && Number.isFinite(score) && (score < 0 || score > 1)) {
    throw new Error(`the custom evaluator returned the score ${formatNumber(score)}, outside 0–1; scale it to 0–1 (or return passed: true/false).`);
  }
  if (typeof result === 'number' && Number.isFinite(result)) {
    const passed = result >= threshold;
    return { name, type, passed, score: result, reason: `custom score ${formatNumber(result)} ${passed ? '≥' : '<'} threshold ${formatNumber(threshold)}` };
  }
  if (typeof result === 'object' && result !== null) {
    const record = result as { passed?: unknown; pass?: unknown; score?: unknown; reason?: unknown };
    const score = typeof record.score === 'number' && Number.isFinite(record.score) ? record.score : undefined;
    const flagged = typeof record.passed === 'boolean' ? record.passed : typeof record.pass === 'boolean' ? record.pass : undefined;
    const passed = flagged ?? (score !== undefined ? score >= threshold : undefined);
    if (passed !== undefined) {
      return {
        name,
        type,
        passed,
        score: score ?? (passed ? 1 : 0),
        reason: typeof record.reason === 'string' ? record.reason : `custom check ${passed ? 'passed' : 'failed'}`,
      };
    }
  }
  throw new Error(`the custom evaluator returned ${quote(JSON.stringify(result) ?? String(result))}; return true/false, a 0–1 score, or { passed, score?, reason? }.`);
}

/** Wraps a custom function as an evaluator. */
export function functionEvaluator(evaluate: CustomEvaluateFunction, name: string, type: string, config: Record<string, unknown>, threshold: number): Evaluator {
  return {
    type,
    name,
    async evaluate(input) {
      return toScoreRecord(await evaluate(input, config), name, type, threshold);
    },
  };
}

/** The preloaded module of this entry, or a ConfigError explaining that custom evaluators load asynchronously. */
function preloadedModule(context: EvaluatorContext): PreloadedModule {
  const loaded = context.preloaded?.get(context.path);
  if (!loaded) {
    context.fail('module', 'custom evaluators are imported asynchronously: build the evaluators with loadEvaluators() (the engine does), not createEvaluators().');
  }
  return loaded;
}

/**
 * `custom`: an evaluator from a JavaScript ESM file (`module`, relative to the config). The module
 * exports (as default, `evaluator` or `evaluate`, or the named `export`) a function
 * `(input, config) => boolean | number | { passed, score?, reason? }`, or an evaluator definition
 * made with `defineEvaluator` (then `config` holds its options).
 */
export const customEvaluator: EvaluatorDefinition = defineEvaluator({
  type: 'custom',
  description:
    "An evaluator from a JS ESM file (`module`, relative to the config): a function (input, config) returning boolean, a 0–1 number or { passed, score?, reason? }, or a defineEvaluator definition; `config` is passed to it, `threshold` (default 0.5) applies to numbers.",
  options: z.strictObject({
    module: z.string({ error: "expected a path to a JavaScript module, e.g. './checks/my-check.js'" }).min(1),
    export: z.string({ error: 'expected the name of an export' }).min(1).optional(),
    config: z.record(z.string(), z.unknown(), { error: 'expected an object of options for the custom evaluator' }).default({}),
    threshold: thresholdOption(0.5),
  }),
  create(options, context) {
    const loaded = preloadedModule(context);
    const found = findCustomExport(loaded.exports, options.export);
    if (!found) {
      const names = Object.keys(loaded.exports);
      return context.fail(
        options.export !== undefined ? 'export' : 'module',
        `module '${loaded.specifier}' exports nothing usable${options.export !== undefined ? ` as '${options.export}'` : ''} (its exports: ${names.length > 0 ? names.join(', ') : 'none'}). Export a function (input, config) => boolean | number | { passed, score, reason }, or a defineEvaluator() definition, as default.`,
      );
    }
    if (found.kind === 'definition') return found.definition.build(options.config, { ...context, fail: (field: string, message: string, cause?: unknown) => context.fail(`config.${field}`, message, cause) });
    return functionEvaluator(found.evaluate, context.name, 'custom', options.config, options.threshold);
  },
});
