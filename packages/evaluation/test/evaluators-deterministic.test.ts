import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@llm-lab/core';
import { extractChoice, extractFinalNumber, levenshteinSimilarity, rougeL, sentenceBleu, squadNormalize } from '../src/index.js';
import { build, hasSharedDatasets, readShared, score, sharedJsonl } from './evaluators-helpers.js';
import { writeTempFile } from './helpers.js';

const sharedIt = hasSharedDatasets ? it : it.skip;

describe('equals with normalisation', () => {
  it('applies SQuAD normalisation with normalize: true', async () => {
    expect(squadNormalize('  The  Eiffel-Tower!  ')).toBe('eiffeltower');
    expect(squadNormalize('An apple, a day.')).toBe('apple day');
    const result = await score({ type: 'equals', value: '{{answer}}', normalize: true }, 'the Eiffel Tower.', { answer: 'Eiffel tower' });
    expect(result).toMatchObject({ passed: true, reason: "output equals 'Eiffel tower' (ignoreCase, ignoreWhitespace, ignorePunctuation, ignoreArticles)" });
  });

  it('applies each option on its own, and accepts a list of answers', async () => {
    expect((await score({ type: 'equals', value: 'a  b', ignoreWhitespace: true }, 'a b')).passed).toBe(true);
    expect((await score({ type: 'equals', value: 'a  b' }, 'a b')).passed).toBe(false);
    expect((await score({ type: 'equals', value: 'Paris', ignorePunctuation: true }, 'Paris!')).passed).toBe(true);
    expect((await score({ type: 'equals', value: 'Paris', ignorePunctuation: true }, 'paris!')).passed).toBe(false);
    expect((await score({ type: 'equals', value: 'cat', ignoreArticles: true, ignoreWhitespace: true }, 'The cat')).passed).toBe(true);
    const list = await score({ type: 'equals', value: ['{{a}}', '{{b}}'] }, 'two', { a: 'one', b: 'two' });
    expect(list).toMatchObject({ passed: true, reason: "output equals 'two'" });
    const miss = await score({ type: 'equals', value: ['{{a}}', '{{b}}'] }, 'three', { a: 'one', b: 'two' });
    expect(miss.reason).toBe("expected one of 'one', 'two', got 'three'");
  });

  it('compares the first match of pattern (its first group) when one is given, as a regex filter with take_first', async () => {
    const pattern = { type: 'equals', value: '{{answer}}', pattern: 'The answer is (\\w+)', ignoreCase: true };
    expect(await score(pattern, 'Let me think. The answer is paris. The answer is Lyon.', { answer: 'Paris' })).toMatchObject({ passed: true, reason: "output equals 'Paris' (ignoreCase)" });
    expect(await score(pattern, 'The answer is Lyon.', { answer: 'Paris' })).toMatchObject({ passed: false, reason: "expected 'Paris' (ignoreCase), got 'Lyon' (matched by /The answer is (\\w+)/)" });
    expect(await score(pattern, 'Paris', { answer: 'Paris' })).toMatchObject({ passed: false, reason: "the output has no match of /The answer is (\\w+)/: 'Paris'" });
    expect(() => build({ type: 'equals', value: 'x', pattern: '(' })).toThrow(/evaluators\[0\]\.pattern: is not a valid regular expression/);
  });
});

describe('contains any/all', () => {
  it('passes on any by default and on all with mode: all, naming what is missing', async () => {
    expect((await score({ type: 'contains', value: ['red', 'blue'] }, 'a blue sky')).passed).toBe(true);
    const all = await score({ type: 'contains', value: ['red', 'blue'], mode: 'all' }, 'a blue sky');
    expect(all).toMatchObject({ passed: false, reason: "output lacks 'red'; got 'a blue sky'" });
    expect((await score({ type: 'contains', value: ['RED', 'blue'], mode: 'all', ignoreCase: true }, 'Red and Blue')).passed).toBe(true);
    expect(() => build({ type: 'contains', value: ['a'], mode: 'some' })).toThrow("evaluators[0].mode: expected 'any' or 'all', got 'some' (a string).");
  });
});

