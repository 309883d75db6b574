import { describe, expect, it } from '@jest/globals';
import { ConfigError, type EvaluatorEntry } from '@llm-lab/core';
import { createEvaluators, TemplateError, type DatasetCase, type Evaluator } from '../src/index.js';

const row = { question: 'Capital of France?', answer: 'Paris' };
const datasetCase: DatasetCase = { id: 'c1', index: 0, line: 1, vars: row };

async function score(entry: EvaluatorEntry, output: string, vars: Record<string, unknown> = row) {
  const [evaluator] = createEvaluators([entry]) as [Evaluator];
  return evaluator.evaluate({ output, vars, case: { ...datasetCase, vars } });
}

describe('equals', () => {
  it('passes on the same text after trimming, with a reason', async () => {
    expect(await score({ type: 'equals', value: '{{answer}}' }, '  Paris\n')).toEqual({
      name: 'equals',
      type: 'equals',
      passed: true,
      score: 1,
      reason: "output equals 'Paris'",
    });
  });

  it('fails on different text and says what was expected and what came', async () => {
    const result = await score({ type: 'equals', value: '{{answer}}' }, 'paris.');
    expect(result).toMatchObject({ passed: false, score: 0, reason: "expected 'Paris', got 'paris.'" });
  });

  it('honours ignoreCase and trim: false', async () => {
    expect((await score({ type: 'equals', value: '{{answer}}', ignoreCase: true }, 'PARIS')).passed).toBe(true);
    expect((await score({ type: 'equals', value: '{{answer}}', trim: false }, 'Paris ')).passed).toBe(false);
  });

  it('takes a YAML number as literal text', async () => {
    expect((await score({ type: 'equals', value: 42 }, '42')).passed).toBe(true);
  });

  it('throws a TemplateError when the row lacks the variable', async () => {
    await expect(Promise.resolve().then(() => score({ type: 'equals', value: '{{missing}}' }, 'x'))).rejects.toThrow(TemplateError);
  });
});

describe('contains', () => {
  it('looks for the rendered value, optionally ignoring case', async () => {
    expect(await score({ type: 'contains', value: '{{answer}}' }, 'It is Paris.')).toMatchObject({ passed: true, reason: "output contains 'Paris'" });
    const miss = await score({ type: 'contains', value: '{{answer}}' }, 'It is paris.');
    expect(miss).toMatchObject({ passed: false, reason: "expected the output to contain 'Paris', got 'It is paris.'" });
    expect((await score({ type: 'contains', value: '{{answer}}', ignoreCase: true }, 'It is paris.')).passed).toBe(true);
  });
});

describe('regex', () => {
  it('matches with flags, the same way on every call', async () => {
    const [evaluator] = createEvaluators([{ type: 'regex', pattern: '^(yes|no)\\b', flags: 'gi' }]) as [Evaluator];
    const run = (output: string) => evaluator.evaluate({ output, vars: row, case: datasetCase });
    expect(await run('Yes, sure')).toMatchObject({ passed: true, reason: 'output matches /^(yes|no)\\b/i' });
    expect((await run('Yes again')).passed).toBe(true);
    expect(await run('maybe')).toMatchObject({ passed: false, reason: "expected the output to match /^(yes|no)\\b/i, got 'maybe'" });
  });

  it('rejects an invalid pattern as a ConfigError at evaluators[i].pattern', () => {
    const create = () => createEvaluators([{ type: 'equals', value: 'x' }, { type: 'regex', pattern: '(unclosed' }]);
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/^evaluators\[1\]\.pattern: invalid regular expression \/\(unclosed\/: /);
  });
});

describe('is-json', () => {
  it('accepts JSON, and with object: true only objects', async () => {
    expect(await score({ type: 'is-json' }, ' [1, 2] ')).toMatchObject({ passed: true, reason: 'output is valid JSON' });
    expect(await score({ type: 'is-json', object: true }, '[1, 2]')).toMatchObject({
      passed: false,
      reason: "expected a JSON object, got an array: '[1, 2]'",
    });
    expect((await score({ type: 'is-json', object: true }, '{"a":1}')).passed).toBe(true);
    const broken = await score({ type: 'is-json' }, '{"a":');
    expect(broken.passed).toBe(false);
    expect(broken.reason).toMatch(/^output is not valid JSON \(.+\): '\{"a":'$/);
  });
});

describe('createEvaluators', () => {
  it('reports a wrong field type at its path with what was expected', () => {
    const create = () => createEvaluators([{ type: 'contains', value: 'x' }, { type: 'equals', value: { text: 'Paris' } }]);
    expect(create).toThrow(ConfigError);
    expect(create).toThrow("evaluators[1].value: expected the expected output, a template such as '{{answer}}' (or a list of them), got an object.");
    try {
      create();
    } catch (error) {
      expect((error as ConfigError).path).toBe('evaluators[1].value');
    }
  });

  it('reports a missing field, an unknown field, a bad option type and an unknown type', () => {
    expect(() => createEvaluators([{ type: 'equals' }])).toThrow("evaluators[0].value: evaluator 'equals' needs 'value'");
    expect(() => createEvaluators([{ type: 'equals', value: 'x', ignorecase: true }])).toThrow(
      "evaluators[0].ignorecase: unknown field 'ignorecase' for evaluator type 'equals' (did you mean 'ignoreCase'? it accepts: name, weight, not, value, trim, ignoreCase, ignoreWhitespace, ignorePunctuation, ignoreArticles, normalize, pattern)",
    );
    expect(() => createEvaluators([{ type: 'equals', value: 'x', trim: 'yes' }])).toThrow(
      "evaluators[0].trim: expected true or false, got 'yes' (a string).",
    );
    expect(() => createEvaluators([{ type: 'blue' }])).toThrow(/^evaluators\[0\]\.type: unknown evaluator type 'blue' \(did you mean 'bleu'\?\)\. Known types: bleu, choice, code-exec, contains, contains-json, cost, custom, equals, /);
  });

  it('reports a broken template placeholder when building, not per case', () => {
    expect(() => createEvaluators([{ type: 'contains', value: '{{ an swer }}' }])).toThrow(/^evaluators\[0\]\.value: template has an invalid placeholder/);
  });

  it('names evaluators by type, making repeats unique, and rejects duplicate explicit names', () => {
    const names = createEvaluators([
      { type: 'contains', value: 'a' },
      { type: 'contains', value: 'b' },
      { type: 'contains', value: 'c', name: 'has-c' },
    ]).map((evaluator) => evaluator.name);
    expect(names).toEqual(['contains', 'contains-2', 'has-c']);
    expect(() =>
      createEvaluators([
        { type: 'contains', value: 'a', name: 'x' },
        { type: 'equals', value: 'b', name: 'x' },
      ]),
    ).toThrow("evaluators[1].name: evaluator name 'x' is already used by evaluators[0]");
  });
});
