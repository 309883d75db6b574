import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BaseProvider, labConfigSchema, type CompletionScore, type GenerateResponse, type ModelInfo, type ScoreCompletionsRequest, type StreamPart } from '@llm-lab/core';
import { buildSuiteConfig, compilePrompts, openDataset, pickByLoglikelihood, runEvaluation, type BuildSuiteConfigOptions } from '../src/index.js';
import { build, caseOf } from './evaluators-helpers.js';
import { MemoryStore } from './helpers.js';
import { FIXTURES, runSuiteAgainstFake } from './support/suite-harness.js';

const LOCAL = join(FIXTURES, 'local');

/**
 * Scores each continuation from a table (log-likelihood by continuation text), and records the
 * requests; generation answers one fixed token. Stands in for a model with known numbers.
 */
class TableProvider extends BaseProvider {
  readonly provider = 'table';
  readonly model = 'fixed';
  readonly requests: ScoreCompletionsRequest[] = [];
  constructor(private readonly table: (continuation: string) => number) {
    super();
  }
  getModelInfo(): ModelInfo {
    return { id: this.id, provider: this.provider, model: this.model, contextWindow: 1000, capabilities: { streaming: false, batch: false, embeddings: false, logprobs: true, tools: false, jsonMode: false, vision: false } };
  }
  async generate(): Promise<GenerateResponse> {
    return { text: ' x', finishReason: 'length', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, latencyMs: 1, warnings: [], providerId: this.id, model: this.model };
  }
  async *streamGenerate(): AsyncIterable<StreamPart> {
    throw new Error('not streamed');
  }
  async scoreCompletions(request: ScoreCompletionsRequest): Promise<CompletionScore[]> {
    this.requests.push(request);
    return request.completions.map((completion) => ({ completion, logprob: this.table(completion), tokens: 1 }));
  }
}

describe('acc and acc_norm (lm-evaluation-harness definitions)', () => {
  it('acc takes the largest sum, acc_norm the largest sum per UTF-8 byte, so they can disagree', () => {
    // ' a' (2 bytes) at -3 beats ' much longer answer' (19 bytes) at -5 by sum; per byte -1.5 < -0.26.
    expect(pickByLoglikelihood([' a', ' much longer answer'], [-3, -5])).toEqual({ acc: 0, acc_norm: 1 });
    // Bytes, not characters: ' éé' is 4 characters but 5 bytes; ' abc' 4 and 4. Per character -1.1 < -1; per byte -0.88 > -1.
    expect(pickByLoglikelihood([' éé', ' abc'], [-4.4, -4])).toEqual({ acc: 1, acc_norm: 0 });
    expect(pickByLoglikelihood([' a', ' b'], [-1, -1])).toEqual({ acc: 0, acc_norm: 0 }); // ties go to the first, as numpy's argmax
  });

  it('the loglikelihood evaluator passes by its metric, asks the provider once for both metrics, and needs scoreCompletions', async () => {
    const provider = new TableProvider((continuation) => (continuation === ' a' ? -3 : -5));
    const vars = { continuations: [' a', ' much longer answer'], answer_index: 1 };
    const prompt = [{ role: 'user' as const, content: 'Question: q\nAnswer:' }];
    const input = { output: '', vars, case: caseOf(vars), prompt, provider };
    const acc = await build({ type: 'loglikelihood', name: 'acc' }).evaluate(input);
    const norm = await build({ type: 'loglikelihood', name: 'acc_norm', metric: 'acc_norm' }).evaluate(input);
    expect(acc).toMatchObject({ name: 'acc', passed: false, score: 0 });
    expect(acc.reason).toMatch(/^acc picks 0 \(' a', log-likelihood -3\); the answer is 1 .*\(acc_norm picks 1\)$/);
    expect(norm).toMatchObject({ name: 'acc_norm', passed: true, score: 1 });
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0]).toEqual({ messages: prompt, completions: [' a', ' much longer answer'] });
    const bare = { ...input, provider: { ...provider, id: 'gen:only', scoreCompletions: undefined } as never };
    await expect(Promise.resolve(build({ type: 'loglikelihood' }).evaluate(bare))).rejects.toThrow(/needs a provider that implements scoreCompletions .*; gen:only does not\. Use --scoring generate/);
  });
});

/** Runs a built suite through the real engine with a TableProvider; returns the results in case order and the provider. */
async function runWithTable(options: Omit<BuildSuiteConfigOptions, 'providers'>, table: (continuation: string) => number) {
  const built = await buildSuiteConfig({ ...options, providers: ['table:fixed'] });
  const config = labConfigSchema.parse(built.config);
  const provider = new TableProvider(table);
  const store = new MemoryStore();
  await runEvaluation({ runId: 'run-ll', config, baseDir: '.', providers: [{ label: 'table', provider, settings: {} }], store, prepareCase: built.prepareCase });
  return { built, config, provider, results: [...store.rows.values()].sort((a, b) => a.caseIndex - b.caseIndex) };
}

