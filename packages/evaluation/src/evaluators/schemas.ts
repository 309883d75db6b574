import { z } from '@llm-lab/core';

/**
 * A template option such as `value: "{{answer}}"`. Numbers and booleans are taken as literal
 * text, since YAML reads `value: 42` as a number.
 */
export function templateValue(expected: string) {
  return z
    .union([z.string(), z.number(), z.boolean()], { error: `expected ${expected}` })
    .transform((value) => String(value));
}

/** One template, or a non-empty list of them (each a possible right answer). Always a list after parsing. */
export function templateList(expected: string) {
  const one = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));
  return z
    .union([one.transform((value) => [value]), z.array(one).min(1)], { error: `expected ${expected}` });
}

/** A 0–1 score above which (inclusive) a graded evaluator passes. */
export function thresholdOption(defaultValue: number) {
  return z
    .number({ error: 'expected a number from 0 to 1' })
    .min(0, { error: 'expected a number from 0 to 1' })
    .max(1, { error: 'expected a number from 0 to 1' })
    .default(defaultValue);
}

/** `true`/`false` with the house error message. */
export function flag(defaultValue: boolean) {
  return z.boolean({ error: 'expected true or false' }).default(defaultValue);
}

/** A positive number (ms, USD, tokens per second…). */
export function positiveNumber(what: string) {
  return z.number({ error: `expected ${what}` }).positive({ error: `expected ${what} greater than 0` });
}

/**
 * A provider reference: a provider id (`openai:gpt-4o-mini`), the label of an entry under
 * `providers:` (whose config then applies), or `{ id, config }`. Normalised to the object form.
 */
const PROVIDER_REFERENCE_ERROR =
  "expected a provider id such as 'openai:gpt-4o-mini', the label of a providers entry, or { id, config, settings }";
const providerId = z.string({ error: PROVIDER_REFERENCE_ERROR }).min(1, { error: PROVIDER_REFERENCE_ERROR });

export const providerReference = z
  .union(
    [
      providerId,
      z.strictObject({
        id: providerId,
        config: z.record(z.string(), z.unknown()).default({}),
        /** Sampling settings for the judge's calls (temperature defaults to 0). */
        settings: z
          .strictObject({ temperature: z.number().min(0).max(2).optional(), maxTokens: z.number().int().positive().optional(), seed: z.number().int().optional() })
          .default({}),
      }),
    ],
    { error: PROVIDER_REFERENCE_ERROR },
  )
  .transform((value) => (typeof value === 'string' ? { id: value, config: {}, settings: {} } : value));

export type ProviderReference = z.output<typeof providerReference>;
