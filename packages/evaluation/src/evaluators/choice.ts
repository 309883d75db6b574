import { z } from '@llm-lab/core';
import type { CompiledTemplate } from '../prompts/template.js';
import { compileOptionTemplate, defineEvaluator } from './define-evaluator.js';
import { templateValue } from './schemas.js';
import { compileTemplates, passFail } from './score.js';
import { quote, squadNormalize } from './text.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** How a choice was found in an output. */
export interface ExtractedChoice {
  /** 0-based index of the choice. */
  index: number;
  /** The rule that found it, for reasons. */
  rule: 'answer-marker' | 'parenthesised' | 'line-start' | 'lone-letter' | 'choice-text';
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The choice an output picks, tried in this order: "Answer: C" / "the answer is (C)"; "(C)";
 * a line starting "C." or "C)"; an output that is only a letter (any case); and, when the choice
 * texts are given, an output equal to one choice (SQuAD-normalised) or containing exactly one.
 * Letters other than the first `count` are ignored. Undefined when nothing matches.
 */
export function extractChoice(output: string, count: number, choiceTexts: readonly string[] = []): ExtractedChoice | undefined {
  const letters = escape(ALPHABET.slice(0, Math.min(count, ALPHABET.length)));
  if (letters === '') return undefined;
  const indexOf = (letter: string) => ALPHABET.indexOf(letter.toUpperCase());
  const rules: Array<[ExtractedChoice['rule'], RegExp]> = [
    ['answer-marker', new RegExp(`answer(?:\\s+is)?\\s*[:：]?\\s*(?:option\\s+)?[(\\[*]*([${letters}])\\b`, 'i')],
    ['parenthesised', new RegExp(`\\(([${letters}])\\)`)],
    ['line-start', new RegExp(`^\\s*\\**([${letters}])\\**[.):](?:\\s|$)`, 'm')],
    ['lone-letter', new RegExp(`^\\s*[(\\[*]*([${letters}])[)\\]*]*\\.?\\s*$`, 'i')],
  ];
  for (const [rule, pattern] of rules) {
    const match = pattern.exec(output);
    if (!match) continue;
    const letter = match[1] as string;
    // "the answer is a ..." is an article, not choice A: only an upper-case letter counts after the marker.
    if (rule === 'answer-marker' && letter !== letter.toUpperCase()) continue;
    return { index: indexOf(letter), rule };
  }
  if (choiceTexts.length > 0) {
    const normalisedOutput = squadNormalize(output);
    const texts = choiceTexts.map(squadNormalize);
    const exact = texts.findIndex((text) => text !== '' && text === normalisedOutput);
    if (exact >= 0) return { index: exact, rule: 'choice-text' };
    const contained = texts.flatMap((text, index) => (text !== '' && ` ${normalisedOutput} `.includes(` ${text} `) ? [index] : []));
    if (contained.length === 1) return { index: contained[0] as number, rule: 'choice-text' };
  }
  return undefined;
}

/** The choice texts of a row field: an array of texts, or an object whose keys are the texts (TruthfulQA's `mc1_targets`). */
function choicesOfField(value: unknown, field: string): string[] {
  if (Array.isArray(value)) return value.map((item) => String(item));
  if (value !== null && typeof value === 'object') return Object.keys(value);
  if (typeof value === 'string') {
    try {
      return choicesOfField(JSON.parse(value) as unknown, field);
    } catch {
      // Fall through to the error below.
    }
  }
  throw new Error(`the row's '${field}' is not a list of choices (an array, or an object keyed by choice text).`);
}

/**
 * `choice`: multiple-choice accuracy. The correct answer (`value`) is a letter, a 0-based index
 * (MMLU's 0–3, ARC's `gold`), or a choice's text; the output's pick is found by {@link extractChoice}.
 */
export const choiceEvaluator = defineEvaluator({
  type: 'choice',
  description:
    "Multiple choice: the letter the output picks ('Answer: C', '(C)', 'C.', a lone letter, or a choice's text) is the correct one (`value`: a letter, a 0-based index, or the choice text). Choices from `choices` (templates) or `choicesField` (a row field holding a list).",
  options: z.strictObject({
    value: templateValue("the correct answer, a template such as '{{answer}}' giving a letter, a 0-based index or the choice text"),
    choices: z.array(z.union([z.string(), z.number()]).transform(String), { error: "expected a list of choice templates such as ['{{choice0}}', '{{choice1}}']" }).min(2).optional(),
    choicesField: z.string({ error: 'expected the name of a row field holding the list of choices' }).min(1).optional(),
    count: z.number({ error: 'expected the number of choices, an integer from 2 to 26' }).int().min(2).max(26).optional(),
  }),
  create(options, context) {
    if (options.choices !== undefined && options.choicesField !== undefined) context.fail('choicesField', 'give either choices or choicesField, not both.');
    const correct = compileOptionTemplate(options.value, 'value', context);
    const choiceTemplates: CompiledTemplate[] = options.choices ? compileTemplates(options.choices, 'choices', context) : [];
    const { name } = context;
    return {
      type: 'choice',
      name,
      evaluate({ output, vars }) {
        const texts = options.choicesField !== undefined ? choicesOfField(vars[options.choicesField], options.choicesField) : choiceTemplates.map((template) => template.render(vars));
        const count = texts.length > 0 ? texts.length : (options.count ?? 4);
        const answer = correct.render(vars).trim();
        let want: number;
        if (/^[A-Za-z]$/.test(answer) && ALPHABET.indexOf(answer.toUpperCase()) < count) want = ALPHABET.indexOf(answer.toUpperCase());
        else if (/^\d+$/.test(answer) && Number(answer) < count) want = Number(answer);
        else {
          want = texts.findIndex((text) => squadNormalize(text) === squadNormalize(answer));
          if (want < 0) throw new Error(`the correct answer ${quote(answer)} is not a letter, a 0-based index below ${count}, or one of the choices.`);
        }
        const letter = (index: number) => ALPHABET[index] as string;
        const shown = (index: number) => (texts[index] !== undefined ? `${letter(index)} (${quote(texts[index] as string, 60)})` : letter(index));
        const picked = extractChoice(output, count, texts);
        if (!picked) return passFail(name, 'choice', false, `no choice found in the output (expected ${shown(want)}): ${quote(output)}`);
        return picked.index === want
          ? passFail(name, 'choice', true, `picked ${shown(want)}, the correct choice (found by ${picked.rule})`)
          : passFail(name, 'choice', false, `picked ${shown(picked.index)} (found by ${picked.rule}), expected ${shown(want)}`);
      },
    };
  },
});