describe('json-schema', () => {
  const schema = { type: 'object', required: ['name', 'age'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } };

  it('validates JSON against an inline schema and lists the violations', async () => {
    expect(await score({ type: 'json-schema', schema }, '{"name":"Ada","age":36}')).toMatchObject({ passed: true, reason: 'output matches the JSON Schema' });
    const wrong = await score({ type: 'json-schema', schema }, '```json\n{"age": 1.5}\n```');
    expect(wrong).toMatchObject({ passed: false });
    expect(wrong.reason).toBe("output does not match the JSON Schema: (root) must have required property 'name'; /age must be integer");
    expect((await score({ type: 'json-schema', schema }, 'not json')).reason).toMatch(/^output is not valid JSON \(/);
  });

  it('reads the schema from a file relative to the config folder, and reports a bad one at its field', async () => {
    const { dir } = await writeTempFile('person.schema.json', JSON.stringify(schema));
    const evaluator = build({ type: 'json-schema', schemaFile: 'person.schema.json' }, { baseDir: dir });
    expect((await evaluator.evaluate({ output: '{"name":"x","age":1}', vars: {}, case: { id: 'c', index: 0, line: 1, vars: {} } })).passed).toBe(true);
    expect(() => build({ type: 'json-schema', schemaFile: 'missing.json' }, { baseDir: dir })).toThrow(/^evaluators\[0\]\.schemaFile: could not read the JSON Schema .*missing\.json/);
    expect(() => build({ type: 'json-schema' })).toThrow("evaluators[0].schema: evaluator 'json-schema' needs 'schema'");
    expect(() => build({ type: 'json-schema', schema: { type: 'no-such-type' } })).toThrow(ConfigError);
  });
});

describe('numeric', () => {
  it('extracts GSM8K references after #### and the last number of an output, without commas and $', () => {
    expect(extractFinalNumber('She makes 9 * 2 = <<9*2=18>>18 dollars.\n#### 18')).toBe(18);
    expect(extractFinalNumber('It costs $1,234.50 in total, up from 1,000.')).toBe(1000);
    expect(extractFinalNumber('The total is $1,234.50.')).toBe(1234.5);
    expect(extractFinalNumber('Temperature fell to -3.')).toBe(-3);
    expect(extractFinalNumber('no digits here')).toBeUndefined();
  });

  it('compares within a tolerance and says what it found', async () => {
    const reference = { answer: 'First 3 + 4 = 7.\n#### 1,200' };
    expect(await score({ type: 'numeric', value: '{{answer}}' }, 'So the answer is $1,200.', reference)).toMatchObject({
      passed: true,
      reason: "output's answer 1200 equals 1200",
    });
    expect(await score({ type: 'numeric', value: '{{answer}}' }, 'I think 1199', reference)).toMatchObject({ passed: false, reason: "expected 1200, got 1199 (the last number in 'I think 1199')" });
    expect((await score({ type: 'numeric', value: '{{answer}}', tolerance: 1 }, 'I think 1199', reference)).passed).toBe(true);
    expect((await score({ type: 'numeric', value: '100', relativeTolerance: 0.05 }, '104')).passed).toBe(true);
    expect((await score({ type: 'numeric', value: '100' }, 'none')).reason).toBe("expected 100, but the output holds no number: 'none'");
  });

  sharedIt('scores real GSM8K rows: the worked solution passes, an off-by-one answer fails', async () => {
    const rows = sharedJsonl<{ question: string; answer: string }>('gsm8k/test.jsonl').slice(0, 20);
    expect(extractFinalNumber((rows[0] as { answer: string }).answer)).toBe(18);
    for (const row of rows) {
      const reasoning = row.answer.split('####')[0] as string;
      const final = extractFinalNumber(row.answer) as number;
      expect((await score({ type: 'numeric', value: '{{answer}}' }, `${reasoning}\nThe answer is ${final}.`, row)).passed).toBe(true);
      expect((await score({ type: 'numeric', value: '{{answer}}' }, `The answer is ${final + 1}.`, row)).passed).toBe(false);
    }
  });
});

describe('choice', () => {
  it('extracts letters by the documented rules, in order', () => {
    expect(extractChoice('Answer: C', 4)).toEqual({ index: 2, rule: 'answer-marker' });
    expect(extractChoice('The answer is (B) because…', 4)).toEqual({ index: 1, rule: 'answer-marker' });
    expect(extractChoice('I pick (D).', 4)).toEqual({ index: 3, rule: 'parenthesised' });
    expect(extractChoice('A. Paris is right', 4)).toEqual({ index: 0, rule: 'line-start' });
    expect(extractChoice(' b ', 4)).toEqual({ index: 1, rule: 'lone-letter' });
    expect(extractChoice('the answer is a city', 4)).toBeUndefined();
    expect(extractChoice('Answer: E', 4)).toBeUndefined();
    expect(extractChoice('It is Paris.', 3, ['London', 'Paris', 'Rome'])).toEqual({ index: 1, rule: 'choice-text' });
  });

  it('scores letters, 0-based indexes and choice texts, with a reason naming both picks', async () => {
    const row = { question: 'Capital of Italy?', choices: ['London', 'Paris', 'Rome'], gold: 2 };
    expect(await score({ type: 'choice', value: '{{gold}}', choicesField: 'choices' }, 'Answer: C', row)).toMatchObject({
      passed: true,
      reason: "picked C ('Rome'), the correct choice (found by answer-marker)",
    });
    expect(await score({ type: 'choice', value: 'C', choicesField: 'choices' }, 'Paris', row)).toMatchObject({
      passed: false,
      reason: "picked B ('Paris') (found by exact-text), expected C ('Rome')",
    });
    expect((await score({ type: 'choice', value: 'Rome', choices: ['{{choices.0}}', '{{choices.1}}', '{{choices.2}}'] }, '(C)', row)).passed).toBe(true);
    expect((await score({ type: 'choice', value: 'B' }, 'no idea', row)).reason).toBe("no choice found in the output (expected B): 'no idea'");
  });

  sharedIt('scores real MMLU rows (answer as 0–3) with choice0..choice3', async () => {
    const text = readShared('mmlu/dev/abstract_algebra_dev.csv');
    const [header, first] = text.split(/\r?\n/);
    expect(header).toBe('question,choice0,choice1,choice2,choice3,answer');
    const answer = Number((first as string).split(',').at(-1));
    const entry = { type: 'choice', value: '{{answer}}', choices: ['{{choice0}}', '{{choice1}}', '{{choice2}}', '{{choice3}}'] };
    const row = { question: 'q', choice0: '0', choice1: '1', choice2: '2', choice3: '3', answer: String(answer) };
    expect((await score(entry, `Answer: ${'ABCD'[answer]}`, row)).passed).toBe(true);
    expect((await score(entry, `Answer: ${'ABCD'[(answer + 1) % 4]}`, row)).passed).toBe(false);
  });
});

describe('similarity metrics (hand-computed)', () => {
  it('ROUGE-L F1 is the LCS F-measure over word tokens', () => {
    // LCS("the cat sat on mat", "the cat sat on the mat") = 5; P = 5/5, R = 5/6, F1 = 10/11.
    expect(rougeL('the cat sat on mat', 'The cat sat on the mat.')).toBeCloseTo(10 / 11, 12);
    expect(rougeL('', 'x')).toBe(0);
    expect(rougeL('dog', 'cat')).toBe(0);
  });

  it('sentence BLEU-4 uses add-one smoothing for n ≥ 2 and the brevity penalty', () => {
    // Candidate 5 tokens, reference 6. Precisions: 1-gram 5/5; 2-gram (3+1)/(4+1); 3-gram (2+1)/(3+1); 4-gram (1+1)/(2+1).
    const expected = Math.exp(1 - 6 / 5) * Math.pow(1 * (4 / 5) * (3 / 4) * (2 / 3), 1 / 4);
    expect(sentenceBleu('the cat sat on mat', ['the cat sat on the mat'])).toBeCloseTo(expected, 12);
    expect(sentenceBleu('the cat sat on the mat', ['the cat sat on the mat'])).toBeCloseTo(1, 12);
    expect(sentenceBleu('dog', ['the cat'])).toBe(0);
    // Two references: 'the' clips to its max count over references (2 of 3); the closest reference length is 2
    // (|2−3| < |6−3|), so there is no brevity penalty.
    expect(sentenceBleu('the the the', ['the cat', 'the the cat sat on it'], 1)).toBeCloseTo(2 / 3, 12);
    // Brevity penalty against the closest (longer) reference: 2 tokens vs 3 → exp(1 − 3/2).
    expect(sentenceBleu('cat sat', ['the cat sat'], 1)).toBeCloseTo(Math.exp(1 - 3 / 2), 12);
  });

  it('Levenshtein similarity is 1 − distance / longer length', () => {
    expect(levenshteinSimilarity('kitten', 'sitting')).toBeCloseTo(4 / 7, 12);
    expect(levenshteinSimilarity('', '')).toBe(1);
  });

  it('the evaluators pass at their threshold and explain the score', async () => {
    const row = { reference: 'the cat sat on the mat' };
    expect(await score({ type: 'rouge-l', value: '{{reference}}', threshold: 0.9 }, 'the cat sat on mat', row)).toMatchObject({
      passed: true,
      score: 10 / 11,
      reason: "ROUGE-L F1 0.909 against 'the cat sat on the mat' ≥ threshold 0.9",
    });
    expect((await score({ type: 'bleu', value: '{{reference}}', threshold: 0.7 }, 'the cat sat on mat', row)).passed).toBe(false);
    expect(await score({ type: 'levenshtein', value: 'kitten', threshold: 0.5 }, 'sitting')).toMatchObject({ passed: true, score: 4 / 7 });
    expect(() => build({ type: 'bleu', value: 'x', threshold: 2 })).toThrow('evaluators[0].threshold: expected a number from 0 to 1, got 2 (a number).');
  });
});
