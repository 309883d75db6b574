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
