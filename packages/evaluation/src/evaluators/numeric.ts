import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from './define-evaluator.js';
import { templateValue } from './schemas.js';
import { passFail } from './score.js';
import { formatNumber, quote } from './text.js';

// A number as written in prose: optional sign and $, thousands commas, decimals ("-$1,234.50", ".5").
const NUMBER = /-?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\$?\.\d+/g;

/** The value of a written number: `$` and thousands commas removed. NaN when it is not a number. */
export function parseWrittenNumber(text: string): number {
  return Number(text.replace(/[$,\s]/g, ''));
}

/** Every number written in `text`, in order, with `$` and thousands commas removed. */
export function numbersIn(text: string): number[] {
  return [...text.matchAll(NUMBER)].map((match) => parseWrittenNumber(match[0])).filter((value) => Number.isFinite(value));
}

/**
 * The final answer of a text: the number after the last `#### ` marker when there is one
 * (GSM8K's reference format), else the last number in the text (the usual rule for model
 * outputs). Undefined when the text has no number.
 */
export function extractFinalNumber(text: string): number | undefined {
  const marker = text.lastIndexOf('####');
  if (marker >= 0) {
    const first = numbersIn(text.slice(marker + 4))[0];
    if (first !== undefined) return first;
  }
  return numbersIn(text).at(-1);
}

/**
 * `numeric`: the output's final number equals the reference's within a tolerance. The reference
 * (`value`, e.g. `{{answer}}`) may be a GSM8K solution ending in `#### 18`.
 */
export const numericEvaluator = defineEvaluator({
  type: 'numeric',
  description:
    "The output's final number (after '####', else the last number; or the number in the first match of `pattern`, its first group if any; commas and $ stripped) equals the reference's (`value`, GSM8K '#### n' understood) within `tolerance` (absolute, default 1e-6) or `relativeTolerance`.",
  options: z.strictObject({
    value: templateValue("the reference answer, a template such as '{{answer}}'"),
    tolerance: z.number({ error: 'expected an absolute tolerance, a number ≥ 0' }).min(0, { error: 'expected a number ≥ 0' }).default(1e-6),
    relativeTolerance: z.number({ error: 'expected a relative tolerance, a number ≥ 0' }).min(0, { error: 'expected a number ≥ 0' }).optional(),
    pattern: z.string({ error: 'expected a regular expression' }).min(1).optional(),
  }),
  create(options, context) {
    const reference = compileOptionTemplate(options.value, 'value', context);
    let pattern: RegExp | undefined;
    if (options.pattern !== undefined) {
      try {
        pattern = new RegExp(options.pattern);
      } catch (error) {
        context.fail('pattern', `is not a valid regular expression: ${(error as Error).message}`, error);
      }
    }
    const { name } = context;
    return {
      type: 'numeric',
      name,
      evaluate({ output, vars }) {
        const referenceText = reference.render(vars);
        const want = extractFinalNumber(referenceText);
        if (want === undefined) throw new Error(`the reference ${quote(referenceText)} holds no number; check the evaluator's value template.`);
        let got: number | undefined;
        if (pattern) {
          // The first match, its first group (else the whole match), as lm-evaluation-harness's regex filter with take_first.
          const match = pattern.exec(output);
          if (!match) return passFail(name, 'numeric', false, `expected ${formatNumber(want)}, but the output has no match of /${pattern.source}/: ${quote(output)}`);
          got = numbersIn(match[1] ?? match[0])[0];
        } else {
          got = extractFinalNumber(output);
        }
        if (got === undefined) return passFail(name, 'numeric', false, `expected ${formatNumber(want)}, but the output holds no number: ${quote(output)}`);
        const difference = Math.abs(got - want);
        const allowed = Math.max(options.tolerance, (options.relativeTolerance ?? 0) * Math.abs(want));
        return difference <= allowed
          ? passFail(name, 'numeric', true, `output's answer ${formatNumber(got)} equals ${formatNumber(want)}`)
          : passFail(name, 'numeric', false, `expected ${formatNumber(want)}, got ${formatNumber(got)} (the last number in ${quote(output, 80)})`);
      },
    };
  },
});
