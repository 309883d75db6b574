import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, MockProvider, type EvaluatorEntry } from '@llm-lab/core';
import { loadEvaluators, runEvaluation, type Evaluator } from '../src/index.js';
import { caseOf } from './evaluators-helpers.js';
import { makeConfig, MemoryStore, tempDir, writeTempFile } from './helpers.js';

/** Runs two inline cases through the engine with a priced mock provider and the given evaluators. */
async function runWith(evaluators: EvaluatorEntry[], options: { stream?: boolean; baseDir?: string } = {}) {
  const store = new MemoryStore();
  const config = makeConfig({ dataset: { rows: [{ id: 'a', q: 'one two three' }, { id: 'b', q: 'four five' }], idField: 'id' }, prompts: ['{{q}}'], evaluators });
  const provider = new MockProvider('priced', { pricing: { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } });
  await runEvaluation({
    runId: 'r',
    config,
    baseDir: options.baseDir ?? process.cwd(),
    providers: [{ label: 'mock', provider, settings: {} }],
    store,
    ...(options.stream ? { stream: true } : {}),
  });
  return store.results('r').sort((x, y) => x.caseId.localeCompare(y.caseId));
}

describe('performance evaluators, fed by the engine', () => {
  it('latency, tokens-per-second and cost read the response the engine passes', async () => {
    const [first] = await runWith([
      { type: 'latency', maxMs: 60_000 },
      { type: 'tokens-per-second', min: 1e-9 },
      { type: 'cost', maxUsd: 2 },
      { type: 'cost', name: 'cheap', maxUsd: 0.5 },
    ]);
    // The mock echoes "one two three": 3 input + 3 output words (its tokens) at $1,000,000 per million = $1 each → $6.
    expect(first?.costUsd).toBe(6);
    const byName = Object.fromEntries((first?.scores ?? []).map((entry) => [entry.name, entry]));
    expect(byName.latency?.passed).toBe(true);
    expect(byName['tokens-per-second']?.passed).toBe(true);
    expect(byName.cost).toMatchObject({ passed: false, reason: 'cost $6.000000 > limit $2' });
    expect(byName.cheap?.passed).toBe(false);
  });

  it('ttft needs a streamed run, and says so otherwise', async () => {
    const [plain] = await runWith([{ type: 'ttft', maxMs: 60_000 }]);
    expect(plain).toMatchObject({ errorKind: 'evaluator', passed: null });
    expect(plain?.errorMessage).toMatch(/time to first token was not measured: it is known only for streamed calls/);
    const [streamed] = await runWith([{ type: 'ttft', maxMs: 60_000 }], { stream: true });
    expect(streamed).toMatchObject({ errorKind: null, passed: true });
    expect(streamed?.scores[0]?.reason).toMatch(/^time to first token \d+ ms ≤ limit 60000 ms$/);
  });

  it('rejects bad thresholds at their field', async () => {
    await expect(loadEvaluators([{ type: 'latency' }])).rejects.toThrow("evaluators[0].maxMs: evaluator 'latency' needs 'maxMs'");
    await expect(loadEvaluators([{ type: 'cost', maxUsd: -1 }])).rejects.toThrow('evaluators[0].maxUsd: expected an amount ≥ 0, got -1 (a number).');
  });
});