describe('--scoring loglikelihood on the multiple-choice suites', () => {
  it('arc: "Question: …\\nAnswer:" with " " + choice continuations, passing by acc_norm; one token generated', async () => {
    // Likeliest by sum: ' Oxygen' / ' Chemical'; per byte: the long right answer ' Carbon dioxide', and ' Chemical' still.
    const table = (continuation: string) => ({ ' Oxygen': -4, ' Carbon dioxide': -6, ' Chemical': -1 })[continuation] ?? -50;
    const { config, provider, results } = await runWithTable({ suite: 'arc', data: LOCAL, scoring: 'loglikelihood' }, table);
    expect(config.prompts).toEqual([{ id: 'arc-loglikelihood', template: '{{few_shot}}Question: {{question}}\nAnswer:' }]);
    expect(config.defaults.maxTokens).toBe(1);
    expect(config.description).toContain('log-likelihood acc_norm');
    expect(provider.requests[0]).toEqual({ messages: [{ role: 'user', content: 'Question: Which gas do plants take in from the air?\nAnswer:' }], completions: [' Oxygen', ' Carbon dioxide', ' Helium', ' Neon'] });
    expect(results.map((result) => result.passed)).toEqual([true, true]);
    const acc = await runWithTable({ suite: 'arc', data: LOCAL, scoring: 'loglikelihood', metric: 'acc' }, table);
    expect(acc.results.map((result) => result.passed)).toEqual([false, true]);
    expect(acc.results[0]?.scores[0]).toMatchObject({ name: 'acc', type: 'loglikelihood', passed: false });
  });

  it('mmlu: the same prompt as the original evaluation, the letters " A"…" D" as continuations, acc', async () => {
    const { provider, results } = await runWithTable({ suite: 'mmlu', data: LOCAL, subjects: ['astronomy'], shots: 1, scoring: 'loglikelihood' }, (continuation) => (continuation === ' B' ? -0.5 : -2));
    expect(provider.requests[0]?.completions).toEqual([' A', ' B', ' C', ' D']);
    expect(provider.requests[0]?.messages[0]?.content).toBe(
      'The following are multiple choice questions (with answers) about astronomy.\n\nWhat is the Sun?\nA. A planet\nB. A star\nC. A moon\nD. A comet\nAnswer: B\n\nWhich planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer:',
    );
    expect(results.map((result) => result.passed)).toEqual([true, false]);
  });

  it('hellaswag: the context alone, each ending after a space', async () => {
    const { provider, results } = await runWithTable({ suite: 'hellaswag', data: LOCAL, scoring: 'loglikelihood' }, (continuation) => (continuation.includes('stove') || continuation.includes('sponge') ? -1 : -9));
    expect(provider.requests[0]).toEqual({
      messages: [{ role: 'user', content: 'Making tea: A woman fills a kettle with water. She' }],
      completions: [' eats the kettle.', ' puts the kettle on the stove.', ' throws the kettle outside.', ' paints the kettle blue.'],
    });
    expect(results.map((result) => result.passed)).toEqual([true, true]);
  });

  it('refuses log-likelihood scoring and --metric where they do not apply', async () => {
    await expect(buildSuiteConfig({ suite: 'gsm8k', providers: ['mock:x'], scoring: 'loglikelihood' })).rejects.toThrow(/--scoring loglikelihood applies to the multiple-choice suites mmlu, arc and hellaswag \(and task files with choices\), not gsm8k/);
    await expect(buildSuiteConfig({ suite: 'arc', providers: ['mock:x'], metric: 'acc' })).rejects.toThrow(/--metric .* applies with --scoring loglikelihood only/);
    await expect(buildSuiteConfig({ suite: 'arc', providers: ['mock:x'], scoring: 'likely' as never })).rejects.toThrow(/expected --scoring generate or loglikelihood, got 'likely'/);
  });
});

