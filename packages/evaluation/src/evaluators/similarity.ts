import { z } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { flag, templateList, thresholdOption } from './schemas.js';
import { compileTemplates, graded } from './score.js';
import { levenshteinSimilarity, rougeL, sentenceBleu } from './text-similarity.js';
import { formatNumber, quote } from './text.js';
import type { EvaluatorDefinition } from './types.js';

const referenceOption = templateList("the reference text, a template such as '{{reference}}' (or a list of references)");

function describe(metric: string, score: number, threshold: number, references: readonly string[]): string {
  const against = references.length === 1 ? quote(references[0] as string, 80) : `${references.length} references`;
  return `${metric} ${formatNumber(score)} against ${against} ${score >= threshold ? '≥' : '<'} threshold ${formatNumber(threshold)}`;
}

/** `rouge-l`: ROUGE-L F1 (word LCS) of the output against `value` (best over a list); passes at `threshold` (default 0.5). */
export const rougeLEvaluator: EvaluatorDefinition = defineEvaluator({
  type: 'rouge-l',
  description: 'ROUGE-L F1 (longest common word subsequence) of the output against `value` (best of a list); passes when ≥ `threshold` (default 0.5).',
  options: z.strictObject({ value: referenceOption, threshold: thresholdOption(0.5) }),
  create(options, context) {
    const references = compileTemplates(options.value, 'value', context);
    const { name } = context;
    return {
      type: 'rouge-l',
      name,
      evaluate({ output, vars }) {
        const texts = references.map((template) => template.render(vars));
        const score = Math.max(...texts.map((text) => rougeL(output, text)));
        return graded(name, 'rouge-l', score, options.threshold, describe('ROUGE-L F1', score, options.threshold, texts));
      },
    };
  },
});

/** `bleu`: sentence BLEU-4 with add-one smoothing for n ≥ 2 against `value` (all references at once); passes at `threshold` (default 0.5). */
export const bleuEvaluator: EvaluatorDefinition = defineEvaluator({
  type: 'bleu',
  description:
    'Sentence BLEU (up to 4-grams, uniform weights, brevity penalty, add-one smoothing for n ≥ 2 as in Lin & Och 2004) of the output against `value` (one or more references); passes when ≥ `threshold` (default 0.5).',
  options: z.strictObject({
    value: referenceOption,
    threshold: thresholdOption(0.5),
    maxOrder: z.number({ error: 'expected the largest n-gram order, an integer from 1 to 4' }).int().min(1).max(4).default(4),
  }),
  create(options, context) {
    const references = compileTemplates(options.value, 'value', context);
    const { name } = context;
    return {
      type: 'bleu',
      name,
      evaluate({ output, vars }) {
        const texts = references.map((template) => template.render(vars));
        const score = sentenceBleu(output, texts, options.maxOrder);
        return graded(name, 'bleu', score, options.threshold, describe(`BLEU-${options.maxOrder}`, score, options.threshold, texts));
      },
    };
  },
});

/** `levenshtein`: 1 − edit distance / longer length, against `value` (best of a list); passes at `threshold` (default 0.8). */
export const levenshteinEvaluator: EvaluatorDefinition = defineEvaluator({
  type: 'levenshtein',
  description:
    'Normalised Levenshtein similarity (1 − edit distance ÷ length of the longer text, in characters) of the output to `value` (best of a list); passes when ≥ `threshold` (default 0.8); options trim (default true), ignoreCase.',
  options: z.strictObject({ value: referenceOption, threshold: thresholdOption(0.8), trim: flag(true), ignoreCase: flag(false) }),
  create(options, context) {
    const references = compileTemplates(options.value, 'value', context);
    const prepare = (text: string) => {
      const trimmed = options.trim ? text.trim() : text;
      return options.ignoreCase ? trimmed.toLowerCase() : trimmed;
    };
    const { name } = context;
    return {
      type: 'levenshtein',
      name,
      evaluate({ output, vars }) {
        const texts = references.map((template) => template.render(vars));
        const score = Math.max(...texts.map((text) => levenshteinSimilarity(prepare(output), prepare(text))));
        return graded(name, 'levenshtein', score, options.threshold, describe('Levenshtein similarity', score, options.threshold, texts));
      },
    };
  },
});