describe('custom evaluators', () => {
  const evaluate = (evaluator: Evaluator | undefined, output: string, vars: Record<string, unknown> = {}) => (evaluator as Evaluator).evaluate({ output, vars, case: caseOf(vars) });

  it('loads a function module relative to the config folder and passes it config', async () => {
    const { dir } = await writeTempFile(
      'checks.js',
      'export default function ({ output }, config) { return output.length <= config.max ? { passed: true, reason: `short (${output.length})` } : { passed: false, score: 0.1, reason: "too long" }; }\n' +
        'export const ratio = ({ output }) => output.length / 10;\n',
    );
    const [short, ratio] = await loadEvaluators(
      [
        { type: 'custom', module: './checks.js', config: { max: 5 } },
        { type: 'custom', module: './checks.js', export: 'ratio', threshold: 0.5 },
      ],
      { baseDir: dir },
    );
    expect(await evaluate(short, 'abc')).toEqual({ name: 'custom', type: 'custom', passed: true, score: 1, reason: 'short (3)' });
    expect(await evaluate(short, 'abcdefgh')).toMatchObject({ passed: false, score: 0.1, reason: 'too long' });
    expect(await evaluate(ratio, 'abcdef')).toMatchObject({ name: 'custom-2', passed: true, score: 0.6, reason: 'custom score 0.6 ≥ threshold 0.5' });
  });

  it('loads an evaluator definition and validates its options under config', async () => {
    const { dir } = await writeTempFile(
      'definition.js',
      `export const evaluator = {
  type: 'starts-with', description: 'Output starts with prefix.', fields: ['prefix'],
  build(fields, context) {
    if (typeof fields.prefix !== 'string') context.fail('prefix', 'expected a prefix string');
    return { type: 'starts-with', name: context.name, evaluate: ({ output }) => ({ name: context.name, type: 'starts-with', passed: output.startsWith(fields.prefix), score: output.startsWith(fields.prefix) ? 1 : 0, reason: 'checked prefix' }) };
  },
};\n`,
    );
    const [check] = await loadEvaluators([{ type: 'custom', module: 'definition.js', config: { prefix: 'Yes' } }], { baseDir: dir });
    expect(await evaluate(check, 'Yes indeed')).toMatchObject({ type: 'starts-with', passed: true });
    await expect(loadEvaluators([{ type: 'custom', module: 'definition.js' }], { baseDir: dir })).rejects.toThrow('evaluators[0].config.prefix: expected a prefix string');
  });

  it('resolves an installed package named as the type from the config folder', async () => {
    const dir = await tempDir();
    const packageDir = join(dir, 'node_modules', 'llm-lab-evaluator-shout');
    await mkdir(packageDir, { recursive: true });
    await writeFile(join(packageDir, 'package.json'), JSON.stringify({ name: 'llm-lab-evaluator-shout', type: 'module', main: 'index.js' }));
    await writeFile(join(packageDir, 'index.js'), 'export default ({ output }) => output === output.toUpperCase();\n');
    const [shout] = await loadEvaluators([{ type: 'llm-lab-evaluator-shout' }], { baseDir: dir });
    expect(await evaluate(shout, 'HELLO')).toMatchObject({ type: 'llm-lab-evaluator-shout', passed: true });
    expect(await evaluate(shout, 'hello')).toMatchObject({ passed: false, reason: 'custom check failed' });
    await expect(loadEvaluators([{ type: 'not-installed-anywhere' }], { baseDir: dir })).rejects.toThrow(/^evaluators\[0\]\.type: unknown evaluator type 'not-installed-anywhere'\. Known types: bleu, choice/);
  });

  it('gives clear ConfigErrors for a module that exports nothing usable or a missing file, and an error for a bad return', async () => {
    const { dir } = await writeTempFile('empty.js', 'export const answer = 42;\n');
    await writeFile(join(dir, 'odd.js'), 'export default () => "yes";\n');
    const load = (entry: EvaluatorEntry) => loadEvaluators([entry], { baseDir: dir });
    await expect(load({ type: 'custom', module: './empty.js' })).rejects.toThrow(ConfigError);
    await expect(load({ type: 'custom', module: './empty.js' })).rejects.toThrow("evaluators[0].module: module './empty.js' exports nothing usable (its exports: answer)");
    await expect(load({ type: 'custom', module: './nope.js' })).rejects.toThrow(/^evaluators\[0\]\.module: module file .*nope\.js does not exist/);
    await expect(load({ type: 'custom' })).rejects.toThrow("evaluators[0].module: evaluator 'custom' needs 'module'");
    const [odd] = await load({ type: 'custom', module: './odd.js' });
    await expect(Promise.resolve(evaluate(odd, 'x'))).rejects.toThrow(/the custom evaluator returned '"yes"'; return true\/false/);
  });

  it('refuses a score outside 0–1 instead of counting it as a pass', async () => {
    const { dir } = await writeTempFile('scores.js', 'export const seven = () => 7;\nexport const object = () => ({ score: -0.5 });\nexport const edge = () => ({ score: 1 });\n');
    const [seven, object, edge] = await loadEvaluators(
      ['seven', 'object', 'edge'].map((name) => ({ type: 'custom', module: './scores.js', export: name })),
      { baseDir: dir },
    );
    await expect(Promise.resolve(evaluate(seven, 'x'))).rejects.toThrow('the custom evaluator returned the score 7, outside 0–1; scale it to 0–1 (or return passed: true/false).');
    await expect(Promise.resolve(evaluate(object, 'x'))).rejects.toThrow(/returned the score -0\.5, outside 0–1/);
    expect(await evaluate(edge, 'x')).toMatchObject({ passed: true, score: 1 });
  });

  it('custom modules run inside an engine run, resolved from baseDir', async () => {
    const { dir } = await writeTempFile('has-two.js', "export default ({ output }) => output.split(' ').length === 2;\n");
    const results = await runWith([{ type: 'custom', module: './has-two.js' }], { baseDir: dir });
    expect(results.map((result) => result.passed)).toEqual([false, true]);
  });
});