describe('--shots', () => {
  let dir: string;
  const train = [
    { query: 'Question: What do bees make?', choices: ['Honey', 'Milk', 'Silk', 'Wool'], gold: 0 },
    { query: 'Question: What color is the clear daytime sky?', choices: ['Green', 'Blue', 'Red', 'Black'], gold: 1 },
    { query: 'Question: How many legs does a spider have?', choices: ['Six', 'Four', 'Eight', 'Ten'], gold: 2 },
  ];
  const test = [
    { query: 'Question: Which gas do plants take in from the air?', choices: ['Oxygen', 'Carbon dioxide', 'Helium', 'Neon'], gold: 1 },
    { query: 'Question: What form of energy does a battery store?', choices: ['Chemical', 'Nuclear', 'Sound', 'Light'], gold: 0 },
  ];
  const jsonl = (rows: object[]) => rows.map((row) => JSON.stringify(row)).join('\n');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-shots-'));
    await writeFile(join(dir, 'arc_challenge_test.mosaic.jsonl'), jsonl(test));
    await writeFile(join(dir, 'arc_challenge_train.mosaic.jsonl'), jsonl(train));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function promptsOf(options: Omit<BuildSuiteConfigOptions, 'providers'>): Promise<string[]> {
    const built = await buildSuiteConfig({ ...options, providers: ['mock:x'] });
    const config = labConfigSchema.parse(built.config);
    const render = compilePrompts(config.prompts)[0]!;
    const prompts: string[] = [];
    for await (const datasetCase of openDataset(config.dataset, { baseDir: '.' }).cases) prompts.push(render.render(built.prepareCase(datasetCase.vars)).at(-1)!.content);
    return prompts;
  }

  it('arc draws its exemplars from the train file beside the evaluated one, never from the evaluated questions', async () => {
    const prompts = await promptsOf({ suite: 'arc', data: join(dir, 'arc_challenge_test.mosaic.jsonl'), shots: 3, scoring: 'loglikelihood' });
    for (const [index, prompt] of prompts.entries()) {
      const blocks = prompt.split('\n\n');
      expect(blocks).toHaveLength(4);
      expect(blocks.slice(0, 3).sort()).toEqual(['Question: How many legs does a spider have?\nAnswer: Eight', 'Question: What color is the clear daytime sky?\nAnswer: Blue', 'Question: What do bees make?\nAnswer: Honey']);
      // No evaluated question appears as an exemplar, its own or another's.
      for (const row of test) expect(blocks.slice(0, 3).join('\n')).not.toContain(row.query.replace('Question: ', ''));
      expect(blocks[3]).toBe(`${test[index]!.query}\nAnswer:`);
    }
    const lettered = await promptsOf({ suite: 'arc', data: join(dir, 'arc_challenge_test.mosaic.jsonl'), shots: 1 });
    expect(lettered[0]).toMatch(/^Answer the following multiple choice question with the letter of the correct choice\.\n\nQuestion: .*\nA\. .*\nB\. .*\nC\. .*\nD\. .*\nAnswer: [A-D]\n\nQuestion: Which gas/);
  });

  it('refuses to draw exemplars from the evaluated file, or when there is no train split to draw from', async () => {
    const evaluated = join(dir, 'arc_challenge_test.mosaic.jsonl');
    await expect(buildSuiteConfig({ suite: 'arc', providers: ['mock:x'], data: evaluated, shots: 1, shotsData: evaluated })).rejects.toThrow(/is the evaluated file; exemplars must come from another split/);
    await expect(buildSuiteConfig({ suite: 'arc', providers: ['mock:x'], data: join(LOCAL, 'arc'), shots: 1 })).rejects.toThrow(
      /--shots for arc draws exemplars from the train split, never the evaluated data, and none was found next to .*arc_challenge_test\.mosaic\.jsonl \(looked for .*arc_challenge_train\.mosaic\.jsonl\)\. Give one with --shots-data <file>/,
    );
    await expect(buildSuiteConfig({ suite: 'arc', providers: ['mock:x'], data: evaluated, shots: 5 })).rejects.toThrow(/has 3 usable rows, fewer than --shots 5/);
    await expect(buildSuiteConfig({ suite: 'xstest', providers: ['mock:x'], shots: 2 })).rejects.toThrow(/--shots applies to mmlu, arc, hellaswag, gsm8k and task files with a fewshot block, not xstest/);
    await expect(buildSuiteConfig({ suite: 'gsm8k', providers: ['mock:x'], shots: 9 })).rejects.toThrow(/expected 0 to 8 few-shot examples \(gsm8k has 8 standard exemplars\), got 9/);
  });

  it('gsm8k 8-shot chain of thought: the 8 standard exemplars, "Q: …\\nA:", scored by the first "The answer is N"', async () => {
    const outcome = await runSuiteAgainstFake({
      suite: 'gsm8k',
      data: LOCAL,
      shots: 8,
      answer: (vars, index) =>
        [`Tom had 3, then 4 more: 3 + 4 = 7. The answer is ${String(vars.final_answer)}.`, `The answer is 35. Checking: 12 * 3 = ${String(vars.final_answer)}.`, `#### ${String(vars.final_answer)}`][index] ?? '',
    });
    const prompt = outcome.prompts[0]!;
    expect(prompt.match(/^Q: /gm)).toHaveLength(9);
    expect(prompt.match(/The answer is \d+\.\n\n/g)).toHaveLength(8);
    expect(prompt).toMatch(/^Q: There are 15 trees in the grove\. .*\nA: There are 15 trees originally\. .*The answer is 6\.\n\nQ: If there are 3 cars/);
    expect(prompt).toContain('Q: Olivia has $23. She bought five bagels for $3 each. How much money does she have left?\nA: Olivia had 23 dollars.');
    expect(prompt.endsWith('Q: Tom has 3 apples and buys 4 more. How many apples does he have?\nA:')).toBe(true);
    // Right when "The answer is N" holds the answer; the first such phrase counts; no phrase is wrong even with the right number.
    expect(outcome.passed).toEqual([true, false, false]);
    const built = await buildSuiteConfig({ suite: 'gsm8k', providers: ['mock:x'], shots: 8 });
    expect(built.config.defaults?.stop).toEqual(['Q:', '</s>', '<|im_end|>']);
    expect(built.config.description).toMatch(/^GSM8K \(grade-school math\), 8-shot chain of thought/);
  });
});
