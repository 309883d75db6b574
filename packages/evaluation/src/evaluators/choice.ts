import { z } from '@llm-lab/core';
import type { CompiledTemplate } from '../prompts/template.js';
import { compileOptionTemplate, defineEvaluator } from './define-evaluator.js';
import { templateValue } from './schemas.js';
import { compileTemplates, passFail } from './score.js';
import { quote } from './text.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The rules {@link extractChoice} reads a pick by, in the order they are tried. */
export type ChoiceRule = 'exact-text' | 'answer-marker' | 'parenthesised' | 'line-start' | 'lone-letter' | 'choice-text';

/** A choice an output picks. */
export interface ExtractedChoice {
  /** 0-based index of the choice. */
  index: number;
  /** The rule that found it, for reasons. */
  rule: ChoiceRule;
  /** When the choices list the picked text more than once: every index with that text (the text picks any of them). */
  sameText?: number[];
}

/** An output that matches several choices equally well: no choice is picked. */
export interface AmbiguousChoice {
  /** The 0-based indexes of the choices it matches. */
  ambiguous: number[];
  rule: ChoiceRule;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Case, signs and digits kept; whitespace squashed; emphasis, quotes and a final full stop around the text dropped. */
function lightForm(text: string): string {
  return squash(text)
    .replace(/^[*_`"'“‘]+/u, '')
    .replace(/[*_`"'”’]+$/u, '')
    .replace(/[.!?]+$/u, '')
    .replace(/[*_`"'”’]+$/u, '')
    .trim();
}

const NUMBER = /(?<![\p{L}\p{N}])[-+−]?\d+(?:[.,]\d+)*/gu;

/**
 * Lower case, punctuation and the articles a/an/the dropped (as SQuAD does), but numbers kept
 * whole with their sign and decimal point: `-1` stays `-1`, `15.6` stays `15.6`.
 */
function normalisedForm(text: string): string {
  const parts: string[] = [];
  let last = 0;
  const words = (chunk: string) =>
    chunk
      .toLowerCase()
      .replace(/[\p{P}\p{S}]/gu, ' ')
      .replace(/\b(?:a|an|the)\b/g, ' ');
  for (const match of text.matchAll(NUMBER)) {
    parts.push(words(text.slice(last, match.index)), ` ${match[0].replace('−', '-')} `);
    last = match.index + match[0].length;
  }
  parts.push(words(text.slice(last)));
  return squash(parts.join(''));
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Where `needle` occurs in `haystack` as a whole: not inside a word, and a number not inside a longer number (`1` in `-1`, `15` in `15.6`). */
function occurrences(haystack: string, needle: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  if (needle === '') return spans;
  const startsWord = WORD_CHAR.test(needle.charAt(0));
  const endsWord = WORD_CHAR.test(needle.charAt(needle.length - 1));
  const startsDigit = /^\d/.test(needle);
  const endsDigit = /\d$/.test(needle);
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const end = at + needle.length;
    const before = haystack.charAt(at - 1);
    const after = haystack.slice(end, end + 2);
    if (startsWord && WORD_CHAR.test(before)) continue;
    if (startsDigit && /[-+−.,]/.test(before)) continue;
    if (endsWord && WORD_CHAR.test(after.charAt(0))) continue;
    if (endsDigit && /^[.,]\d/.test(after)) continue;
    spans.push([at, end]);
  }
  return spans;
}

/** The letter rules: "Answer: C", "(C)", a line starting "C.", a lone letter. */
function letterRules(count: number): Array<[ChoiceRule, RegExp]> {
  const letters = escape(ALPHABET.slice(0, Math.min(count, ALPHABET.length)));
  return [
    ['answer-marker', new RegExp(`answer(?:\\s+is)?\\s*[:：]?\\s*(?:option\\s+)?[(\\[*]*([${letters}])\\b`, 'i')],
    ['parenthesised', new RegExp(`\\(([${letters}])\\)`)],
    ['line-start', new RegExp(`^\\s*\\**([${letters}])\\**[.):](?:\\s|$)`, 'm')],
    ['lone-letter', new RegExp(`^\\s*[(\\[*]*([${letters}])[)\\]*]*\\.?\\s*$`, 'i')],
  ];
}

function readLetter(output: string, rules: Array<[ChoiceRule, RegExp]>): ExtractedChoice | undefined {
  for (const [rule, pattern] of rules) {
    const match = pattern.exec(output);
    if (!match) continue;
    const letter = match[1] as string;
    // "the answer is a ..." is an article, not choice A: only an upper-case letter counts after the marker.
    if (rule === 'answer-marker' && letter !== letter.toUpperCase()) continue;
    return { index: ALPHABET.indexOf(letter.toUpperCase()), rule };
  }
  return undefined;
}

/** A pick among `indices` (all matching equally): one text, possibly listed twice, is a pick; different texts are ambiguous. */
function decide(indices: number[], texts: readonly string[], rule: ChoiceRule): ExtractedChoice | AmbiguousChoice | undefined {
  if (indices.length === 0) return undefined;
  const first = indices[0] as number;
  if (indices.every((index) => squash(texts[index] as string) === squash(texts[first] as string))) {
    return indices.length === 1 ? { index: first, rule } : { index: first, rule, sameText: indices };
  }
  return { ambiguous: indices, rule };
}

/** The choices whose text occurs in `output`, leaving out those that occur only inside a longer matching choice. */
function contained(output: string, forms: readonly string[]): number[] {
  const found = forms.map((form) => occurrences(output, form));
  const matched = forms.flatMap((_form, index) => ((found[index] as Array<[number, number]>).length > 0 ? [index] : []));
  return matched.filter((index) => {
    const spans = found[index] as Array<[number, number]>;
    const form = forms[index] as string;
    return !spans.every(([start, end]) =>
      matched.some((other) => (forms[other] as string).length > form.length && (found[other] as Array<[number, number]>).some(([s, e]) => s <= start && end <= e)),
    );
  });
}

/**
 * The choice an output picks, tried in this order:
 *
 * 1. `exact-text`: the output is exactly one choice's text (trimmed) — even a text that looks like
 *    a letter (MMLU lists boron as `B`, a psychologist as `B. F. Skinner`);
 * 2. letters: "Answer: C" / "the answer is (C)"; "(C)"; a line starting "C." or "C)"; an output
 *    that is only a letter (any case) — read after setting aside the choice texts that themselves
 *    read as a letter (`B. F. Skinner`, `(A) and (B) both…`), so their letters do not count;
 * 3. `choice-text`: the output equals one choice's text, or contains it as a whole (not `1`
 *    inside `-1`, not `Paris` inside a matching `Paris, Texas`) — first keeping case, signs and
 *    numbers, then lower-cased without punctuation and articles (numbers still kept whole).
 *
 * Letters other than the first `count` are ignored. When a step matches several choices with
 * different texts, the output is ambiguous ({@link AmbiguousChoice}) and later steps are not
 * tried. Undefined when nothing matches.
 */
export function extractChoice(output: string, count: number, choiceTexts: readonly string[] = []): ExtractedChoice | AmbiguousChoice | undefined {
  if (Math.min(count, ALPHABET.length) < 1) return undefined;
  const texts = choiceTexts.map((text) => text.trim());
  const trimmed = output.trim();
  const exact = texts.flatMap((text, index) => (text !== '' && text === trimmed ? [index] : []));
  if (exact.length > 0) return decide(exact, texts, 'exact-text');

  const rules = letterRules(count);
  // Set aside choice texts that read as a letter (but are more than a lone letter), longest first.
  let masked = output;
  const letterLike = texts
    .map(lightForm)
    .filter((text) => text.length > 2 && readLetter(text, rules) !== undefined)
    .sort((a, b) => b.length - a.length);
  for (const text of letterLike) {
    masked = masked.replace(new RegExp(text.split(/\s+/).map(escape).join('\\s+'), 'g'), '…');
  }
  const letter = readLetter(masked, rules);
  if (letter) return letter;
  if (texts.length === 0) return undefined;

  const light = texts.map(lightForm);
  const normalised = texts.map(normalisedForm);
  const lightOutput = lightForm(output);
  const normalisedOutput = normalisedForm(output);
  const steps: Array<() => number[]> = [
    () => light.flatMap((form, index) => (form !== '' && form === lightOutput ? [index] : [])),
    () => normalised.flatMap((form, index) => (form !== '' && form === normalisedOutput ? [index] : [])),
    () => contained(squash(output), light),
    () => contained(normalisedOutput, normalised),
  ];
  for (const step of steps) {
    const indices = step();
    if (indices.length === 0) continue;
    // A choice whose text is a lone letter, found inside a sentence, may as well be that letter.
    for (const index of [...indices]) {
      const letterIndex = ALPHABET.indexOf(texts[index] as string);
      if (/^[A-Z]$/.test(texts[index] as string) && letterIndex < count && letterIndex !== index && !indices.includes(letterIndex)) indices.push(letterIndex);
    }
    return decide(indices.sort((a, b) => a - b), texts, 'choice-text');
  }
  return undefined;
}

/** The 0-based index of a correct answer given as a choice's text: exact, else a unique normalised match. Throws when none or several match. */
function choiceIndexOfText(answer: string, texts: readonly string[], count: number): number {
  const trimmed = answer.trim();
  const exact = texts.findIndex((text) => text.trim() === trimmed);
  if (exact >= 0) return exact;
  const form = normalisedForm(answer);
  const matches = texts.flatMap((text, index) => (form !== '' && normalisedForm(text) === form ? [index] : []));
  if (matches.length === 1) return matches[0] as number;
  if (matches.length > 1) {
    throw new Error(`the correct answer ${quote(answer)} matches several choices (${matches.map((index) => ALPHABET[index]).join(', ')}) once normalised; give its letter or 0-based index instead.`);
  }
  throw new Error(`the correct answer ${quote(answer)} is not a letter, a 0-based index below ${count}, or one of the choices.`);
}

/** "ambiguous: the output matches B ('Rr') and C ('rr') equally (choice-text), so no choice is picked". */
export function describeAmbiguity(picked: AmbiguousChoice, shown: (index: number) => string): string {
  const names = picked.ambiguous.map(shown);
  const list = names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
  return `ambiguous: the output matches ${list} equally (${picked.rule}), so no choice is picked`;
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
        else want = choiceIndexOfText(answer, texts, count);
        const letter = (index: number) => ALPHABET[index] as string;
        const shown = (index: number) => (texts[index] !== undefined ? `${letter(index)} (${quote(texts[index] as string, 60)})` : letter(index));
        const picked = extractChoice(output, count, texts);
        if (!picked) return passFail(name, 'choice', false, `no choice found in the output (expected ${shown(want)}): ${quote(output)}`);
        if ('ambiguous' in picked) return passFail(name, 'choice', false, `${describeAmbiguity(picked, shown)}; expected ${shown(want)}`);
        return picked.index === want || picked.sameText?.includes(want) === true
          ? passFail(name, 'choice', true, `picked ${shown(want)}, the correct choice (found by ${picked.rule})`)
          : passFail(name, 'choice', false, `picked ${shown(picked.index)} (found by ${picked.rule}), expected ${shown(want)}`);
      },
    };
  },
});
