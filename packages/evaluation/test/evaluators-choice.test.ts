/**
 * The `choice` evaluator reading a pick from choice text: exact text first, letters next (with
 * choice texts that look like letters set aside), then a unique match that keeps case, signs and
 * numbers, then a unique normalised match. Ambiguity is a failure with a reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { extractChoice } from '../src/index.js';
import { build, caseOf, hasSharedDatasets, SHARED_DATASETS } from './evaluators-helpers.js';

const sharedIt = hasSharedDatasets ? it : it.skip;
const choice = (choices: string[], value: string) => build({ type: 'choice', value, choices });
const scoreAgainst = async (choices: string[], value: string, output: string) => choice(choices, value).evaluate({ output, vars: {}, case: caseOf({}) });

describe('choice: picking by choice text', () => {
  it('an exact match beats a normalised one, and signs, decimals and case are kept', () => {
    expect(extractChoice('-1', 4, ['1', '-1', '0', '2'])).toEqual({ index: 1, rule: 'exact-text' });
    expect(extractChoice('1', 4, ['-1', '1', '0', '2'])).toEqual({ index: 1, rule: 'exact-text' });
    expect(extractChoice('15.6', 4, ['156', '15.6', '1.56', '0.156'])).toEqual({ index: 1, rule: 'exact-text' });
    expect(extractChoice('156', 4, ['15.6', '1.56', '156', '0.156'])).toEqual({ index: 2, rule: 'exact-text' });
    expect(extractChoice('Rr', 4, ['RR', 'rr', 'Rr', 'R'])).toEqual({ index: 2, rule: 'exact-text' });
    expect(extractChoice('rr', 4, ['RR', 'Rr', 'rr', 'R'])).toEqual({ index: 2, rule: 'exact-text' });
    // Inside a sentence: "-1" is not "1", "15.6" is not "15" or "156", "Rr" is not "rr".
    expect(extractChoice('The limit is -1.', 4, ['1', '-1', '0', '2'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('The limit is 1.', 4, ['-1', '1', '0', '2'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('It weighs 15.6 grams.', 4, ['156', '15.6', '15', '6'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('The genotype is Rr.', 4, ['RR', 'rr', 'Rr', 'R'])).toEqual({ index: 2, rule: 'choice-text' });
  });

  it('choice text that looks like a letter is the choice, not the letter', () => {
    const psychologists = ['Sigmund Freud', 'Carl Rogers', 'B. F. Skinner', 'Albert Bandura'];
    expect(extractChoice('B. F. Skinner', 4, psychologists)).toEqual({ index: 2, rule: 'exact-text' });
    expect(extractChoice('The answer is B. F. Skinner.', 4, psychologists)).toEqual({ index: 2, rule: 'choice-text' });
    // A letter outside the choice text still counts: "C. B. F. Skinner" is C.
    expect(extractChoice('C. B. F. Skinner', 4, psychologists)).toEqual({ index: 2, rule: 'line-start' });
    expect(extractChoice('Answer: B', 4, psychologists)).toEqual({ index: 1, rule: 'answer-marker' });
    const both = ['Only (A)', 'Only (B)', '(A) and (B) both in the same way.', 'Neither'];
    expect(extractChoice('(A) and (B) both in the same way.', 4, both)).toEqual({ index: 2, rule: 'exact-text' });
    expect(extractChoice('I think (A) and (B) both in the same way', 4, both)).toEqual({ index: 2, rule: 'choice-text' });
    expect(extractChoice('(B)', 4, both)).toEqual({ index: 1, rule: 'parenthesised' });
    // A choice whose text is a letter: the exact text is that choice ("B" is boron here), "Answer: B" the letter.
    const dopants = ['As', 'P', 'Sb', 'B'];
    expect(extractChoice('B', 4, dopants)).toEqual({ index: 3, rule: 'exact-text' });
    expect(extractChoice('Answer: B', 4, dopants)).toEqual({ index: 1, rule: 'answer-marker' });
  });

  it('ambiguity is no pick: two choices matching equally, a choice inside another, a letter-like text', () => {
    expect(extractChoice('The genotype is RR or rr.', 4, ['RR', 'rr', 'Rr', 'R'])).toEqual({ ambiguous: [0, 1], rule: 'choice-text' });
    // Only a case-insensitive reading matches, and it matches two choices.
    expect(extractChoice('It is RR', 3, ['rr', 'Rr', 'x'])).toEqual({ ambiguous: [0, 1], rule: 'choice-text' });
    // "Paris" is inside "Paris, Texas": the longer choice is the match, unless "Paris" also stands alone.
    expect(extractChoice('It is Paris, Texas.', 3, ['Paris', 'Paris, Texas', 'Rome'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('Not Paris, Texas but Paris.', 3, ['Paris', 'Paris, Texas', 'Rome'])).toEqual({ ambiguous: [0, 1], rule: 'choice-text' });
    // "It's B" with boron at D: the letter B or the text B.
    expect(extractChoice("It's B.", 4, ['As', 'P', 'Sb', 'B'])).toEqual({ ambiguous: [1, 3], rule: 'choice-text' });
  });

  it('normalised matching (case, articles, punctuation) still works when it is unique', () => {
    expect(extractChoice('the eiffel tower', 3, ['Big Ben', 'Eiffel Tower', 'Colosseum'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('**Paris**', 3, ['London', 'Paris', 'Rome'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('It is Paris.', 3, ['London', 'Paris', 'Rome'])).toEqual({ index: 1, rule: 'choice-text' });
    expect(extractChoice('I do not know.', 3, ['London', 'Paris', 'Rome'])).toBeUndefined();
  });

  it('a choice listed twice is picked by its text either way', () => {
    const twice = ['687', '687', '1,493', '1,695'];
    expect(extractChoice('687', 4, twice)).toEqual({ index: 0, rule: 'exact-text', sameText: [0, 1] });
  });

  it('the evaluator fails an ambiguous output with a reason, and passes the picked choice', async () => {
    const genotypes = ['RR', 'Rr', 'rr', 'R'];
    expect(await scoreAgainst(genotypes, 'B', 'Rr')).toMatchObject({ passed: true, reason: "picked B ('Rr'), the correct choice (found by exact-text)" });
    expect(await scoreAgainst(genotypes, 'B', 'rr')).toMatchObject({ passed: false, reason: "picked C ('rr') (found by exact-text), expected B ('Rr')" });
    expect(await scoreAgainst(genotypes, 'B', 'Either Rr or rr')).toMatchObject({
      passed: false,
      reason: "ambiguous: the output matches B ('Rr') and C ('rr') equally (choice-text), so no choice is picked; expected B ('Rr')",
    });
    expect((await scoreAgainst(['1', '-1', '0', '2'], 'B', '-1')).passed).toBe(true);
    expect((await scoreAgainst(['1', '-1', '0', '2'], 'A', '-1')).passed).toBe(false);
    expect((await scoreAgainst(['Sigmund Freud', 'Carl Rogers', 'B. F. Skinner', 'Albert Bandura'], 'C', 'B. F. Skinner')).passed).toBe(true);
    expect((await scoreAgainst(['687', '687', '1,493', '1,695'], 'B', '687')).passed).toBe(true);
  });

  it('a correct answer given as text is found exactly, and an ambiguous one is an error', async () => {
    expect((await scoreAgainst(['1', '-1', '0', '2'], '-1', 'B')).passed).toBe(true);
    expect((await scoreAgainst(['Rr', 'rr', 'RR', 'R'], 'rr', 'B')).passed).toBe(true);
    await expect(Promise.resolve(scoreAgainst(['Rr', 'rr', 'RR', 'R'], 'rR', 'B'))).rejects.toThrow(/the correct answer 'rR' matches several choices \(A, B, C\)/);
  });
});

interface MmluRow {
  question: string;
  choice0: string;
  choice1: string;
  choice2: string;
  choice3: string;
  answer: string;
}

describe('choice on the whole MMLU test split (shared datasets)', () => {
  sharedIt('the correct choice text scores 14,042/14,042 and every wrong choice text 0', async () => {
    const folder = join(SHARED_DATASETS, 'mmlu', 'test');
    const rows = readdirSync(folder)
      .filter((file) => file.endsWith('_test.csv'))
      .flatMap((file) => parse(readFileSync(join(folder, file)), { columns: true, bom: true }) as MmluRow[]);
    expect(rows).toHaveLength(14_042);
    const evaluator = build({ type: 'choice', value: '{{answer}}', choices: ['{{choice0}}', '{{choice1}}', '{{choice2}}', '{{choice3}}'] });
    let right = 0;
    let wrongPassed = 0;
    let wrongTried = 0;
    const missed: string[] = [];
    for (const row of rows) {
      const vars = row as unknown as Record<string, unknown>;
      const texts = [row.choice0, row.choice1, row.choice2, row.choice3];
      const answer = Number(row.answer);
      const result = await evaluator.evaluate({ output: texts[answer] as string, vars, case: caseOf(vars) });
      if (result.passed) right++;
      else if (missed.length < 5) missed.push(`${row.question.slice(0, 60)} → ${result.reason}`);
      for (const [index, text] of texts.entries()) {
        // A choice listed twice has the correct text twice: only a different text is a wrong answer.
        if (index === answer || text.trim() === (texts[answer] as string).trim()) continue;
        wrongTried++;
        if ((await evaluator.evaluate({ output: text, vars, case: caseOf(vars) })).passed) wrongPassed++;
      }
    }
    expect(missed).toEqual([]);
    expect(right).toBe(14_042);
    expect(wrongTried).toBeGreaterThan(42_000);
    expect(wrongPassed).toBe(0);
  }, 120_000);
});
